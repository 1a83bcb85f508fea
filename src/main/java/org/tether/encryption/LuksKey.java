package org.tether.encryption;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The LUKS passphrase of a key manager's key: the key's bytes as lowercase hex, as Nova's and os-brick's
 * encryptors make it (and Cinder's RBD driver when it formats), so volumes move between them and Tether.
 */
public final class LuksKey {
    private LuksKey() {
    }

    /** The passphrase (ASCII hex bytes); the caller zeroes it when done. */
    public static byte[] passphrase(byte[] key, EncryptionSpec spec) {
        if (key.length * 8 != spec.keySizeBits()) {
            throw new TetherException(ErrorCode.ENCRYPTION_KEY_INVALID, "encryption.key_size", "key "
                    + spec.keyId() + " has " + key.length * 8 + " bits; the volume's encryption says key_size "
                    + spec.keySizeBits());
        }
        char[] hex = HexFormat.of().formatHex(key).toCharArray();
        byte[] out = new byte[hex.length];
        for (int i = 0; i < hex.length; i++) {
            out[i] = (byte) hex[i];
        }
        Arrays.fill(hex, '\0');
        return out;
    }
}
