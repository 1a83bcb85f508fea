package org.tether.compute.libvirt.jna;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * libvirt's {@code virTypedParameter} array in native memory, laid out as on every 64-bit Linux ABI:
 * an 80-byte field name, an int type, and an 8-byte-aligned union at offset 88; 96 bytes each.
 * Only the two types block tuning uses: unsigned long long and string.
 */
public final class TypedParams {
    static final int FIELD_LENGTH = 80;
    static final int TYPE_OFFSET = 80;
    static final int VALUE_OFFSET = 88;
    public static final int SIZE = 96;
    static final int TYPE_ULLONG = 4;
    static final int TYPE_STRING = 7;

    private TypedParams() {
    }

    /** Native memory for the values (Long or String), plus the string buffers it points to, kept reachable. */
    public record Packed(Memory array, int count, List<Memory> strings) {
    }

    public static Packed pack(Map<String, Object> values) {
        Memory array = new Memory((long) SIZE * Math.max(1, values.size()));
        array.clear();
        List<Memory> strings = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            long base = (long) i * SIZE;
            byte[] name = e.getKey().getBytes(StandardCharsets.US_ASCII);
            if (name.length >= FIELD_LENGTH) {
                throw new IllegalArgumentException("typed parameter name too long: " + e.getKey());
            }
            array.write(base, name, 0, name.length);
            if (e.getValue() instanceof Long l) {
                array.setInt(base + TYPE_OFFSET, TYPE_ULLONG);
                array.setLong(base + VALUE_OFFSET, l);
            } else if (e.getValue() instanceof String s) {
                byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                Memory str = new Memory(bytes.length + 1L);
                str.write(0, bytes, 0, bytes.length);
                str.setByte(bytes.length, (byte) 0);
                strings.add(str);
                array.setInt(base + TYPE_OFFSET, TYPE_STRING);
                array.setPointer(base + VALUE_OFFSET, str);
            } else {
                throw new IllegalArgumentException("unsupported typed parameter value for " + e.getKey());
            }
            i++;
        }
        return new Packed(array, values.size(), List.copyOf(strings));
    }

    /** Reads {@code count} parameters; numbers of any integer type become Long, strings String. */
    public static Map<String, Object> unpack(Pointer array, int count) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            long base = (long) i * SIZE;
            String name = Native.toString(array.getByteArray(base, FIELD_LENGTH), StandardCharsets.US_ASCII);
            int type = array.getInt(base + TYPE_OFFSET);
            Object value = switch (type) {
                case 1, 2 -> (long) array.getInt(base + VALUE_OFFSET);
                case 3, TYPE_ULLONG -> array.getLong(base + VALUE_OFFSET);
                case 6 -> (long) array.getByte(base + VALUE_OFFSET);
                case TYPE_STRING -> {
                    Pointer p = array.getPointer(base + VALUE_OFFSET);
                    yield p == null ? null : p.getString(0, StandardCharsets.UTF_8.name());
                }
                default -> null;
            };
            if (value != null) {
                out.put(name, value);
            }
        }
        return out;
    }
}
