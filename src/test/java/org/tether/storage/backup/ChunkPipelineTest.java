package org.tether.storage.backup;

import org.junit.jupiter.api.AfterEach;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The parallel chunk pipelines against an in-memory store: uploads keep the chunk order whatever order the
 * workers finish in, skip zero chunks, deduplicate within the backup, never hold more than parallel + 1
 * chunks, stop at the first failure and end with no worker still writing; downloads come back in order, and a
 * missing chunk is {@code backup_corrupt} naming it.
 */
class ChunkPipelineTest {
    private static final int CHUNK = 64 * 1024;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** A store in memory; {@code failAt} puts in, a put fails; counts puts and the most at once. */
    private static final class MemoryStore implements BackupStore {
        final Map<String, byte[]> chunks = new ConcurrentHashMap<>();
        final AtomicInteger puts = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger mostInFlight = new AtomicInteger();
        final int failAt;

        MemoryStore(int failAt) {
            this.failAt = failAt;
        }

        @Override
        public String name() {
            return "memory";
        }

        @Override
        public boolean hasChunk(String sha256) {
            return chunks.containsKey(sha256);
        }

        @Override
        public void putChunk(String sha256, byte[] frame) {
            int now = inFlight.incrementAndGet();
            mostInFlight.accumulateAndGet(now, Math::max);
            try {
                Thread.sleep((sha256.charAt(0) % 4) * 3L); // workers finish out of order
                if (puts.incrementAndGet() == failAt) {
                    throw new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "store went away");
                }
                chunks.put(sha256, frame);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public Optional<byte[]> chunk(String sha256) {
            return Optional.ofNullable(chunks.get(sha256));
        }

        @Override
        public void deleteChunk(String sha256) {
            chunks.remove(sha256);
        }

        @Override
        public Set<String> chunks() {
            return chunks.keySet();
        }

        @Override
        public void putManifest(UUID backup, byte[] json) {
        }

        @Override
        public Optional<byte[]> manifest(UUID backup) {
            return Optional.empty();
        }

        @Override
        public List<UUID> manifests() {
            return List.of();
        }

        @Override
        public void deleteManifest(UUID backup) {
        }
    }

    private static byte[] chunk(int seed) {
        byte[] b = new byte[CHUNK];
        new java.util.SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private List<String> upload(MemoryStore store, int parallel, byte[][] data) {
        try (ChunkUploads up = new ChunkUploads(store, pool, parallel, CHUNK, data.length,
                ConcurrentHashMap.newKeySet(), ConcurrentHashMap.newKeySet(), new ReentrantReadWriteLock().readLock())) {
            for (int i = 0; i < data.length; i++) {
                byte[] buf = up.buffer();
                System.arraycopy(data[i], 0, buf, 0, CHUNK);
                up.submit(i, buf, CHUNK);
            }
            return up.finish();
        }
    }

    @Test
    void uploadsKeepTheOrderSkipZeroesDeduplicateAndStayWithinTheirBuffers() {
        byte[][] data = new byte[40][];
        for (int i = 0; i < data.length; i++) {
            data[i] = i % 10 == 3 ? new byte[CHUNK] : chunk(i % 20); // 4 zero chunks; 20 repeated twice
        }
        MemoryStore store = new MemoryStore(-1);
        List<String> names = upload(store, 4, data);

        for (int i = 0; i < data.length; i++) {
            assertThat(names.get(i)).as("chunk " + i).isEqualTo(i % 10 == 3 ? null : BackupManifest.sha256(data[i], CHUNK));
        }
        assertThat(store.chunks).hasSize(18);
        assertThat(store.puts.get()).isEqualTo(18);
        assertThat(store.mostInFlight.get()).isBetween(2, 4);

        // back, in order, through the download window
        BackupManifest m = new BackupManifest(BackupManifest.FORMAT, UUID.randomUUID(), UUID.randomUUID(),
                (long) CHUNK * data.length, CHUNK, null, Instant.now(), "0".repeat(64), 0, 0, names, null, null, null);
        try (ChunkDownloads in = new ChunkDownloads(store, pool, 3, m)) {
            for (int i = 0; i < data.length; i++) {
                if (names.get(i) != null) {
                    assertThat(Arrays.copyOf(in.take(i), CHUNK)).as("chunk " + i).isEqualTo(data[i]);
                }
            }
        }
    }

    @Test
    void theFirstFailureStopsTheBackupAndNoWorkerWritesAfterIt() throws Exception {
        byte[][] data = new byte[64][];
        for (int i = 0; i < data.length; i++) {
            data[i] = chunk(100 + i);
        }
        MemoryStore store = new MemoryStore(5);
        assertThatThrownBy(() -> upload(store, 4, data)).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_STORE_UNAVAILABLE));
        int after = store.puts.get();
        assertThat(after).isLessThan(5 + 4 + 2); // those in flight finish; no chunk is read past the failure
        Thread.sleep(50);
        assertThat(store.puts.get()).isEqualTo(after);
        assertThat(store.inFlight.get()).isZero();
    }

    @Test
    void theStoreIsAskedLessWhileItHasNothingAndAgainOnceItHasSomething() {
        ChunkUploads.Lookups l = new ChunkUploads.Lookups();
        for (int i = 0; i < 32; i++) {
            assertThat(l.worthAsking()).isTrue();
            l.found(false);
        }
        int asked = 0;
        for (int i = 0; i < 64; i++) {
            if (l.worthAsking()) {
                asked++;
                l.found(false);
            }
        }
        assertThat(asked).isEqualTo(8);
        while (!l.worthAsking()) {
            // the next question comes
        }
        l.found(true);
        assertThat(l.worthAsking()).isTrue();
        assertThat(l.worthAsking()).isTrue();
    }

    @Test
    void aChunkMissingAtRestoreIsNamed() {
        byte[][] data = {chunk(1), chunk(2), chunk(3)};
        MemoryStore store = new MemoryStore(-1);
        List<String> names = upload(store, 2, data);
        store.chunks.remove(names.get(1));
        BackupManifest m = new BackupManifest(BackupManifest.FORMAT, UUID.randomUUID(), UUID.randomUUID(),
                3L * CHUNK, CHUNK, null, Instant.now(), "0".repeat(64), 0, 0, new ArrayList<>(names), null, null, null);
        try (ChunkDownloads in = new ChunkDownloads(store, pool, 2, m)) {
            in.take(0);
            assertThatThrownBy(() -> in.take(1)).isInstanceOfSatisfying(TetherException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_CORRUPT);
                assertThat(e.getMessage()).contains(names.get(1), "missing");
            });
        }
    }

    @Test
    void aChunkSizeWhoseBuffersDoNotFitTheHeapIsRefusedAtStartNamingBothSettings() {
        long unit = 96L << 20; // the unit's -Xmx96m
        BackupService.checkHeap(4 << 20, 4, unit); // the defaults: ~52 MiB of 72
        assertThatThrownBy(() -> BackupService.checkHeap(16 << 20, 4, unit))
                .hasMessageContaining("tether.backup.chunk-bytes=16777216 with tether.backup.parallel=4 needs ~208 MiB")
                .hasMessageContaining("the JVM's 96 MiB");
        BackupService.checkHeap(16 << 20, 4, 512L << 20);
        assertThatThrownBy(() -> BackupService.checkHeap(4 << 20, 16, unit)).hasMessageContaining("parallel=16");
    }
}
