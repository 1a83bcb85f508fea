package org.tether.storage.backup;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.openstack.BarbicanClient;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The keys of encrypted volumes' backups. A backup holds the volume's ciphertext (its LUKS header included), so
 * it needs the volume's key to be read again; it keeps its own copy in the key manager, as Cinder clones a
 * volume's key for its backup, and a volume restored from it gets another: deleting the volume, the backup or
 * the restored volume then takes no key another one needs. Keys pass through memory only, zeroed after use.
 */
@ApplicationScoped
public class BackupKeys {
    private static final Logger LOG = Logger.getLogger(BackupKeys.class);

    private final BarbicanClient keys;

    public BackupKeys(BarbicanClient keys) {
        this.keys = keys;
    }

    /** A new key in the key manager with the bytes of key {@code keyId}, named {@code name}; its id. */
    String copy(String keyId, String name, String cipher) {
        byte[] key = keys.key(keyId);
        try {
            String[] parts = cipher.split("-");
            return keys.store(key, name, parts[0], parts.length > 1 ? parts[1] : null);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** The bytes of a store's key ({@code encryption-key-id}); the caller zeroes them. */
    byte[] storeKey(String keyId) {
        return keys.key(keyId);
    }

    /** Whether the two keys are the same bytes (the same id is). */
    boolean same(String a, String b) {
        if (a.equals(b)) {
            return true;
        }
        byte[] x = keys.key(a);
        byte[] y = keys.key(b);
        try {
            return MessageDigest.isEqual(x, y);
        } finally {
            Arrays.fill(x, (byte) 0);
            Arrays.fill(y, (byte) 0);
        }
    }

    /** Removes a key this agent stored; a failure is logged (the key is left, never a volume's data). */
    void forget(String keyId, String why) {
        try {
            keys.delete(keyId);
        } catch (RuntimeException e) {
            LOG.errorf("key %s (%s) is left in the key manager: %s", keyId, why, e.getMessage());
        }
    }
}
