package org.tether.storage.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Manifests are read once for what listings and chains need; a corrupt one is refused at every read. */
class ManifestIndexTest {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    /** Manifests only, counting the reads. */
    private static final class Manifests implements BackupStore {
        final Map<UUID, byte[]> manifests = new ConcurrentHashMap<>();
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public String name() {
            return "counted";
        }

        @Override
        public boolean hasChunk(String sha256) {
            return false;
        }

        @Override
        public void putChunk(String sha256, byte[] frame) {
        }

        @Override
        public Optional<byte[]> chunk(String sha256) {
            return Optional.empty();
        }

        @Override
        public void deleteChunk(String sha256) {
        }

        @Override
        public Set<String> chunks() {
            return Set.of();
        }

        @Override
        public void putManifest(UUID backup, byte[] json) {
            manifests.put(backup, json);
        }

        @Override
        public Optional<byte[]> manifest(UUID backup) {
            reads.incrementAndGet();
            return Optional.ofNullable(manifests.get(backup));
        }

        @Override
        public List<UUID> manifests() {
            return new ArrayList<>(manifests.keySet());
        }

        @Override
        public void deleteManifest(UUID backup) {
            manifests.remove(backup);
        }
    }

    private static UUID backup(Manifests store, UUID volume, UUID parent) {
        UUID id = UUID.randomUUID();
        BackupManifest m = new BackupManifest(BackupManifest.FORMAT, id, volume, 1L << 22, 1 << 22, parent,
                Instant.now(), "0".repeat(64), 0, 0, Arrays.asList((String) null), null, null, null).sealed(JSON);
        store.putManifest(id, BackupManifest.bytes(JSON, m));
        return id;
    }

    @Test
    void eachManifestIsReadOnceForItsSummaryAndWholeWhenAsked() {
        Manifests store = new Manifests();
        ManifestIndex index = new ManifestIndex(JSON);
        UUID volume = UUID.randomUUID();
        UUID full = backup(store, volume, null);
        UUID inc = backup(store, volume, full);

        assertThat(index.view(store, inc).parentId()).isEqualTo(full);
        assertThat(index.view(store, full).volumeId()).isEqualTo(volume);
        assertThat(store.reads.get()).isEqualTo(2);
        for (int i = 0; i < 5; i++) {
            index.view(store, full);
            index.view(store, inc);
        }
        assertThat(store.reads.get()).as("summaries come from memory").isEqualTo(2);
        assertThat(index.manifest(store, inc).chunks()).hasSize(1);
        assertThat(store.reads.get()).as("a whole manifest (its chunks) is always read").isEqualTo(3);

        store.deleteManifest(inc);
        index.retain(store, store.manifests());
        assertThatThrownBy(() -> index.view(store, inc)).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_NOT_FOUND));
    }

    @Test
    void aCorruptManifestIsNeverKeptAndRefusedAtEachRead() {
        Manifests store = new Manifests();
        ManifestIndex index = new ManifestIndex(JSON);
        UUID id = backup(store, UUID.randomUUID(), null);
        String text = new String(store.manifests.get(id), java.nio.charset.StandardCharsets.UTF_8);
        store.manifests.put(id, text.replace("\"size_bytes\":4194304", "\"size_bytes\":8388608")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (int i = 1; i <= 2; i++) {
            assertThatThrownBy(() -> index.view(store, id)).isInstanceOfSatisfying(TetherException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_CORRUPT));
            assertThat(store.reads.get()).isEqualTo(i);
        }
    }
}
