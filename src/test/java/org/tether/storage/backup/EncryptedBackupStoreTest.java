package org.tether.storage.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A store sealed with a key manager's key, on a real directory store: what lands on disk, and what is refused. */
class EncryptedBackupStoreTest {
    private static final String KEY_ID = "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f";
    private static final byte[] PLAIN = "the guest's own words, many times over; ".repeat(200)
            .getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private static byte[] key(int fill) {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) fill);
        return k;
    }

    private EncryptedBackupStore sealed(Path root, String keyId, byte[] key) {
        return new EncryptedBackupStore(new DirectoryBackupStore("offsite", root), keyId, () -> key.clone());
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static List<Path> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void chunksAndManifestsRoundTripAndNeitherTheirBytesNorTheirHashesAreOnDisk() throws Exception {
        EncryptedBackupStore store = sealed(dir, KEY_ID, key(7));
        String sha = sha256(PLAIN);
        UUID backup = UUID.randomUUID();
        byte[] manifest = ("{\"volume_id\": \"a-volume\", \"chunks\": [\"" + sha + "\"]}").getBytes(StandardCharsets.UTF_8);
        store.putChunk(sha, PLAIN);
        store.putManifest(backup, manifest);

        assertThat(store.chunk(sha)).hasValue(PLAIN);
        assertThat(store.manifest(backup)).hasValue(manifest);
        assertThat(store.hasChunk(sha)).isTrue();
        assertThat(store.chunks()).containsExactly(sha);
        assertThat(store.manifests()).containsExactly(backup);

        byte[] needle = "the guest's own words".getBytes(StandardCharsets.US_ASCII);
        for (Path f : files(dir)) {
            byte[] b = Files.readAllBytes(f);
            assertThat(f.toString()).doesNotContain(sha);
            assertThat(contains(b, needle)).as("plaintext in " + f).isFalse();
            assertThat(new String(b, StandardCharsets.ISO_8859_1)).doesNotContain(sha).doesNotContain("a-volume");
        }
        store.deleteChunk(sha);
        assertThat(store.hasChunk(sha)).isFalse();
        assertThat(store.chunks()).isEmpty();
    }

    @Test
    void oneKeyNamesEqualContentAlikeAndAnotherKeyOtherwise() throws Exception {
        String sha = sha256(PLAIN);
        String a = sealed(dir.resolve("a"), KEY_ID, key(7)).storedName(sha);
        String b = sealed(dir.resolve("b"), KEY_ID, key(7)).storedName(sha);
        String c = sealed(dir.resolve("c"), KEY_ID, key(8)).storedName(sha);
        assertThat(a).isEqualTo(b).isNotEqualTo(c).isNotEqualTo(sha).matches("[0-9a-f]{64}");
    }

    @Test
    void aChangedByteOrAChunkUnderAnotherNameFailsItsAuthentication() throws Exception {
        EncryptedBackupStore store = sealed(dir, KEY_ID, key(7));
        byte[] other = "another chunk".getBytes(StandardCharsets.US_ASCII);
        String sha = sha256(PLAIN);
        String otherSha = sha256(other);
        store.putChunk(sha, PLAIN);
        store.putChunk(otherSha, other);
        Path one = dir.resolve("chunks").resolve(store.storedName(sha).substring(0, 2)).resolve(store.storedName(sha));
        Path two = dir.resolve("chunks").resolve(store.storedName(otherSha).substring(0, 2)).resolve(store.storedName(otherSha));

        Files.copy(two, one, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> store.chunk(sha)).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_CORRUPT);
            assertThat(e.getMessage()).contains(sha).contains("authentication");
        });

        byte[] b = Files.readAllBytes(two);
        b[b.length - 20] ^= 1;
        Files.write(two, b);
        assertThatThrownBy(() -> store.chunk(otherSha)).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_CORRUPT));
    }

    @Test
    void anObjectSealedWithAnotherKeyOrNotSealedIsNamedAsSuchAndNeverRead() throws Exception {
        UUID backup = UUID.randomUUID();
        sealed(dir, "0a0b0c0d-0000-4000-8000-000000000001", key(9)).putManifest(backup, "{}".getBytes(StandardCharsets.UTF_8));
        EncryptedBackupStore store = sealed(dir, KEY_ID, key(7));
        assertThatThrownBy(() -> store.manifest(backup)).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_CORRUPT);
            assertThat(e.getMessage()).contains("0a0b0c0d-0000-4000-8000-000000000001").contains(KEY_ID);
        });

        UUID plain = UUID.randomUUID();
        new DirectoryBackupStore("offsite", dir).putManifest(plain, "{\"format\": \"tether-backup/2\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.manifest(plain)).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.getMessage()).contains("is not encrypted"));
    }

    @Test
    void theKeyIsFetchedOnceAtFirstUseAnUnreachableKeyManagerIsAStoreUnavailableAndTheKeyIsZeroed() throws Exception {
        AtomicInteger fetches = new AtomicInteger();
        byte[][] handed = new byte[1][];
        boolean[] up = {false};
        EncryptedBackupStore store = new EncryptedBackupStore(new DirectoryBackupStore("offsite", dir), KEY_ID, () -> {
            fetches.incrementAndGet();
            if (!up[0]) {
                throw new TetherException(ErrorCode.OPENSTACK_UNAVAILABLE, "Barbican answered 503");
            }
            handed[0] = key(7);
            return handed[0];
        });
        String sha = sha256(PLAIN);
        assertThatThrownBy(() -> store.putChunk(sha, PLAIN)).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_STORE_UNAVAILABLE);
            assertThat(e.getMessage()).contains(KEY_ID);
        });
        assertThat(files(dir)).isEmpty();

        up[0] = true;
        store.putChunk(sha, PLAIN);
        assertThat(store.chunk(sha)).hasValue(PLAIN);
        assertThat(fetches.get()).isEqualTo(2);
        assertThat(handed[0]).containsOnly((byte) 0);
    }

    @Test
    void aKeyIdThatIsNoUuidOrAShortKeyIsRefused() {
        assertThatThrownBy(() -> sealed(dir, "my-key", key(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("encryption-key-id");
        EncryptedBackupStore store = sealed(dir, KEY_ID, new byte[8]);
        assertThatThrownBy(() -> store.hasChunk("0".repeat(64))).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.getMessage()).contains("64 bits"));
    }
    private static final String OLD_ID = "0a0b0c0d-0000-4000-8000-00000000000a";

    /** The store after a rotation: KEY_ID (key 7) current, OLD_ID (key 9) its previous key. */
    private EncryptedBackupStore rotated(Path root) {
        return new EncryptedBackupStore(new DirectoryBackupStore("offsite", root), KEY_ID, List.of(OLD_ID),
                id -> id.equals(KEY_ID) ? key(7) : id.equals(OLD_ID) ? key(9) : null);
    }

    private static String header(Path root, String prefix) throws Exception {
        for (Path f : files(root)) {
            if (f.getFileName().toString().startsWith(prefix)) {
                byte[] b = Files.readAllBytes(f);
                java.nio.ByteBuffer id = java.nio.ByteBuffer.wrap(b, 4, 16);
                return new UUID(id.getLong(), id.getLong()).toString();
            }
        }
        throw new AssertionError("no file " + prefix + " under " + root);
    }

    @Test
    void afterARotationWhatThePreviousKeySealedIsReadAndEverythingWrittenIsSealedWithTheNewKey() throws Exception {
        EncryptedBackupStore before = sealed(dir, OLD_ID, key(9));
        String sha = sha256(PLAIN);
        UUID old = UUID.randomUUID();
        byte[] oldManifest = ("{\"chunks\": [\"" + sha + "\"]}").getBytes(StandardCharsets.UTF_8);
        before.putChunk(sha, PLAIN);
        before.putManifest(old, oldManifest);

        EncryptedBackupStore store = rotated(dir);
        assertThat(store.manifest(old)).hasValue(oldManifest);
        assertThat(store.chunk(sha)).as("found under the previous key's name").hasValue(PLAIN);
        assertThat(store.hasChunk(sha)).as("a new backup does not reuse what only the old key sealed").isFalse();

        byte[] other = "written after the rotation".getBytes(StandardCharsets.US_ASCII);
        String otherSha = sha256(other);
        UUID next = UUID.randomUUID();
        store.putChunk(sha, PLAIN);
        store.putChunk(otherSha, other);
        store.putManifest(next, "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(header(dir, next.toString())).isEqualTo(KEY_ID);
        assertThat(header(dir, store.storedName(otherSha))).isEqualTo(KEY_ID);
        assertThat(header(dir, before.storedName(sha))).as("the old chunk is left as it was").isEqualTo(OLD_ID);
        assertThat(store.hasChunk(sha)).isTrue();
        assertThat(store.chunk(otherSha)).hasValue(other);

        // the old key dropped from the list too early: its objects are named, never read
        EncryptedBackupStore forgot = sealed(dir, KEY_ID, key(7));
        assertThatThrownBy(() -> forgot.manifest(old)).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_CORRUPT);
            assertThat(e.getMessage()).contains(OLD_ID).contains(KEY_ID);
        });
    }

    @Test
    void aCollectionAcrossKeysKeepsEveryNamedChunkWhicheverKeySealedItAndRemovesTheRest() throws Exception {
        EncryptedBackupStore before = sealed(dir, OLD_ID, key(9));
        byte[] a = "named, sealed before the rotation".getBytes(StandardCharsets.US_ASCII);
        byte[] b = "named by nothing, sealed before".getBytes(StandardCharsets.US_ASCII);
        byte[] c = "named, sealed after".getBytes(StandardCharsets.US_ASCII);
        byte[] d = "named by nothing, sealed after".getBytes(StandardCharsets.US_ASCII);
        before.putChunk(sha256(a), a);
        before.putChunk(sha256(b), b);
        EncryptedBackupStore store = rotated(dir);
        store.putChunk(sha256(c), c);
        store.putChunk(sha256(d), d);
        assertThat(files(dir)).hasSize(4);

        int removed = store.collect(java.util.Set.of(sha256(a), sha256(c)));

        assertThat(removed).isEqualTo(2);
        assertThat(files(dir)).hasSize(2);
        assertThat(store.chunk(sha256(a))).hasValue(a);
        assertThat(store.chunk(sha256(c))).hasValue(c);
        assertThat(store.chunk(sha256(b))).isEmpty();
        assertThat(store.chunk(sha256(d))).isEmpty();

        // one content under both keys' names: the previous key's copy goes at the next collection
        store.putChunk(sha256(a), a);
        assertThat(files(dir)).hasSize(3);
        assertThat(store.collect(java.util.Set.of(sha256(a), sha256(c)))).isEqualTo(1);
        assertThat(files(dir)).hasSize(2);
        assertThat(header(dir, store.storedName(sha256(a)))).isEqualTo(KEY_ID);
        assertThat(store.chunk(sha256(a))).hasValue(a);

        // under both names again: a delete takes both
        before.putChunk(sha256(a), a);
        assertThat(files(dir)).hasSize(3);
        store.deleteChunk(sha256(a));
        assertThat(store.chunk(sha256(a))).isEmpty();
        assertThat(files(dir)).hasSize(1);
    }

    @Test
    void aManifestAPreviousKeySealedIsSealedAgainWithTheCurrentOneAndOneTheCurrentKeySealedIsLeft() throws Exception {
        UUID old = UUID.randomUUID();
        byte[] body = "{\"chunks\": []}".getBytes(StandardCharsets.UTF_8);
        sealed(dir, OLD_ID, key(9)).putManifest(old, body);
        EncryptedBackupStore store = rotated(dir);
        assertThat(header(dir, old.toString())).isEqualTo(OLD_ID);

        assertThat(store.resealManifest(old)).isTrue();
        assertThat(header(dir, old.toString())).isEqualTo(KEY_ID);
        assertThat(sealed(dir, KEY_ID, key(7)).manifest(old)).as("read without the previous key").hasValue(body);
        assertThat(store.resealManifest(old)).isFalse();
        assertThat(store.resealManifest(UUID.randomUUID())).as("gone: nothing put back").isFalse();
        assertThat(files(dir)).hasSize(1);
    }

    @Test
    void aPreviousKeyListedTwiceOrAsTheCurrentOneIsRefused() {
        assertThatThrownBy(() -> new EncryptedBackupStore(new DirectoryBackupStore("offsite", dir), KEY_ID,
                List.of(KEY_ID), id -> key(7))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("encryption-previous-key-ids");
        assertThatThrownBy(() -> new EncryptedBackupStore(new DirectoryBackupStore("offsite", dir), KEY_ID,
                List.of(OLD_ID, OLD_ID), id -> key(7))).isInstanceOf(IllegalStateException.class);
    }
}
