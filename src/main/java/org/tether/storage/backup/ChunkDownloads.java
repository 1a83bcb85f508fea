package org.tether.storage.backup;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The chunks of a backup fetched, decompressed and checked against their names by several workers ahead of
 * the caller, who takes them in order (a restore writes them and hashes the whole content as it goes). At
 * most {@code parallel} chunks are fetched ahead; closing cancels what is still pending.
 */
final class ChunkDownloads implements AutoCloseable {
    private record Pending(int index, Future<byte[]> chunk) {
    }

    private final BackupStore store;
    private final ExecutorService pool;
    private final BackupManifest manifest;
    private final int parallel;
    private final List<Integer> withData = new ArrayList<>();
    private final Deque<Pending> ahead = new ArrayDeque<>();
    private int next;

    ChunkDownloads(BackupStore store, ExecutorService pool, int parallel, BackupManifest manifest) {
        this.store = store;
        this.pool = pool;
        this.parallel = parallel;
        this.manifest = manifest;
        for (int i = 0; i < manifest.chunks().size(); i++) {
            if (manifest.chunks().get(i) != null) {
                withData.add(i);
            }
        }
    }

    /** The bytes of chunk {@code index}, which names a chunk; indexes are asked for in increasing order. */
    byte[] take(int index) {
        while (ahead.size() < parallel && next < withData.size()) {
            int i = withData.get(next++);
            ahead.add(new Pending(i, pool.submit(() -> fetch(i))));
        }
        Pending p = ahead.poll();
        if (p == null || p.index() != index) {
            throw new IllegalStateException("chunk " + index + " asked for out of order");
        }
        try {
            return p.chunk().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while chunk " + index + " was fetched", e);
        }
    }

    private byte[] fetch(int index) {
        int len = (int) Math.min(manifest.chunkBytes(), manifest.sizeBytes() - (long) index * manifest.chunkBytes());
        byte[] buf = new byte[manifest.chunkBytes()];
        into(store, manifest.id(), manifest.chunks().get(index), buf, len);
        return buf;
    }

    /** One chunk read, decompressed and checked against its name into {@code buf}. */
    static void into(BackupStore store, UUID backup, String sha, byte[] buf, int len) {
        byte[] frame = store.chunk(sha).orElseThrow(() -> BackupManifest.corrupt(backup, "chunk " + sha
                + " is missing from store " + store.name()));
        int n;
        try {
            n = Zstd.decompress(frame, buf);
        } catch (IllegalArgumentException e) {
            throw BackupManifest.corrupt(backup, "chunk " + sha + " does not decompress (" + e.getMessage() + ")");
        }
        if (n != len || !BackupManifest.sha256(buf, n).equals(sha)) {
            throw BackupManifest.corrupt(backup, "chunk " + sha + " holds other bytes than its name says");
        }
    }

    @Override
    public void close() {
        for (Pending p : ahead) {
            p.chunk().cancel(false);
        }
        ahead.clear();
    }
}
