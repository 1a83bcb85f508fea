package org.tether.compute.encryption;

import org.tether.encryption.EncryptionSpec;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Locale;

/** What QEMU's refusal to open an encrypted volume means, in the API's words and codes. */
public final class LuksRefusals {
    private LuksRefusals() {
    }

    /** The hot-plug's failure, named when it is the LUKS header's (wrong key, no header); else as it was. */
    public static TetherException explain(TetherException e, EncryptionSpec spec) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("cannot unlock any keyslot") || m.contains("invalid password")) {
            return new TetherException(ErrorCode.ENCRYPTION_KEY_INVALID, "encryption.encryption_key_id", "key "
                    + spec.keyId() + " does not open the volume's LUKS header");
        }
        if (m.contains("not in luks format")) {
            return new TetherException(ErrorCode.UNSUPPORTED_ENCRYPTION, "encryption", "the volume has no LUKS "
                    + "header, and this host could not read the volume to format it (an RBD secret it cannot read "
                    + "back): format it where it is made (Tether's storage mode does it at create)");
        }
        return e;
    }
}
