package org.tether.encryption;

import com.fasterxml.jackson.databind.JsonNode;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a volume's encryption metadata in Cinder's shape. LUKS1 is opened by QEMU itself (the host never
 * holds the plaintext device, as Nova's native LUKS); LUKS2 and plain dm-crypt need the host's dm-crypt and are
 * refused saying so. Encryption the storage does ({@code control_location: back-end}) is not the host's: null.
 */
public final class EncryptionSpecParser {
    /** Provider names Cinder and Nova have used for LUKS1, as volume types still carry them. */
    private static final Set<String> LUKS1 = Set.of("luks", "nova.volume.encryptors.luks.LuksEncryptor",
            "os_brick.encryptors.luks.LuksEncryptor", "LuksEncryptor");
    private static final Map<String, String> REFUSED = Map.of(
            "luks2", "LUKS2 is opened by the host's dm-crypt (cryptsetup), not by QEMU's own LUKS driver",
            "os_brick.encryptors.luks.Luks2Encryptor", "LUKS2 is opened by the host's dm-crypt (cryptsetup), not by "
                    + "QEMU's own LUKS driver",
            "plain", "plain dm-crypt has no header QEMU can open; it needs the host's dm-crypt",
            "nova.volume.encryptors.cryptsetup.CryptsetupEncryptor", "plain dm-crypt has no header QEMU can open; it "
                    + "needs the host's dm-crypt",
            "os_brick.encryptors.cryptsetup.CryptsetupEncryptor", "plain dm-crypt has no header QEMU can open; it "
                    + "needs the host's dm-crypt");
    /** What QEMU's LUKS driver formats and opens: algorithm, mode, IV generator. */
    private static final Pattern CIPHER = Pattern.compile(
            "(aes|serpent|twofish|cast5|cast6)-(xts|cbc|ecb|ctr)-(plain|plain64|essiv:(sha256|sha1|sha512))");
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,255}");

    private EncryptionSpecParser() {
    }

    /**
     * @param field where the object sits in the request, for errors
     * @return the spec, or null when the storage itself encrypts ({@code back-end})
     */
    public static EncryptionSpec parse(JsonNode node, String field) {
        return parse(node, field, true);
    }

    /**
     * @param keyRequired false where the agent may make the key itself (a new volume): the spec's key id is then
     *                    null when none was given
     */
    public static EncryptionSpec parse(JsonNode node, String field, boolean keyRequired) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            throw TetherException.missing(field);
        }
        if (!node.isObject()) {
            throw TetherException.invalid(field, field + " must be the volume's encryption metadata object");
        }
        String provider = node.has("provider") || keyRequired ? text(node, "provider", field) : "luks";
        String location = node.path("control_location").asText("front-end");
        if (!location.equals("front-end") && !location.equals("back-end")) {
            throw TetherException.invalid(field + ".control_location", "control_location is front-end or back-end");
        }
        if (location.equals("back-end")) {
            return null;
        }
        if (REFUSED.containsKey(provider)) {
            throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, field + ".provider", "provider " + provider
                    + ": " + REFUSED.get(provider) + "; use luks (LUKS1)");
        }
        if (!LUKS1.contains(provider)) {
            throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, field + ".provider", "provider " + provider
                    + " is not known; luks (LUKS1) is supported");
        }
        String cipher = node.path("cipher").asText("aes-xts-plain64");
        if (!CIPHER.matcher(cipher).matches()) {
            throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, field + ".cipher", "cipher " + cipher
                    + " is not one QEMU's LUKS driver takes (<aes|serpent|twofish|cast5|cast6>-<xts|cbc|ecb|ctr>-"
                    + "<plain|plain64|essiv:sha256>)");
        }
        JsonNode size = node.get("key_size");
        int bits = size == null || size.isNull() ? 256 : size.isInt() ? size.asInt() : -1;
        boolean xts = cipher.contains("-xts-");
        if (xts ? bits != 256 && bits != 512 : bits != 128 && bits != 192 && bits != 256) {
            throw new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, field + ".key_size", "key_size " + size
                    + " does not fit " + cipher + " (" + (xts ? "256 or 512" : "128, 192 or 256") + " bits)");
        }
        String keyId = node.path("encryption_key_id").asText(null);
        if (keyId == null || keyId.isEmpty()) {
            if (!keyRequired) {
                return new EncryptionSpec(cipher, bits, null);
            }
            throw TetherException.missing(field + ".encryption_key_id");
        }
        if (!KEY_ID.matcher(keyId).matches()) {
            throw TetherException.invalid(field + ".encryption_key_id", "encryption_key_id must be 1-255 characters "
                    + "of [A-Za-z0-9._-]");
        }
        return new EncryptionSpec(cipher, bits, keyId);
    }

    private static String text(JsonNode node, String key, String field) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            throw TetherException.missing(field + "." + key);
        }
        if (!v.isTextual()) {
            throw TetherException.invalid(field + "." + key, field + "." + key + " must be a string");
        }
        return v.asText();
    }
}
