package org.tether.qos;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every numeric key libvirt accepts inside {@code <iotune>}, in libvirt's schema order. The name is both
 * the Cinder qos_specs key and the libvirt element name.
 */
public enum QosKey {
    TOTAL_BYTES_SEC, READ_BYTES_SEC, WRITE_BYTES_SEC,
    TOTAL_IOPS_SEC, READ_IOPS_SEC, WRITE_IOPS_SEC,
    TOTAL_BYTES_SEC_MAX, READ_BYTES_SEC_MAX, WRITE_BYTES_SEC_MAX,
    TOTAL_IOPS_SEC_MAX, READ_IOPS_SEC_MAX, WRITE_IOPS_SEC_MAX,
    SIZE_IOPS_SEC,
    TOTAL_BYTES_SEC_MAX_LENGTH, READ_BYTES_SEC_MAX_LENGTH, WRITE_BYTES_SEC_MAX_LENGTH,
    TOTAL_IOPS_SEC_MAX_LENGTH, READ_IOPS_SEC_MAX_LENGTH, WRITE_IOPS_SEC_MAX_LENGTH;

    /** The string key that names the burst group; not numeric, so not a constant here. */
    public static final String GROUP_NAME = "group_name";

    private static final Map<String, QosKey> BY_WIRE = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(QosKey::wire, Function.identity()));

    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static QosKey fromWire(String key) {
        return BY_WIRE.get(key);
    }

    public boolean isMaxLength() {
        return name().endsWith("_MAX_LENGTH");
    }

    public boolean isMax() {
        return name().endsWith("_MAX");
    }

    /** For a {@code _max} key its base rate, for a {@code _max_length} key its {@code _max}; else null. */
    public QosKey parent() {
        if (isMaxLength()) {
            return valueOf(name().substring(0, name().length() - "_LENGTH".length()));
        }
        if (isMax()) {
            return valueOf(name().substring(0, name().length() - "_MAX".length()));
        }
        return null;
    }
}
