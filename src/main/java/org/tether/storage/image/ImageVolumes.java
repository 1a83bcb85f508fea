package org.tether.storage.image;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.concurrent.KeyedLocks;
import org.tether.config.TetherConfig;
import org.tether.config.ImagesConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.ContentWriter;
import org.tether.storage.volume.CreateVolume;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeRecord.ImageOrigin;
import org.tether.storage.volume.VolumeRecord.State;
import org.tether.storage.volume.VolumeService;
import org.tether.storage.volume.VolumeStore;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Volumes made from images, with Cinder's image-volume cache: the first volume from an image's content
 * leaves a converted copy (a backend volume recorded as a cache entry, never listed); later ones are clones
 * of it (thin snapshots on LVM thin, reflinked or sparse copies of files, flattened clones on RBD), grown to
 * their size. Requests for one image's content wait for one download. Bounded by count and size, least
 * recently used first out; a changed image (another hash) is another entry.
 */
@ApplicationScoped
public class ImageVolumes {
    private static final Logger LOG = Logger.getLogger(ImageVolumes.class);

    private final VolumeService volumes;
    private final VolumeStore store;
    private final ImageImporter importer;
    private final ImagesConfig.Cache cache;
    private final TetherConfig.Mode mode;
    private final Clock clock;
    private final KeyedLocks contentLocks = new KeyedLocks();

    public ImageVolumes(VolumeService volumes, VolumeStore store, ImageImporter importer, TetherConfig config,
                        Clock clock) {
        this.volumes = volumes;
        this.store = store;
        this.importer = importer;
        this.cache = config.storage().images().cache();
        this.mode = config.mode();
        this.clock = clock;
    }

    void onStart(@Observes StartupEvent event) {
        if (mode != TetherConfig.Mode.COMPUTE) {
            int n = importer.clearScratch();
            if (n > 0) {
                LOG.infof("removed %d image download(s) a stop interrupted", n);
            }
        }
    }

    /** Reads the image's record (refusing what cannot fit) before anything is made, then makes the volume. */
    public VolumeRecord create(CreateVolume req, ImageRequest image) {
        ImageMeta meta = importer.describe(image, req.sizeGb());
        ImageOrigin origin = new ImageOrigin(meta.volumeImageMetadata(), null, null);
        return volumes.create(req.withImage(origin), (r, phases) -> write(r, image, meta, phases));
    }

    /** A volume from an image made encrypted: the request carrying the image's origin, and what writes it. */
    public record Encrypted(CreateVolume request, org.tether.storage.volume.EncryptedContent content) {
    }

    /**
     * The image's disk for a new encrypted volume: read (and refused when it cannot fit) before anything is made,
     * then written through the volume's LUKS header by qemu-img. Never through the cache: an entry is plaintext,
     * and a clone of it would be too (Cinder does not cache images for encrypted volumes either).
     */
    public Encrypted encrypted(CreateVolume req, ImageRequest image) {
        ImageMeta meta = importer.describe(image, req.sizeGb());
        return new Encrypted(req.withImage(new ImageOrigin(meta.volumeImageMetadata(), null, null)),
                (v, target, passphrase, phases) -> {
                    phases.phase(State.DOWNLOADING, 0);
                    importer.importInto(image, meta, v.sizeBytes() - org.tether.encryption.LuksFormatter.HEADER_ROOM,
                            size -> target, progress(phases), passphrase);
                });
    }

    private void write(VolumeRecord r, ImageRequest image, ImageMeta meta, ContentWriter.Phases phases) {
        VolumeBackend backend = volumes.pools().of(r).backend();
        if (clonedInStore(r, meta, backend)) {
            return;
        }
        String key = cache.enabled() ? meta.contentKey() : null;
        if (key == null) {
            phases.phase(State.DOWNLOADING, 0);
            backend.create(r.id(), r.sizeBytes(), r.thin());
            importer.importInto(image, meta, r.sizeBytes(), size -> backend.imageTarget(r.id(), r.thin()),
                    progress(phases));
            return;
        }
        // an entry serves its own pool: a clone is made by the backend that holds its source
        String pool = volumes.pools().nameOf(r);
        // a cache hit goes from creating to available (a clone takes no time worth a phase of its own); a volume
        // waiting for another request's download of the same image shows downloading meanwhile
        Optional<KeyedLocks.Held> free = contentLocks.tryLock(pool + "/" + key);
        if (free.isEmpty()) {
            phases.phase(State.DOWNLOADING, 0);
        }
        try (var held = free.isPresent() ? free.get() : contentLocks.lock(pool + "/" + key)) {
            VolumeRecord entry = entry(pool, key).orElse(null);
            if (entry == null) {
                if (free.isPresent()) {
                    phases.phase(State.DOWNLOADING, 0);
                }
                entry = fill(key, image, meta, r, backend, phases);
                phases.phase(State.CONVERTING, null);
            } else {
                if (entry.sizeGb() > r.sizeGb()) {
                    throw new TetherException(ErrorCode.IMAGE_TOO_LARGE, "size_gb",
                            "image " + meta.id() + " needs " + entry.sizeGb() + " GiB; the volume has " + r.sizeGb());
                }
                LOG.infof("volume %s from image %s: cloned from cache entry %s", r.id(), meta.id(), entry.id());
            }
            backend.cloneVolume(r.id(), r.sizeBytes(), r.thin(), entry.id());
            store.put(entry.withImage(new ImageOrigin(entry.image().metadata(), key, clock.instant()),
                    clock.instant()));
        }
        evict(pool, key);
    }

    /**
     * Cinder's {@code clone_image} rule: a raw image whose store is the volume's own cluster becomes the volume
     * in place (a copy-on-write clone on RBD), with no download, no conversion and no cache entry; anything
     * else is downloaded. A raw image's data is its disk, so its size must fit the volume.
     */
    private boolean clonedInStore(VolumeRecord r, ImageMeta meta, VolumeBackend backend) {
        if (meta.diskFormat() != ImageFormat.RAW || meta.locations().isEmpty()) {
            return false;
        }
        if (meta.size() != null && meta.size() > r.sizeBytes()) {
            throw new TetherException(ErrorCode.IMAGE_TOO_LARGE, "size_gb", "image " + meta.id() + " holds "
                    + meta.size() + " bytes of raw disk, more than the volume's " + r.sizeBytes());
        }
        return backend.cloneImage(r.id(), r.sizeBytes(), meta.size(), meta.locations());
    }

    /** Downloads and converts into a new cache entry the size of the image's disk; recorded before it is made. */
    private VolumeRecord fill(String key, ImageRequest image, ImageMeta meta, VolumeRecord first,
                              VolumeBackend backend, ContentWriter.Phases phases) {
        String pool = volumes.pools().nameOf(first);
        String name = pool.equals(volumes.pools().defaultPool().name()) ? key : pool + "/" + key;
        UUID id = UUID.nameUUIDFromBytes(("tether-image-cache:" + name).getBytes(StandardCharsets.UTF_8));
        VolumeRecord[] entry = {null};
        // the entry's own lock, held while it is half-made: a repair pass (which finishes any record still
        // creating whose lock is free) must not take it for the leftover of a crash
        try (var held = volumes.lock(id)) {
            importer.importInto(image, meta, first.sizeBytes(), virtualSize -> {
                int gb = (int) Math.max(1, (virtualSize + (1L << 30) - 1) >> 30);
                entry[0] = new VolumeRecord(id, gb, first.thin(), State.CREATING, null, null, null, List.of(),
                        List.of(), clock.instant(), clock.instant(), null,
                        new ImageOrigin(meta.volumeImageMetadata(), key, clock.instant()), first.placement());
                store.put(entry[0]);
                backend.create(id, entry[0].sizeBytes(), entry[0].thin());
                return backend.imageTarget(id, entry[0].thin());
            }, progress(phases));
            VolumeRecord ready = entry[0].inPhase(State.AVAILABLE, null, clock.instant());
            store.put(ready);
            LOG.infof("image %s cached as %s (%d GiB)", meta.id(), id, ready.sizeGb());
            return ready;
        } catch (RuntimeException e) {
            if (entry[0] != null) {
                removeEntry(entry[0]);
            }
            throw e;
        }
    }

    private Optional<VolumeRecord> entry(String pool, String key) {
        return entries().stream().filter(e -> e.image().cacheKey().equals(key)
                && volumes.pools().nameOf(e).equals(pool)).findFirst();
    }

    /** Cache entries ready to serve, least recently used first. */
    public List<VolumeRecord> entries() {
        return store.all().stream().filter(v -> v.cacheEntry() && v.state() == State.AVAILABLE)
                .sorted(Comparator.comparing(v -> v.image().lastUsed())).toList();
    }

    /**
     * Oldest entries of the pool out until its count and size are within bounds (per pool, as Cinder bounds
     * the cache per backend); the one just used and busy ones stay.
     */
    private void evict(String pool, String keep) {
        List<VolumeRecord> all = entries().stream().filter(e -> volumes.pools().nameOf(e).equals(pool)).toList();
        int count = all.size();
        long gb = all.stream().mapToLong(VolumeRecord::sizeGb).sum();
        for (VolumeRecord victim : all) {
            if (count <= cache.maxCount() && gb <= cache.maxSizeGb()) {
                return;
            }
            String key = victim.image().cacheKey();
            if (key.equals(keep)) {
                continue;
            }
            Optional<KeyedLocks.Held> free = contentLocks.tryLock(pool + "/" + key);
            if (free.isEmpty()) {
                continue;
            }
            try (var held = free.get()) {
                if (removeEntry(victim)) {
                    count--;
                    gb -= victim.sizeGb();
                    LOG.infof("image cache entry %s (image %s) evicted", victim.id(),
                            victim.image().metadata().get("image_id"));
                }
            }
        }
    }

    private boolean removeEntry(VolumeRecord entry) {
        try (var held = volumes.lock(entry.id())) {
            VolumeBackend backend = volumes.pools().of(entry).backend();
            store.put(entry.inPhase(State.DELETING, null, clock.instant()));
            backend.delete(entry.id(), entry.thin());
            store.remove(entry);
            return true;
        } catch (RuntimeException e) {
            LOG.errorf("image cache entry %s not removed (the next repair pass tries again): %s", entry.id(),
                    e.getMessage());
            return false;
        }
    }

    private static ImageImporter.Progress progress(ContentWriter.Phases phases) {
        return new ImageImporter.Progress() {
            @Override
            public void downloading(int percent) {
                phases.phase(State.DOWNLOADING, percent);
            }

            @Override
            public void converting() {
                phases.phase(State.CONVERTING, null);
            }
        };
    }
}
