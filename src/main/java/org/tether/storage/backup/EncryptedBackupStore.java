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
 * manager that cannot be reached then is the store being unavailable (503, retryable).
 *
 * <p>Rotation: a store given a new key keeps its earlier ones as previous keys
 * ({@code encryption-previous-key-ids}). Everything written from then on is sealed and named with the new key;
 * an object sealed with a previous key is opened with it (its header names it), and a chunk not found under
 * the new key's name is looked for under each previous key's. A new backup does not reuse a chunk only a
 * previous key sealed (it is written again under the new key); an incremental still names its parent's. A chunk
 * is kept while a manifest names it under some key's reading of its name, until the current key holds it too;
 * {@link #resealManifest} seals a manifest again. An object sealed with a key the store does not list is reported
 * as such, never read.
 */
final class EncryptedBackupStore implements BackupStore {
    private static final byte[] MAGIC = {'T', 'B', 'E', '1'};
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final int HEADER = MAGIC.length + 16 + NONCE;
    private static final byte[] SALT = "tether-backup-store/1".getBytes(StandardCharsets.US_ASCII);

    private final BackupStore store;
    /** The current key first, then the previous ones, newest first. */
    private final List<Key> ring;
    private final SecureRandom random = new SecureRandom();

    private record Keys(SecretKeySpec names, SecretKeySpec objects) {
    }

    /** One key of the store: its id, as stored in each object's header, and its two derived keys, once fetched. */
    private final class Key {
        private final String id;
        private final byte[] idBytes;
        private final Supplier<byte[]> fetch;
        private volatile Keys derived;

        private Key(String id, Supplier<byte[]> fetch) {
            UUID uuid;
            try {
                uuid = UUID.fromString(id);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("tether.backup.stores." + store.name() + ".encryption-key-id and "
                        + "encryption-previous-key-ids are key manager's secret ids (UUIDs), not " + id);
            }
            this.id = id;
            this.idBytes = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                    .putLong(uuid.getLeastSignificantBits()).array();
            this.fetch = fetch;
        }

        private Keys keys() {
            Keys k = derived;
            if (k != null) {
                return k;
            }
            synchronized (this) {
                if (derived == null) {
                    derived = derive(this);
                }
                return derived;
            }
        }
    }

    /**
     * @param keyId the key manager's id of the key (a UUID, as Barbican's secrets have)
     * @param fetch the key's bytes (at least 128 bits); zeroed here once the two keys are derived
     */
    EncryptedBackupStore(BackupStore store, String keyId, Supplier<byte[]> fetch) {
        this(store, keyId, List.of(), id -> fetch.get());
    }

    /**
     * @param keyId          the current key: everything written is sealed and named with it
     * @param previousKeyIds keys the store had before, newest first: what they sealed is still read
     * @param fetch          a key's bytes by its id (at least 128 bits); zeroed here once its two keys are derived
     */
    EncryptedBackupStore(BackupStore store, String keyId, List<String> previousKeyIds,
                         java.util.function.Function<String, byte[]> fetch) {
        this.store = store;
        List<Key> keys = new java.util.ArrayList<>();
        keys.add(new Key(keyId, () -> fetch.apply(keyId)));
        for (String previous : previousKeyIds) {
            if (keys.stream().anyMatch(k -> k.id.equals(previous))) {
                throw new IllegalStateException("tether.backup.stores." + store.name() + ".encryption-previous-key-ids "
                        + "lists " + previous + " twice, or with the current key");
            }
            keys.add(new Key(previous, () -> fetch.apply(previous)));
        }
        this.ring = List.copyOf(keys);
    }

    private Key current() {
        return ring.get(0);
    }

    @Override
    public String name() {
        return store.name();
    }

    @Override
    public void close() {
        store.close();
    }

    /** Whether the chunk is there under the current key's name (one only a previous key sealed is written again). */
    @Override
    public boolean hasChunk(String sha256) {
        return store.hasChunk(storedName(current(), sha256));
    }

    @Override
    public void putChunk(String sha256, byte[] frame) {
        String stored = storedName(current(), sha256);
        store.putChunk(stored, seal(frame, "chunk:" + stored));
    }

    @Override
    public Optional<byte[]> chunk(String sha256) {
        for (Key k : ring) {
            String stored = storedName(k, sha256);
            Optional<byte[]> sealed = store.chunk(stored);
            if (sealed.isPresent()) {
                return Optional.of(open(sealed.get(), "chunk:" + stored, "chunk " + sha256));
            }
        }
        return Optional.empty();
    }

    /** Deletes the chunk under every key's name for it. */
    @Override
    public void deleteChunk(String sha256) {
        for (Key k : ring) {
            store.deleteChunk(storedName(k, sha256));
        }
    }

    /** The chunks' names as the current key reads them (for a store with previous keys, see {@link #collect}). */
    @Override
    public Set<String> chunks() {
        return store.chunks().stream().map(n -> plainName(current(), n)).collect(Collectors.toSet());
    }

    /**
     * A stored chunk is kept when a key of the store reads its name as a chunk a manifest names: its name does not
     * say which key made it, and a reading under the wrong key is noise that names nothing (so the error a wrong
     * reading could make is a chunk kept, never one removed). A copy a previous key sealed is removed once the same
     * chunk is stored under the current key, so the objects a previous key sealed go with the backups that need
     * them.
     */
    @Override
    public int collect(Set<String> named) {
        Set<String> stored = store.chunks();
        Set<String> current = new java.util.HashSet<>();
        for (String n : stored) {
            String plain = plainName(current(), n);
            if (named.contains(plain)) {
                current.add(plain);
            }
        }
        int removed = 0;
        for (String n : stored) {
            if (current.contains(plainName(current(), n))) {
                continue;
            }
            boolean onlyCopy = false;
            for (Key k : ring.subList(1, ring.size())) {
                String plain = plainName(k, n);
                if (named.contains(plain) && !current.contains(plain)) {
                    onlyCopy = true;
                    break;
                }
            }
            if (!onlyCopy) {
                store.deleteChunk(n);
                removed++;
            }
        }
        return removed;
    }

    @Override
    public void putManifest(UUID backup, byte[] json) {
        store.putManifest(backup, seal(json, "manifest:" + backup));
    }

    @Override
    public Optional<byte[]> manifest(UUID backup) {
        return store.manifest(backup).map(o -> open(o, "manifest:" + backup, "manifest " + backup));
    }

    /**
     * Seals the backup's manifest again with the current key, when a previous key sealed it (its chunks are the
     * caller's to have under the current key first).
     *
     * @return whether it was sealed again; false when the current key sealed it or it is gone
     */
    boolean resealManifest(UUID backup) {
        Optional<byte[]> sealed = store.manifest(backup);
        if (sealed.isEmpty() || sealedWith(sealed.get()) == current()) {
            return false;
        }
        store.putManifest(backup, seal(open(sealed.get(), "manifest:" + backup, "manifest " + backup),
                "manifest:" + backup));
        return true;
    }

    /** Whether the store has keys other than its current one (a rotation not finished). */
    boolean hasPreviousKeys() {
        return ring.size() > 1;
    }

    @Override
    public List<UUID> manifests() {
        return store.manifests();
    }

    @Override
    public void deleteManifest(UUID backup) {
        store.deleteManifest(backup);
    }

    /** The chunk's name under the current key. */
    String storedName(String sha256) {
        return storedName(current(), sha256);
    }

    private String storedName(Key k, String sha256) {
        return HexFormat.of().formatHex(names(k, Cipher.ENCRYPT_MODE,
                HexFormat.of().parseHex(BackupStore.chunkName(sha256))));
    }

    private String plainName(Key k, String stored) {
        return HexFormat.of().formatHex(names(k, Cipher.DECRYPT_MODE, HexFormat.of().parseHex(stored)));
    }

    private byte[] names(Key k, int mode, byte[] name) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
            c.init(mode, k.keys().names(), new IvParameterSpec(new byte[16]));
            return c.doFinal(name);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is not available: " + e.getMessage(), e);
        }
    }

    private byte[] seal(byte[] plain, String objectName) {
        byte[] out = new byte[HEADER + plain.length + TAG_BITS / 8];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        Key k = current();
        System.arraycopy(k.idBytes, 0, out, MAGIC.length, 16);
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, MAGIC.length + 16, NONCE);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, k.keys().objects(), new GCMParameterSpec(TAG_BITS, nonce));
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
        Key k = sealedWith(sealed);
        if (k == null) {
            ByteBuffer b = ByteBuffer.wrap(sealed, MAGIC.length, 16);
            throw corrupt(what + " in store " + name() + " is encrypted with key " + new UUID(b.getLong(), b.getLong())
                    + ", not the store's key " + current().id + (ring.size() > 1 ? " nor one of its previous keys "
                    + ring.subList(1, ring.size()).stream().map(key -> key.id).toList() : ""));
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, k.keys().objects(),
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

    /** The store's key named in a sealed object's header, or null (none of the store's, or no header). */
    private Key sealedWith(byte[] sealed) {
        if (sealed.length < HEADER) {
            return null;
        }
        return ring.stream().filter(key -> Arrays.equals(sealed, MAGIC.length, MAGIC.length + 16, key.idBytes, 0, 16))
                .findFirst().orElse(null);
    }

    private static TetherException corrupt(String detail) {
        return new TetherException(ErrorCode.BACKUP_CORRUPT, detail);
    }

    private Keys derive(Key key) {
        byte[] master;
        try {
            master = key.fetch.get();
        } catch (TetherException e) {
            if (e.code() == ErrorCode.OPENSTACK_UNAVAILABLE) {
                throw new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "store " + name() + " cannot fetch "
                        + "its key " + key.id + " from the key manager: " + e.getMessage());
            }
            throw e;
        }
        byte[] names = null;
        byte[] objects = null;
        try {
            if (master.length < 16) {
                throw new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "store " + name() + "'s key " + key.id
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
