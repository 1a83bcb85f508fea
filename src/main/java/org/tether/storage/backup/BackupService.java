package org.tether.storage.backup;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.config.BackupConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.JsonFileStore;
import org.tether.storage.volume.BlockReader;
import org.tether.storage.volume.BlockWriter;
import org.tether.storage.volume.CreateVolume;
import org.tether.storage.volume.DiffBases;
import org.tether.storage.volume.FileBlocks;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeService;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Backups of volumes into chunk stores ({@link BackupStore}), as cinder-backup's chunked driver keeps them, but
 * never reading what was never written: the volume is read from a temporary snapshot (so it stays usable, and
 * the backup is the volume as it was at one instant), cut into chunks; a chunk the volume never wrote (a hole
 * of the sparse file, an unprovisioned thin block) or that is all zeroes is only recorded; any other is named
 * by its SHA-256 and stored compressed unless the store has it already, from this volume's earlier backups or
 * another's (deduplication). An incremental names its parent; it stores only chunks that are new by the same
 * rule. The manifest goes last, so a backup is listed only when whole.
 */
@ApplicationScoped
public class BackupService {
    private static final Logger LOG = Logger.getLogger(BackupService.class);

    /** What the caller asks for. */
    public record Request(UUID id, String store, boolean incremental, boolean force) {
    }

    /** What a verification found. */
    public record Verified(UUID id, int chunks, @com.fasterxml.jackson.annotation.JsonProperty("bytes_checked")
                           long bytesChecked) {
    }

    private final VolumeService volumes;
    private final Map<String, BackupStore> stores = new LinkedHashMap<>();
    private final Optional<String> defaultStore;
    private final int chunkBytes;
    /** Chunks a backup stores, or a restore fetches, at once. */
    private final int parallel;
    private final java.util.concurrent.ExecutorService workers;
    private final JsonFileStore<BackupJob> journal;
    private final Clock clock;
    private final ObjectMapper json;
    private final BackupKeys keys;
    private final ManifestIndex index;
    /** Backups being made, restored, verified or deleted, and those that failed since the start. */
    private final Map<UUID, BackupView> work = new ConcurrentHashMap<>();
    /** Chunks a backup under way has written or relies on: never collected before its manifest names them. */
    private final Map<UUID, Set<String>> pinned = new ConcurrentHashMap<>();
    /** Held by a delete removing a manifest and by a re-seal replacing one. */
    private final Object manifestWrites = new Object();
    /** Held (shared) by a backup finding or writing a chunk, (alone) by a collection. */
    private final java.util.concurrent.locks.ReentrantReadWriteLock chunkLock =
            new java.util.concurrent.locks.ReentrantReadWriteLock();

    private final org.tether.metrics.OperationMetrics metrics;

    public BackupService(VolumeService volumes, TetherConfig config, Clock clock, ObjectMapper json, BackupKeys keys,
                         org.tether.metrics.OperationMetrics metrics) {
        this.volumes = volumes;
        this.metrics = metrics;
        this.keys = keys;
        this.index = new ManifestIndex(json);
        BackupConfig b = config.backup();
        java.util.function.Function<String, byte[]> storeKeys = config.cinder().authUrl().isPresent() ? keys::storeKey : null;
        b.stores().forEach((name, c) -> stores.put(name, BackupStores.of(name, c, storeKeys)));
        this.defaultStore = b.defaultStore();
        this.chunkBytes = b.chunkBytes();
        this.parallel = b.parallel();
        if (parallel < 1 || parallel > 64) {
            throw new IllegalStateException("tether.backup.parallel is from 1 to 64");
        }
        this.workers = java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tether-backup-chunks");
            t.setDaemon(true);
            return t;
        });
        if (chunkBytes < 65536 || chunkBytes > (64 << 20) || Integer.bitCount(chunkBytes) != 1) {
            throw new IllegalStateException("tether.backup.chunk-bytes is a power of two from 64 KiB to 64 MiB");
        }
        checkHeap(chunkBytes, parallel, Runtime.getRuntime().maxMemory());
        this.journal = new JsonFileStore<>(config.stateDir().resolve("backups"), BackupJob.class,
                j -> j.backupId().toString());
        this.clock = clock;
        this.json = json;
    }

    /**
     * Refuses a chunk size and parallelism whose buffers do not fit the heap: a backup holds about
     * {@code 3 * parallel + 1} chunks at once (one being read, and per worker its chunk, the compressed frame and
     * the HTTP client's copy of it), and more than three quarters of the heap for them ended in an
     * {@code OutOfMemoryError} half-way through a backup (16 MiB chunks, 4 workers, the unit's 96 MiB).
     */
    static void checkHeap(int chunkBytes, int parallel, long maxHeap) {
        long need = (3L * parallel + 1) * chunkBytes;
        if (need > maxHeap / 4 * 3) {
            throw new IllegalStateException("tether.backup.chunk-bytes=" + chunkBytes + " with tether.backup.parallel="
                    + parallel + " needs ~" + (need >> 20) + " MiB of heap for one backup's chunks, more than three "
                    + "quarters of the JVM's " + (maxHeap >> 20) + " MiB (-Xmx): lower either, or raise -Xmx");
        }
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        workers.shutdownNow();
        for (BackupStore s : stores.values()) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.warnf("backup store %s did not close cleanly: %s", s.name(), e.getMessage());
            }
        }
    }

    void onStart(@Observes StartupEvent event) {
        for (BackupJob j : journal.all()) {
            try {
                removeTemporaries(j);
                BackupStore s = stores.get(j.store());
                if (s == null || s.manifest(j.backupId()).isEmpty()) {
                    dropBase(j.volumeId(), j.backupId());
                    if (j.keyId() != null) {
                        keys.forget(j.keyId(), "copied for backup " + j.backupId() + ", which was interrupted");
                    }
                }
                if (s != null && s.manifest(j.backupId()).isEmpty()) {
                    collect(s);
                }
                journal.remove(j.backupId().toString());
                LOG.infof("backup %s of volume %s was interrupted; its temporary snapshot is removed", j.backupId(),
                        j.volumeId());
            } catch (RuntimeException e) {
                LOG.errorf("backup %s: temporaries not removed yet (next start tries again): %s", j.backupId(),
                        e.getMessage());
            }
        }
    }

    private BackupStore store(String name) {
        String chosen = name != null ? name : defaultStore.orElse(stores.size() == 1
                ? stores.keySet().iterator().next() : null);
        if (chosen == null) {
            throw new TetherException(ErrorCode.BACKUP_STORE_NOT_FOUND, "store", stores.isEmpty()
                    ? "this agent has no backup store (tether.backup.stores.<name>.*)"
                    : "name a store: one of " + stores.keySet());
        }
        BackupStore s = stores.get(chosen);
        if (s == null) {
            throw new TetherException(ErrorCode.BACKUP_STORE_NOT_FOUND, "store", "no backup store " + chosen
                    + "; there are " + stores.keySet());
        }
        return s;
    }

    // ---- reading ------------------------------------------------------------------------------------------

    /** Every backup every store holds, and the work under way; newest first. */
    public List<BackupView> list() {
        return list(null, null);
    }

    /**
     * The same, of one store only (its name checked: 400 when there is none such) and of one volume only, when
     * named; a store that cannot be reached fails the listing (503), so the caller never takes a missing
     * backup for a deleted one.
     */
    public List<BackupView> list(String storeName, UUID volumeId) {
        List<BackupStore> from = storeName == null ? List.copyOf(stores.values()) : List.of(store(storeName));
        Map<UUID, BackupView> out = new LinkedHashMap<>();
        for (BackupStore s : from) {
            List<UUID> listed = s.manifests();
            index.retain(s, listed);
            for (UUID id : listed) {
                try {
                    out.put(id, index.view(s, id));
                } catch (TetherException e) {
                    out.put(id, new BackupView(id, null, 0, s.name(), null, "error", 0, 0, null, null, null, null,
                            null, null, null, e.getMessage()));
                }
            }
        }
        work.values().stream().filter(w -> storeName == null || storeName.equals(w.store()))
                .forEach(w -> out.put(w.id(), w));
        return out.values().stream().filter(v -> volumeId == null || volumeId.equals(v.volumeId())).sorted(Comparator.comparing(BackupView::createdAt,
                Comparator.nullsFirst(Comparator.reverseOrder()))).toList();
    }

    public BackupView get(UUID id) {
        BackupView busy = work.get(id);
        if (busy != null) {
            return busy;
        }
        Located l = locate(id);
        return BackupView.of(l.manifest(), l.store().name(), "available");
    }

    private record Located(BackupStore store, BackupManifest manifest) {
    }

    private Located locate(UUID id) {
        for (BackupStore s : stores.values()) {
            Optional<byte[]> m = s.manifest(id);
            if (m.isPresent()) {
                return new Located(s, BackupManifest.read(json, m.get(), id));
            }
        }
        throw new TetherException(ErrorCode.BACKUP_NOT_FOUND, "id", "no backup " + id);
    }

    private BackupManifest manifest(BackupStore s, UUID id) {
        return index.manifest(s, id);
    }

    // ---- backup -------------------------------------------------------------------------------------------

    public BackupView create(UUID volumeId, Request req) {
        BackupStore store = store(req.store());
        UUID id = req.id() != null ? req.id() : UUID.randomUUID();
        VolumeRecord v = volumes.get(volumeId);
        if (v.state() != VolumeRecord.State.AVAILABLE) {
            throw new TetherException(ErrorCode.VOLUME_BUSY, "id", "volume " + volumeId + " is "
                    + v.state().name().toLowerCase() + ", not available");
        }
        if (!v.exports().isEmpty() && !req.force()) {
            throw new TetherException(ErrorCode.VOLUME_BUSY, "force", "volume " + volumeId + " is exported to "
                    + v.exports().get(0).initiator() + "; set force to back it up from a snapshot taken now");
        }
        VolumeBackend backend = volumes.pools().of(v).backend();
        if (!backend.backupReadable(volumeId)) {
            throw new TetherException(ErrorCode.BACKUP_UNSUPPORTED, "id", "volume " + volumeId + " is in pool "
                    + volumes.pools().nameOf(v) + ", whose snapshots this agent cannot read (an RBD pool needs "
                    + "the librados session: librados2 and librbd1, tether.storage.rbd.librbd)");
        }
        PhaseTimes times = new PhaseTimes();
        BackupManifest parent = req.incremental() ? parentOf(store, volumeId) : null;
        times.mark("parent");
        BackupJob job = start(store, id, volumeId, v.sizeBytes(), parent, req.id() != null);
        Optional<DiffBases> bases = backend.diffBases();
        boolean saved = false;
        try {
            BackupManifest.Encryption encryption = v.encryption() == null ? null : keyFor(job, v.encryption());
            snapshot(v, job, bases);
            times.mark("snapshot");
            BackupManifest m;
            try (BlockReader reader = reader(backend, bases, v, job, parent)) {
                times.mark("changes");
                m = write(store, job, reader, v.sizeBytes(), parent, encryption, null);
                times.mark("chunks");
            }
            store.putManifest(id, BackupManifest.bytes(json, m));
            saved = true;
            times.mark("manifest");
            bases.ifPresent(b -> dropOtherBases(b, volumeId, id));
            times.mark("bases");
            return made(store, m, times);
        } catch (RuntimeException e) {
            BackupView was = work.get(id);
            work.put(id, new BackupView(id, volumeId, v.sizeBytes(), store.name(), parent == null ? null : parent.id(),
                    "error", was.bytesRead(), was.bytesStored(), job.startedAt(), null, null, null, v.encryption() != null,
                    null, null, e.getMessage()));
            failed(store, e);
            throw e;
        } finally {
            pinned.remove(id);
            try {
                if (bases.isEmpty()) { // else the snapshot read is the base, kept or dropped below
                    removeTemporaries(job);
                }
                if (!saved && !store.manifest(id).isPresent()) { // a put that failed may still have landed
                    dropBase(volumeId, id);
                    collect(store); // the chunks of a backup that failed; its store may be away (the delete retries)
                    forgetKey(id, "copied for backup " + id + ", which failed");
                }
                journal.remove(id.toString());
            } catch (RuntimeException e) {
                LOG.errorf("backup %s: temporaries or chunks not removed yet (next start tries again): %s", id,
                        e.getMessage());
            }
        }
    }

    /** The volume's latest backup in the store, which an incremental builds on (400 when there is none). */
    private BackupManifest parentOf(BackupStore store, UUID volumeId) {
        return latest(store, volumeId).orElseThrow(() -> new TetherException(ErrorCode.BACKUP_PARENT_NOT_FOUND,
                "incremental", "store " + store.name() + " holds no backup of volume " + volumeId
                + " to build an incremental on"));
    }

    /** The backup under way, journalled (409 when the id is taken, in the store or by work under way). */
    private BackupJob start(BackupStore store, UUID id, UUID volumeId, long size, BackupManifest parent,
                            boolean idGiven) {
        BackupJob job = new BackupJob(id, volumeId, store.name(), clock.instant());
        // an id the agent drew now is in no store (a round trip saved); one the caller gave may be
        if (idGiven && store.manifest(id).isPresent()
                || work.putIfAbsent(id, progress(job, size, parent, 0, 0, "creating", null)) != null) {
            throw new TetherException(ErrorCode.BACKUP_BUSY, "id", "backup " + id + " exists");
        }
        pinned.put(id, ConcurrentHashMap.newKeySet());
        journal.put(job);
        return job;
    }

    /** {@code tether_backups_total{store, result}}: a backup that failed, by its problem's code. */
    private void failed(BackupStore store, RuntimeException e) {
        metrics.add("backups", 1, "store", store.name(), "result", e instanceof TetherException t ? t.code().code()
                : "internal");
    }

    private BackupView made(BackupStore store, BackupManifest m, PhaseTimes times) {
        LOG.infof("volume %s backed up to store %s as %s%s%s: %d bytes read, %d stored, %d of %d chunks never "
                + "written or zero; %s", m.volumeId(), store.name(), m.id(), m.parentId() == null ? ""
                : " (incremental of " + m.parentId() + ")", m.origin() == null ? "" : " from disk "
                + m.origin().disk() + " of running domain " + m.origin().domain() + (m.origin().quiesced()
                ? ", file systems frozen" : ", crash-consistent"), m.bytesRead(), m.bytesStored(),
                m.chunks().stream().filter(java.util.Objects::isNull).count(), m.chunks().size(), times);
        work.remove(m.id());
        metrics.add("backups", 1, "store", store.name(), "result", "ok");
        metrics.add("backup.read.bytes", m.bytesRead(), "store", store.name());
        metrics.add("backup.stored.bytes", m.bytesStored(), "store", store.name());
        return BackupView.of(m, store.name(), "available");
    }

    /** A disk at one instant, taken for a backup (a running domain's, on the compute side); closed once read. */
    public interface TakenDisk extends AutoCloseable {
        long size();

        BlockReader reader();

        BackupManifest.Origin origin();

        @Override
        void close();
    }

    /**
     * A backup of a volume as a running domain's disk holds it (compute mode), into the same stores in the same
     * format: {@code take} takes the instant for the backup id it is given. An incremental builds on the volume's
     * latest backup in the store, whichever side made it (the chunks it shares are not stored again). A failure
     * or a crash leaves no backup listed and its chunks are collected; what {@code take} made is its own to undo.
     */
    public BackupView createFromDisk(UUID volumeId, Request req, java.util.function.Function<UUID, TakenDisk> take) {
        BackupStore store = store(req.store());
        UUID id = req.id() != null ? req.id() : UUID.randomUUID();
        PhaseTimes times = new PhaseTimes();
        BackupManifest parent = req.incremental() ? parentOf(store, volumeId) : null;
        times.mark("parent");
        BackupJob job = start(store, id, volumeId, 0, parent, req.id() != null);
        boolean saved = false;
        try (TakenDisk disk = take.apply(id)) {
            times.mark("disk");
            BackupManifest m = write(store, job, disk.reader(), disk.size(), parent, null, disk.origin());
            times.mark("chunks");
            store.putManifest(id, BackupManifest.bytes(json, m));
            saved = true;
            times.mark("manifest");
            return made(store, m, times);
        } catch (RuntimeException e) {
            BackupView was = work.get(id);
            work.put(id, new BackupView(id, volumeId, was.sizeBytes(), store.name(), was.parentId(), "error",
                    was.bytesRead(), was.bytesStored(), job.startedAt(), null, null, null, null, null, null,
                    e.getMessage()));
            failed(store, e);
            throw e;
        } finally {
            pinned.remove(id);
            try {
                if (!saved && !store.manifest(id).isPresent()) { // a put that failed may still have landed
                    collect(store);
                }
                journal.remove(id.toString());
            } catch (RuntimeException e) {
                LOG.errorf("backup %s: chunks not collected yet (next start tries again): %s", id, e.getMessage());
            }
        }
    }

    /**
     * A LUKS volume is backed up as the ciphertext it holds, with its own copy of the volume's key (journalled
     * before anything else is made, so that a failure or the next start removes it).
     */
    private BackupManifest.Encryption keyFor(BackupJob job, VolumeRecord.Encryption e) {
        String copy = keys.copy(e.keyId(), "backup-" + job.backupId(), e.cipher());
        journal.put(job.withKey(copy));
        return new BackupManifest.Encryption(e.provider(), e.cipher(), e.keySize(), e.controlLocation(), copy);
    }

    /** The key copied for a backup that is not (or no longer) in its store, if one was. */
    private void forgetKey(UUID backupId, String why) {
        journal.get(backupId.toString()).map(BackupJob::keyId).ifPresent(k -> keys.forget(k, why));
    }

    /**
     * The volume at the backup's snapshot: read in place when the backend can (diffed against the parent's kept
     * snapshot when it keeps them), else through a temporary volume made from the snapshot.
     */
    private static BlockReader reader(VolumeBackend backend, Optional<DiffBases> bases, VolumeRecord v, BackupJob job,
                                      BackupManifest parent) {
        if (bases.isPresent()) {
            return bases.get().reader(v.id(), job.backupId(), parent == null ? null : parent.id());
        }
        return backend.snapshotReader(v.id(), job.snapshotId()).orElseGet(() -> {
            backend.createFromSnapshot(job.temporaryVolumeId(), v.sizeBytes(), v.thin(), v.id(), job.snapshotId());
            return FileBlocks.reader(Path.of(backend.devicePath(job.temporaryVolumeId())));
        });
    }

    /** One base per volume, the latest backup's; one left behind costs space only, so a failure here is a warning. */
    private static void dropOtherBases(DiffBases bases, UUID volumeId, UUID kept) {
        try {
            bases.dropExcept(volumeId, kept);
        } catch (RuntimeException e) {
            LOG.warnf("volume %s: older backup bases not removed yet (the next backup tries again): %s", volumeId,
                    e.getMessage());
        }
    }

    /** The base kept for a backup that failed or is deleted, if its volume is still here and keeps bases. */
    private void dropBase(UUID volumeId, UUID backupId) {
        volumes.find(volumeId).flatMap(v -> volumes.pools().of(v).backend().diffBases())
                .ifPresent(b -> b.drop(volumeId, backupId));
    }

    private BackupView progress(BackupJob job, long size, BackupManifest parent, long read, long stored, String state,
                                String detail) {
        return new BackupView(job.backupId(), job.volumeId(), size, job.store(), parent == null ? null : parent.id(),
                state, read, stored, job.startedAt(), null, null, null, null, null, null, detail);
    }

    private Optional<BackupManifest> latest(BackupStore store, UUID volumeId) {
        BackupView best = null;
        for (UUID id : store.manifests()) {
            BackupView m;
            try {
                m = index.view(store, id);
            } catch (TetherException e) {
                if (e.code() == ErrorCode.BACKUP_STORE_UNAVAILABLE) {
                    throw e;
                }
                LOG.warnf("store %s: %s; not a parent for an incremental", store.name(), e.getMessage());
                continue; // another backup's bad manifest does not stop this one
            }
            if (m.volumeId().equals(volumeId) && (best == null || m.createdAt().isAfter(best.createdAt()))) {
                best = m;
            }
        }
        return best == null ? Optional.empty() : Optional.of(manifest(store, best.id()));
    }

    /**
     * The volume as it is now, under its lock (a write in flight finishes first, a delete waits): the backup's
     * temporary snapshot, or, where the backend keeps bases, the snapshot that becomes this backup's base (removed
     * with the backup if it fails).
     */
    private void snapshot(VolumeRecord v, BackupJob job, Optional<DiffBases> bases) {
        try (var held = volumes.lock(v.id())) {
            VolumeRecord now = volumes.get(v.id());
            if (now.state() != VolumeRecord.State.AVAILABLE) {
                throw new TetherException(ErrorCode.VOLUME_BUSY, "id", "volume " + v.id() + " is "
                        + now.state().name().toLowerCase() + ", not available");
            }
            if (bases.isPresent()) {
                bases.get().take(v.id(), job.backupId());
            } else {
                volumes.pools().of(now).backend().createSnapshot(v.id(), job.snapshotId(), now.thin());
            }
        }
    }

    private void removeTemporaries(BackupJob job) {
        volumes.find(job.volumeId()).ifPresent(v -> {
            VolumeBackend backend = volumes.pools().of(v).backend();
            backend.delete(job.temporaryVolumeId(), v.thin());
            backend.deleteSnapshot(v.id(), job.snapshotId());
        });
    }

    private BackupManifest write(BackupStore store, BackupJob job, BlockReader in, long size, BackupManifest parent,
                                 BackupManifest.Encryption encryption, BackupManifest.Origin origin) {
        Set<String> pins = pinned.get(job.backupId());
        Set<String> known = ConcurrentHashMap.newKeySet(); // chunks found in the store or written: asked once
        if (parent != null) {
            parent.chunks().stream().filter(java.util.Objects::nonNull).forEach(known::add);
            pins.addAll(known);
        }
        int count = (int) ((size + chunkBytes - 1) / chunkBytes);
        long read = 0;
        List<String> chunks;
        try (ChunkUploads up = new ChunkUploads(store, workers, parallel, chunkBytes, count, known, pins,
                chunkLock.readLock())) {
            for (int i = 0; i < count; i++) {
                long off = (long) i * chunkBytes;
                int len = (int) Math.min(chunkBytes, size - off);
                if (!in.hasData(off, len)) {
                    continue; // never written: recorded, not read, hashed or sent
                }
                if (parent != null && !in.changed(off, len) && sameChunk(parent, off, len)) {
                    up.unchanged(i, parent.chunks().get(i)); // unchanged since the parent's snapshot: not read
                    continue;
                }
                byte[] buf = up.buffer();
                in.read(off, buf, len);
                read += len;
                up.submit(i, buf, len);
                work.put(job.backupId(), progress(job, size, parent, read, up.stored(), "creating", null));
            }
            chunks = up.finish();
            work.put(job.backupId(), progress(job, size, parent, read, up.stored(), "creating", null));
        }
        long stored = work.get(job.backupId()).bytesStored();
        return new BackupManifest(BackupManifest.FORMAT, job.backupId(), job.volumeId(), size, chunkBytes,
                parent == null ? null : parent.id(), clock.instant(),
                BackupManifest.contentSha256(chunks, size, chunkBytes), read, stored, chunks, encryption, origin, null)
                .sealed(json);
    }

    /** Whether the parent's chunk at {@code off} covers exactly the same bytes (same chunk size, not extended). */
    private boolean sameChunk(BackupManifest parent, long off, int len) {
        return parent.chunkBytes() == chunkBytes && off < parent.sizeBytes()
                && Math.min(chunkBytes, parent.sizeBytes() - off) == len;
    }

    // ---- restore and verify -------------------------------------------------------------------------------

    /**
     * Into a new volume in the default pool (the backup's size, or larger), made through the volume service so
     * that an interrupted restore leaves no volume behind as available, every chunk checked against its name (a
     * chunk that fails, or is missing, fails the restore and the new volume goes); or over an existing volume (available or in error, not exported, at least
     * as large), which a failed or interrupted restore leaves in error.
     */
    public VolumeRecord restore(UUID id, UUID volumeId, Integer sizeGb) {
        return metrics.record("backup.restore", () -> restoreCounted(id, volumeId, sizeGb));
    }

    private VolumeRecord restoreCounted(UUID id, UUID volumeId, Integer sizeGb) {
        if (volumeId != null && volumes.find(volumeId).isPresent()) {
            if (sizeGb != null) {
                throw TetherException.invalid("size_gb", "size_gb is for a new volume; volume " + volumeId + " exists");
            }
            Located l = locate(id);
            BackupManifest m = l.manifest();
            requireSameKey(m, volumes.get(volumeId));
            if (work.putIfAbsent(id, BackupView.of(m, l.store().name(), "restoring")) != null) {
                throw new TetherException(ErrorCode.BACKUP_BUSY, "id", "backup " + id + " is " + work.get(id).state());
            }
            try {
                return volumes.overwrite(volumeId, m.sizeBytes(), (r, phases) -> {
                    VolumeBackend backend = volumes.pools().of(r).backend();
                    if (!backend.backupReadable(r.id())) {
                        throw new TetherException(ErrorCode.BACKUP_UNSUPPORTED, "volume_id", "volume " + r.id()
                                + " cannot be written by this agent (an RBD pool needs the librados session)");
                    }
                    try (BlockWriter out = backend.writer(r.id(), r.thin())) {
                        writeInto(l.store(), m, out, false, phases); // the old data must not show through
                    }
                });
            } finally {
                work.remove(id);
            }
        }
        Located l = locate(id);
        BackupManifest m = l.manifest();
        int minGb = (int) ((m.sizeBytes() + (1L << 30) - 1) >> 30);
        int gb = sizeGb == null ? minGb : sizeGb;
        if (gb < minGb) {
            throw TetherException.invalid("size_gb", "backup " + id + " holds " + m.sizeBytes() + " bytes; size_gb is "
                    + "at least " + minGb);
        }
        UUID target = volumeId != null ? volumeId : UUID.randomUUID();
        if (work.putIfAbsent(id, BackupView.of(m, l.store().name(), "restoring")) != null) {
            throw new TetherException(ErrorCode.BACKUP_BUSY, "id", "backup " + id + " is "
                    + work.get(id).state());
        }
        BackupManifest.Encryption e = m.encryption();
        String volumeKey = null;
        try {
            // a restored LUKS volume gets its own copy of the backup's key: deleting either leaves the other whole
            volumeKey = e == null ? null : keys.copy(e.keyId(), "volume-" + target, e.cipher());
            CreateVolume req = new CreateVolume(target, gb, true, null, null, Map.of());
            if (e != null) {
                req = req.withEncryption(new VolumeRecord.Encryption(e.provider(), e.cipher(), e.keySize(),
                        e.controlLocation(), volumeKey, true));
            }
            return volumes.create(req, (r, phases) -> {
                VolumeBackend backend = volumes.pools().of(r).backend();
                if (!backend.backupReadable(r.id())) {
                    throw new TetherException(ErrorCode.BACKUP_UNSUPPORTED, "volume_id", "the default pool's "
                            + "volumes cannot be written by this agent (an RBD pool needs the librados session)");
                }
                backend.create(r.id(), r.sizeBytes(), r.thin());
                phases.phase(VolumeRecord.State.DOWNLOADING, 0);
                try (BlockWriter out = backend.writer(r.id(), r.thin())) {
                    writeInto(l.store(), m, out, backend.imageTarget(r.id(), r.thin()).readsZero(), phases);
                }
            });
        } catch (RuntimeException failed) {
            if (volumeKey != null && volumes.find(target).isEmpty()) {
                keys.forget(volumeKey, "copied for volume " + target + ", whose restore failed");
            }
            throw failed;
        } finally {
            work.remove(id);
        }
    }

    /**
     * A backup goes over an existing volume only when the volume's key opens what it holds: both plain, or both
     * LUKS with the same key bytes (the volume it was made of, still keyed as it was). Anything else would leave a
     * volume whose record says how to open it, and whose content opens otherwise.
     */
    private void requireSameKey(BackupManifest m, VolumeRecord target) {
        BackupManifest.Encryption e = m.encryption();
        VolumeRecord.Encryption has = target.encryption();
        if (e == null && has == null) {
            return;
        }
        if (e == null || has == null || !keys.same(e.keyId(), has.keyId())) {
            throw new TetherException(ErrorCode.BACKUP_UNSUPPORTED, "volume_id", "backup " + m.id() + " holds "
                    + (e == null ? "a plain volume" : "a LUKS volume") + " and volume " + target.id() + " is "
                    + (has == null ? "plain" : e == null ? "encrypted" : "encrypted with another key")
                    + "; restore it into a new volume");
        }
    }

    /**
     * Every chunk into the volume at its offset; each is checked against its name as it comes (so the content
     * written is the content digested in the manifest, whose own hash was checked when it was read). Chunks
     * recorded as never written are written as zeroes unless the volume reads zero there already.
     */
    private void writeInto(BackupStore store, BackupManifest m, BlockWriter out, boolean readsZero,
                           org.tether.storage.volume.ContentWriter.Phases phases) {
        String expected = BackupManifest.contentSha256(m.chunks(), m.sizeBytes(), m.chunkBytes());
        if (!expected.equals(m.contentSha256())) {
            throw BackupManifest.corrupt(m.id(), "its chunk list makes content " + expected + ", not the "
                    + m.contentSha256() + " backed up");
        }
        byte[] zeroes = readsZero ? null : new byte[m.chunkBytes()];
        int lastPercent = 0;
        try (ChunkDownloads in = new ChunkDownloads(store, workers, parallel, m)) {
            for (int i = 0; i < m.chunks().size(); i++) {
                long off = (long) i * m.chunkBytes();
                int len = (int) Math.min(m.chunkBytes(), m.sizeBytes() - off);
                if (m.chunks().get(i) == null) {
                    if (!readsZero) {
                        out.write(off, zeroes, len);
                    }
                    continue;
                }
                out.write(off, in.take(i), len);
                int percent = (int) (100L * (i + 1) / m.chunks().size());
                if (percent >= lastPercent + 5) {
                    phases.phase(VolumeRecord.State.DOWNLOADING, percent);
                    lastPercent = percent;
                }
            }
        }
        out.flush();
    }

    /** Reads every chunk the backup names back from its store and checks each against its hash. */
    public Verified verify(UUID id) {
        Located l = locate(id);
        BackupManifest m = l.manifest();
        String expected = BackupManifest.contentSha256(m.chunks(), m.sizeBytes(), m.chunkBytes());
        if (!expected.equals(m.contentSha256())) {
            throw BackupManifest.corrupt(id, "its chunk list makes content " + expected + ", not the "
                    + m.contentSha256() + " backed up");
        }
        long checked = 0;
        int n = 0;
        try (ChunkDownloads in = new ChunkDownloads(l.store(), workers, parallel, m)) {
            for (int i = 0; i < m.chunks().size(); i++) {
                if (m.chunks().get(i) != null) {
                    in.take(i);
                    checked += (int) Math.min(m.chunkBytes(), m.sizeBytes() - (long) i * m.chunkBytes());
                    n++;
                }
            }
        }
        return new Verified(id, n, checked);
    }

    // ---- delete -------------------------------------------------------------------------------------------

    /**
     * The manifest first (the backup is gone from every listing at once), then every chunk no other manifest
     * names and no backup under way relies on. Refused while a later incremental names this one as its parent.
     */
    public void delete(UUID id) {
        BackupView failed = work.get(id);
        if (failed != null && failed.state().equals("error")) {
            // what the failed backup wrote goes now (503 while its store is away: the entry stays to retry)
            int collected = collect(store(failed.store()));
            forgetKey(id, "copied for backup " + id + ", which failed");
            work.remove(id);
            journal.remove(id.toString());
            LOG.infof("failed backup %s forgotten; %d chunk(s) no backup names collected from store %s", id,
                    collected, failed.store());
            return;
        }
        if (failed != null) {
            throw new TetherException(ErrorCode.BACKUP_BUSY, "id", "backup " + id + " is " + failed.state());
        }
        // found by the manifest's presence alone: a corrupt backup can be deleted too
        BackupStore store = stores.values().stream().filter(s -> s.manifest(id).isPresent()).findFirst()
                .orElseThrow(() -> new TetherException(ErrorCode.BACKUP_NOT_FOUND, "id", "no backup " + id));
        List<UUID> children = new ArrayList<>();
        for (UUID other : store.manifests()) {
            try {
                if (!other.equals(id) && id.equals(index.view(store, other).parentId())) {
                    children.add(other);
                }
            } catch (TetherException e) {
                // an unreadable manifest names no parent anyone can restore through; the collection below
                // keeps every chunk while it cannot be read
            }
        }
        if (!children.isEmpty()) {
            throw new TetherException(ErrorCode.BACKUP_BUSY, "id", "backup " + id + " is the parent of incremental "
                    + "backup(s) " + children + "; delete those first");
        }
        UUID volumeId = null;
        String key = null;
        try {
            BackupView m = index.view(store, id);
            volumeId = m.volumeId();
            key = m.encryptionKeyId();
        } catch (TetherException e) {
            // unreadable: its volume and key are unknown; the base it may have left goes with the next backup
        }
        synchronized (manifestWrites) {
            store.deleteManifest(id);
        }
        index.forget(store, id);
        if (key != null) {
            keys.forget(key, "copied for backup " + id + ", deleted");
        }
        if (volumeId != null) {
            try {
                dropBase(volumeId, id);
            } catch (RuntimeException e) {
                LOG.warnf("backup %s: its snapshot on volume %s not removed yet (the next backup does): %s", id,
                        volumeId, e.getMessage());
            }
        }
        int collected = collect(store);
        LOG.infof("backup %s deleted from store %s; %d chunk(s) no backup names any more collected", id,
                store.name(), collected);
    }

    /** What a re-seal did: manifests sealed again with the current key, chunks copied under it, old copies removed. */
    public record Resealed(String store, int manifests, int chunks,
                           @com.fasterxml.jackson.annotation.JsonProperty("removed_chunks") int removedChunks) {
    }

    /**
     * Finishes a sealed store's key rotation: every backup a previous key sealed is sealed again with the current
     * one, its chunks first (each read with the key that sealed it, authenticated, and written under the current
     * key's name), then its manifest; the previous keys' copies are then collected. The backups stay readable
     * throughout (a chunk is looked for under every key's name, and a manifest is replaced whole). Once it is done
     * with no backup running meanwhile, the store's previous keys can be dropped from its configuration.
     */
    public Resealed reseal(String storeName) {
        if (storeName == null || !stores.containsKey(storeName)) {
            throw new TetherException(ErrorCode.BACKUP_STORE_NOT_FOUND, "store", "no backup store " + storeName
                    + " (stores: " + stores.keySet() + ")");
        }
        BackupStore store = stores.get(storeName);
        if (!(store instanceof EncryptedBackupStore sealed) || !sealed.hasPreviousKeys()) {
            throw TetherException.invalid("store", "store " + storeName + " has no previous key to re-seal from "
                    + "(tether.backup.stores." + storeName + ".encryption-previous-key-ids)");
        }
        int manifests = 0;
        int chunks = 0;
        for (UUID id : store.manifests()) {
            BackupManifest m;
            try {
                m = manifest(store, id);
            } catch (TetherException e) {
                if (e.code() == ErrorCode.BACKUP_NOT_FOUND) {
                    index.forget(store, id);
                    continue; // deleted meanwhile
                }
                throw e;
            }
            chunkLock.readLock().lock(); // a collection waits: a chunk copied is named by the manifest already
            try {
                for (String sha : new java.util.LinkedHashSet<>(m.chunks())) {
                    if (sha != null && !store.hasChunk(sha)) {
                        byte[] frame = store.chunk(sha).orElseThrow(() -> BackupManifest.corrupt(id,
                                "its chunk " + sha + " is missing from store " + storeName));
                        store.putChunk(sha, frame);
                        chunks++;
                    }
                }
            } finally {
                chunkLock.readLock().unlock();
            }
            synchronized (manifestWrites) { // not put back after a delete that came in between
                if (sealed.resealManifest(id)) {
                    manifests++;
                }
            }
        }
        int removed = collect(store);
        LOG.infof("store %s re-sealed with its current key: %d manifest(s), %d chunk(s) copied, %d copies under "
                + "previous keys removed", storeName, manifests, chunks, removed);
        return new Resealed(storeName, manifests, chunks, removed);
    }

    /** Removes the chunks no manifest of the store names and no backup under way relies on. */
    int collect(BackupStore store) {
        chunkLock.writeLock().lock();
        try {
            return collectLocked(store);
        } finally {
            chunkLock.writeLock().unlock();
        }
    }

    private int collectLocked(BackupStore store) {
        Set<String> named = new HashSet<>();
        for (UUID id : store.manifests()) {
            try {
                manifest(store, id).chunks().stream().filter(java.util.Objects::nonNull).forEach(named::add);
            } catch (TetherException e) {
                LOG.warnf("store %s: %s; nothing is collected while a manifest cannot be read", store.name(),
                        e.getMessage());
                return 0;
            }
        }
        pinned.values().forEach(named::addAll);
        return store.collect(named);
    }
}
