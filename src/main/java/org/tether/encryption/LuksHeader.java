package org.tether.encryption;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * What the first sector of a volume says about LUKS: its version and, for LUKS1, where the payload starts (the
 * header's {@code payload-offset}, in 512-byte sectors at byte 104, big-endian). The guest sees the volume less
 * that offset, so a live extend asks QEMU for the new size less it, as Nova does.
 *
 * @param version            1 or 2
 * @param payloadOffsetBytes where the encrypted payload starts (LUKS1; 0 for LUKS2, whose JSON area says it)
 */
public record LuksHeader(int version, long payloadOffsetBytes) {
    /** The bytes of the first sector that say it: magic, version, cipher, mode, hash, payload offset, key bytes. */
    public static final int PROBE_BYTES = 512;
    private static final byte[] MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};
    private static final int PAYLOAD_OFFSET_AT = 104;

    /** The header the bytes start with, or empty when they start with no LUKS magic. */
    public static Optional<LuksHeader> parse(byte[] head) {
        if (head.length < PAYLOAD_OFFSET_AT + 4) {
            return Optional.empty();
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (head[i] != MAGIC[i]) {
                return Optional.empty();
            }
        }
        ByteBuffer b = ByteBuffer.wrap(head);
        int version = Short.toUnsignedInt(b.getShort(6));
        long offset = version == 1 ? Integer.toUnsignedLong(b.getInt(PAYLOAD_OFFSET_AT)) * 512 : 0;
        return Optional.of(new LuksHeader(version, offset));
    }
}
