package org.tether.encryption;

/**
 * A volume's encryption as Cinder keeps it ({@code GET /v3/{project}/volumes/{id}/encryption}): the
 * provider (only LUKS1 here, which QEMU opens itself), the cipher and key size a fresh volume is formatted
 * with, where encryption happens, and the key manager's id of the key.
 *
 * @param keySizeBits the key's size in bits (Cinder's {@code key_size}); the key manager must return that many
 */
public record EncryptionSpec(String cipher, int keySizeBits, String keyId) {

    /** {@code aes-xts-plain64} as QEMU's LUKS options name its parts: cipher-alg, cipher-mode, ivgen-alg. */
    public String cipherAlg() {
        String alg = cipher.split("-")[0];
        int bits = cipher.contains("-xts-") ? keySizeBits / 2 : keySizeBits;
        return alg + "-" + bits;
    }

    public String cipherMode() {
        return cipher.split("-")[1];
    }

    public String ivgenAlg() {
        String ivgen = cipher.split("-", 3)[2];
        return ivgen.contains(":") ? ivgen.substring(0, ivgen.indexOf(':')) : ivgen;
    }

    /** The hash of an {@code essiv:<hash>} ivgen, or null. */
    public String ivgenHash() {
        String ivgen = cipher.split("-", 3)[2];
        return ivgen.contains(":") ? ivgen.substring(ivgen.indexOf(':') + 1) : null;
    }
}
