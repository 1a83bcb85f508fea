package org.tether.storage.backup;

import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;

/**
 * The chunks of one backup hashed, compressed and stored by several workers while the caller reads the next
 * ones. Memory is bounded: {@code parallel + 1} chunk buffers go round (a reader waits for a free one), so a
 * 4 TiB volume costs what a 4 MiB one does. The first failure stops the reading; {@link #close} returns only
 * once no worker is left running, so nothing is written to the store after the backup has ended.
 */
final class ChunkUploads implements AutoCloseable {
    private final BackupStore store;
    private final ExecutorService pool;
    private final int buffers;
    private final BlockingQueue<byte[]> free;
    /** At most {@code parallel} chunks in the workers' hands; the reader fills one more meanwhile. */
    private final java.util.concurrent.Semaphore slots;
    private final String[] chunks;
    private final Set<String> known;
    private final Set<String> pins;
    private final Lock collection;
    private final AtomicLong stored = new AtomicLong();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final byte[] zeroes;
    private final Lookups lookups = new Lookups();

    /**
     * Whether asking the store for a chunk before sending it pays: a chunk found is not sent (deduplication), but
     * every question is a round trip, and the store's per-request cost is what limits a backup to a real S3 (RADOS
     * Gateway here: a HEAD ~25 ms). While the last 32 questions found nothing, only one chunk in 8 is asked about
     * and the others are sent straight away: a chunk sent again is the same bytes under the same name, so only
     * bandwidth is lost, never correctness. One found chunk makes every chunk asked about again.
     */
    static final class Lookups {
        private static final int WINDOW = 32;
        private int misses;
        private long turn;

        synchronized boolean worthAsking() {
            return misses < WINDOW || turn++ % 8 == 0;
        }

        synchronized boolean found(boolean found) {
            misses = found ? 0 : misses + 1;
            return found;
        }
    }

    /**
     * @param known      chunks this backup found in the store or wrote (the parent's to begin with): asked once
     * @param pins       chunks a collection must keep while this backup runs
     * @param collection held (shared) while a chunk is found or written, so a collection cannot take it between
     */
    ChunkUploads(BackupStore store, ExecutorService pool, int parallel, int chunkBytes, int chunkCount,
                 Set<String> known, Set<String> pins, Lock collection) {
        this.store = store;
        this.pool = pool;
        this.buffers = parallel + 1;
        this.free = new ArrayBlockingQueue<>(buffers);
        this.slots = new java.util.concurrent.Semaphore(parallel);
        for (int i = 0; i < buffers; i++) {
            free.add(new byte[chunkBytes]);
        }
        this.chunks = new String[chunkCount];
        this.known = known;
        this.pins = pins;
        this.collection = collection;
        this.zeroes = new byte[chunkBytes];
    }

    /** A buffer to read the next chunk into; waits while every buffer is in a worker's hands. */
    byte[] buffer() {
        byte[] b = take();
        RuntimeException f = failure.get();
        if (f != null) {
            free.add(b);
            throw f;
        }
        return b;
    }

    /** Chunk {@code index} ({@code len} bytes of {@code buf}, a buffer from {@link #buffer}) to the store. */
    void submit(int index, byte[] buf, int len) {
        slots.acquireUninterruptibly(); // a worker always gives its slot back: waiting is bounded by its call
        try {
            pool.execute(() -> {
                try {
                    if (failure.get() == null) {
                        store(index, buf, len);
                    }
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                } finally {
                    slots.release();
                    free.add(buf);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            slots.release();
            free.add(buf);
            throw new IllegalStateException("the agent is stopping", e);
        }
    }

    private void store(int index, byte[] buf, int len) {
        if (java.util.Arrays.mismatch(buf, 0, len, zeroes, 0, len) < 0) {
            return; // all zeroes: recorded as never written
        }
        String sha = BackupManifest.sha256(buf, len);
        if (known.add(sha)) {
            collection.lock();
            try {
                pins.add(sha);
                if (!lookups.worthAsking() || !lookups.found(store.hasChunk(sha))) {
                    byte[] frame = Zstd.compress(buf, len);
                    store.putChunk(sha, frame);
                    stored.addAndGet(frame.length);
                }
            } catch (RuntimeException e) {
                known.remove(sha);
                throw e;
            } finally {
                collection.unlock();
            }
        }
        chunks[index] = sha;
    }

    /** Chunk {@code index} is the parent's, unchanged since (null: never written or zero there too). */
    void unchanged(int index, String sha) {
        chunks[index] = sha;
    }

    long stored() {
        return stored.get();
    }

    /** Every chunk's name in order (null: never written or zero), once all are stored; the first failure. */
    java.util.List<String> finish() {
        drain();
        RuntimeException f = failure.get();
        if (f != null) {
            throw f;
        }
        return java.util.Arrays.asList(chunks);
    }

    /** Waits until no worker holds a buffer (every submitted chunk is done, stored or failed). */
    private void drain() {
        java.util.List<byte[]> back = new java.util.ArrayList<>(buffers);
        try {
            while (back.size() < buffers) {
                back.add(take());
            }
        } finally {
            free.addAll(back);
        }
    }

    private byte[] take() {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return free.take();
                } catch (InterruptedException e) {
                    interrupted = true; // a worker always gives its buffer back: waiting is bounded by its call
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        drain();
    }
}
