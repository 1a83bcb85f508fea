package org.tether.storage.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A manifest's own hash, and the directory store's files, without an agent. */
class BackupManifestTest {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());
    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);

    @TempDir
    Path dir;

    private static BackupManifest manifest(UUID id) {
        return new BackupManifest(BackupManifest.FORMAT, id, UUID.randomUUID(), 3L << 22, 1 << 22, null,
                Instant.parse("2026-12-06T01:00:00Z"), "c".repeat(64), 2L << 22, 1234, Arrays.asList(A, null, B), null, null, null)
                .sealed(JSON);
    }

    @Test
    void theContentDigestIsTheShaOfEachBlocksShaWithHolesAsZeroesAndAShortLastBlock(@TempDir Path tmp)
            throws Exception {
        int chunk = 64 * 1024;
        byte[] content = new byte[3 * chunk + 1000]; // data, a hole, data, a short block of data
        new java.util.SplittableRandom(5).nextBytes(content);
        Arrays.fill(content, chunk, 2 * chunk, (byte) 0);
        Path file = tmp.resolve("content");
        Files.write(file, content);
        java.util.List<String> chunks = Arrays.asList(BackupManifest.sha256(Arrays.copyOfRange(content, 0, chunk)),
                null, BackupManifest.sha256(Arrays.copyOfRange(content, 2 * chunk, 3 * chunk)),
                BackupManifest.sha256(Arrays.copyOfRange(content, 3 * chunk, content.length)));

        String digest = BackupManifest.contentSha256(chunks, content.length, chunk);
        assertThat(digest).isEqualTo(org.tether.lab.Digests.contentSha256(file, chunk));
        // an all-zero last block recorded as null hashes as its own length of zeroes
        Arrays.fill(content, 3 * chunk, content.length, (byte) 0);
        Files.write(file, content);
        assertThat(BackupManifest.contentSha256(Arrays.asList(chunks.get(0), null, chunks.get(2), null),
                content.length, chunk)).isEqualTo(org.tether.lab.Digests.contentSha256(file, chunk));
    }

    @Test
    void aSealedManifestReadsBackAndAnyChangeToItFailsItsHash() {
        UUID id = UUID.randomUUID();
        byte[] bytes = BackupManifest.bytes(JSON, manifest(id));
        BackupManifest read = BackupManifest.read(JSON, bytes, id);
        assertThat(read.chunks()).containsExactly(A, null, B);
        assertThat(read.manifestSha256()).hasSize(64);

        String text = new String(bytes, StandardCharsets.UTF_8);
        for (String changed : new String[] {text.replace(B, A), text.replace("\"bytes_read\":8388608", "\"bytes_read\":1"),
                text.replace("[\"" + A + "\",null,", "[\"" + A + "\",")}) {
            assertThat(changed).isNotEqualTo(text);
            assertThatThrownBy(() -> BackupManifest.read(JSON, changed.getBytes(StandardCharsets.UTF_8), id))
                    .isInstanceOfSatisfying(TetherException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_CORRUPT);
                        assertThat(e.getMessage()).contains("fails its hash");
                    });
        }
        assertThatThrownBy(() -> BackupManifest.read(JSON, bytes, UUID.randomUUID()))
                .hasMessageContaining("not a tether-backup/2 manifest of this backup");
        assertThatThrownBy(() -> BackupManifest.read(JSON, Arrays.copyOf(bytes, bytes.length / 2), id))
                .hasMessageContaining("does not parse");
    }

    @Test
    void aPlainBackupsManifestNamesNoEncryptionAndAnEncryptedOnesKeyIsCoveredByItsHash() {
        UUID id = UUID.randomUUID();
        String plain = new String(BackupManifest.bytes(JSON, manifest(id)), StandardCharsets.UTF_8);
        assertThat(plain).as("as the manifests written before encrypted backups").doesNotContain("encryption");

        BackupManifest p = manifest(id);
        BackupManifest encrypted = new BackupManifest(p.format(), id, p.volumeId(), p.sizeBytes(), p.chunkBytes(), null,
                p.createdAt(), p.contentSha256(), p.bytesRead(), p.bytesStored(), p.chunks(),
                new BackupManifest.Encryption("luks", "aes-xts-plain64", 256, "front-end", "key-one"), null, null).sealed(JSON);
        String text = new String(BackupManifest.bytes(JSON, encrypted), StandardCharsets.UTF_8);
        assertThat(text).contains("\"encryption_key_id\":\"key-one\"", "\"key_size\":256");
        assertThat(BackupManifest.read(JSON, text.getBytes(StandardCharsets.UTF_8), id).encryption().keyId())
                .isEqualTo("key-one");
        byte[] otherKey = text.replace("key-one", "key-two").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> BackupManifest.read(JSON, otherKey, id)).hasMessageContaining("fails its hash");
    }

    @Test
    void theDirectoryStoreListsOnlyWholeFilesUnderTheirNames() throws Exception {
        DirectoryBackupStore store = new DirectoryBackupStore("d", dir);
        byte[] frame = Zstd.compress(new byte[4096], 4096);
        store.putChunk(A, frame);
        store.putChunk(A, new byte[] {9}); // a chunk already there is left as it is
        assertThat(store.chunk(A)).hasValue(frame);
        assertThat(store.chunk(B)).isEmpty();
        byte[] back = new byte[4096];
        assertThat(Zstd.decompress(store.chunk(A).orElseThrow(), back)).isEqualTo(4096);

        UUID id = UUID.randomUUID();
        store.putManifest(id, "{}".getBytes(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve("manifests/.x.json.tmp"), "half");
        Files.writeString(dir.resolve("manifests/notes.json"), "{}");
        Files.writeString(dir.resolve("chunks/aa/." + A + ".1.tmp"), "half");
        assertThat(store.manifests()).containsExactly(id);
        assertThat(store.chunks()).containsExactly(A);
        assertThatThrownBy(() -> store.hasChunk("../../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        store.deleteChunk(A);
        store.deleteManifest(id);
        assertThat(store.chunks()).isEmpty();
        assertThat(store.manifests()).isEmpty();
    }
}
