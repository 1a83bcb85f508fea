package org.tether.storage.backup;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A store whose chunks and manifests are encrypted with a key from the key manager
 * ({@code tether.backup.stores.<name>.encryption-key-id}), for a store the operator does not trust with the
 * data: an S3 service elsewhere, an NFS export others mount.
 *
 * <ul>
 * <li>Two keys are derived from the key manager's (HKDF-SHA256, RFC 5869): one names chunks, one seals objects.
 * <li>An object is {@code "TBE1"}, the key id (16 bytes), a random 96-bit nonce, and the content sealed with
 *     AES-256-GCM; the associated data is that header and the object's name, so an object copied under another
 *     name, or a header changed, fails to open.
 * <li>A chunk is stored under its SHA-256 encrypted with the naming key (AES-256-CBC, a zero IV, two blocks):
 *     equal content still has one name (deduplication within the store holds), the store cannot tell which
 *     content a name stands for (a SHA-256 in the clear would confirm a guess), and the name decrypts back, so
 *     chunks that no manifest names are still found and collected.
 * <li>Manifests are sealed whole: what a backup is of, and its chunk list, are not readable without the key.
 * </ul>
 *
 * The key is fetched once, at the first use (the agent may start before the key manager answers); a key
 * manager that cannot be reached then is the store being unavailable (503, retryable). The store's key is not
 * changed after backups are made with it: an object sealed with another key is reported as such, never read.
 */
final class EncryptedBackupStore implements BackupStore {
    private static final byte[] MAGIC = {'T', 'B', 'E', '1'};
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final int HEADER = MAGIC.length + 16 + NONCE;
    private static final byte[] SALT = "tether-backup-store/1".getBytes(StandardCharsets.US_ASCII);

    private final BackupStore store;
    private final String keyId;
    private final byte[] keyIdBytes;
    private final Supplier<byte[]> fetch;
    private final SecureRandom random = new SecureRandom();
    private volatile Keys keys;

    private record Keys(SecretKeySpec names, SecretKeySpec objects) {
    }

    /**
     * @param keyId the key manager's id of the key (a UUID, as Barbican's secrets have)
     * @param fetch the key's bytes (at least 128 bits); zeroed here once the two keys are derived
     */
    EncryptedBackupStore(BackupStore store, String keyId, Supplier<byte[]> fetch) {
        this.store = store;
        this.keyId = keyId;
        UUID id;
        try {
            id = UUID.fromString(keyId);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("tether.backup.stores." + store.name() + ".encryption-key-id is a "
                    + "key manager's secret id (a UUID), not " + keyId);
        }
        this.keyIdBytes = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
                .putLong(id.getLeastSignificantBits()).array();
        this.fetch = fetch;
    }

    @Override
    public String name() {
        return store.name();
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public boolean hasChunk(String sha256) {
        return store.hasChunk(storedName(sha256));
    }

    @Override
    public void putChunk(String sha256, byte[] frame) {
        String stored = storedName(sha256);
        store.putChunk(stored, seal(frame, "chunk:" + stored));
    }

    @Override
    public Optional<byte[]> chunk(String sha256) {
        String stored = storedName(sha256);
        return store.chunk(stored).map(o -> open(o, "chunk:" + stored, "chunk " + sha256));
    }

    @Override
    public void deleteChunk(String sha256) {
        store.deleteChunk(storedName(sha256));
    }

    @Override
    public Set<String> chunks() {
        return store.chunks().stream().map(this::plainName).collect(Collectors.toSet());
    }

    @Override
    public void putManifest(UUID backup, byte[] json) {
        store.putManifest(backup, seal(json, "manifest:" + backup));
    }

    @Override
    public Optional<byte[]> manifest(UUID backup) {
        return store.manifest(backup).map(o -> open(o, "manifest:" + backup, "manifest " + backup));
    }

    @Override
    public List<UUID> manifests() {
        return store.manifests();
    }

    @Override
    public void deleteManifest(UUID backup) {
        store.deleteManifest(backup);
    }

    String storedName(String sha256) {
        return HexFormat.of().formatHex(names(Cipher.ENCRYPT_MODE, HexFormat.of().parseHex(BackupStore.chunkName(sha256))));
    }

    private String plainName(String stored) {
        return HexFormat.of().formatHex(names(Cipher.DECRYPT_MODE, HexFormat.of().parseHex(stored)));
    }

    private byte[] names(int mode, byte[] name) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(mode, keys().names(), new IvParameterSpec(new byte[16]));
            return c.doFinal(name);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is not available: " + e.getMessage(), e);
        }
    }

    private byte[] seal(byte[] plain, String objectName) {
        byte[] out = new byte[HEADER + plain.length + TAG_BITS / 8];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        System.arraycopy(keyIdBytes, 0, out, MAGIC.length, 16);
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, MAGIC.length + 16, NONCE);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, keys().objects(), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(out, 0, HEADER);
            c.updateAAD(objectName.getBytes(StandardCharsets.US_ASCII));
            c.doFinal(plain, 0, plain.length, out, HEADER);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    private byte[] open(byte[] sealed, String objectName, String what) {
        if (sealed.length < HEADER + TAG_BITS / 8 || !Arrays.equals(sealed, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw corrupt(what + " in store " + name() + " is not encrypted, but the store is (a store's "
                    + "encryption is set before its first backup)");
        }
        if (!Arrays.equals(sealed, MAGIC.length, MAGIC.length + 16, keyIdBytes, 0, 16)) {
            ByteBuffer b = ByteBuffer.wrap(sealed, MAGIC.length, 16);
            throw corrupt(what + " in store " + name() + " is encrypted with key " + new UUID(b.getLong(), b.getLong())
                    + ", not the store's key " + keyId);
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, keys().objects(),
                    new GCMParameterSpec(TAG_BITS, sealed, MAGIC.length + 16, NONCE));
            c.updateAAD(sealed, 0, HEADER);
            c.updateAAD(objectName.getBytes(StandardCharsets.US_ASCII));
            return c.doFinal(sealed, HEADER, sealed.length - HEADER);
        } catch (javax.crypto.AEADBadTagException e) {
            throw corrupt(what + " in store " + name() + " fails its authentication: changed, or stored under "
                    + "another name");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    private static TetherException corrupt(String detail) {
        return new TetherException(ErrorCode.BACKUP_CORRUPT, detail);
    }

    private Keys keys() {
        Keys k = keys;
        if (k != null) {
            return k;
        }
        synchronized (this) {
            if (keys == null) {
                keys = derive();
            }
            return keys;
        }
    }

    private Keys derive() {
        byte[] master;
        try {
            master = fetch.get();
        } catch (TetherException e) {
            if (e.code() == ErrorCode.OPENSTACK_UNAVAILABLE) {
                throw new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "store " + name() + " cannot fetch "
                        + "its key " + keyId + " from the key manager: " + e.getMessage());
            }
            throw e;
        }
        byte[] names = null;
        byte[] objects = null;
        try {
            if (master.length < 16) {
                throw new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "store " + name() + "'s key " + keyId
                        + " has " + master.length * 8 + " bits; a store's key has at least 128");
            }
            byte[] prk = hmac(SALT, master);
            names = hmac(prk, "chunk names\u0001".getBytes(StandardCharsets.US_ASCII));
            objects = hmac(prk, "objects\u0001".getBytes(StandardCharsets.US_ASCII));
            Arrays.fill(prk, (byte) 0);
            return new Keys(new SecretKeySpec(names, "AES"), new SecretKeySpec(objects, "AES"));
        } finally {
            Arrays.fill(master, (byte) 0);
            if (names != null) {
                Arrays.fill(names, (byte) 0);
                Arrays.fill(objects, (byte) 0);
            }
        }
    }

    /** HMAC-SHA256: HKDF's extract ({@code hmac(salt, ikm)}) and, with one block of output, its expand. */
    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available: " + e.getMessage(), e);
        }
    }
}
