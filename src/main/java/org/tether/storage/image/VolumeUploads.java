package org.tether.storage.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.digest.Digests;
import org.tether.openstack.GlanceClient;
import org.tether.config.TetherConfig;
import org.tether.config.ImagesConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.JsonFileStore;
import org.tether.storage.volume.VolumeBackend;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeService;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A volume into a new Glance image, Cinder's {@code copy_volume_to_image} ({@code os-volume_upload_image}):
 * the data is read from a temporary snapshot (taken under the volume's lock, so the volume stays usable and
 * the image is the volume as it was at that moment), converted by qemu-img into raw or qcow2 in the scratch
 * directory, hashed (md5 for Glance's {@code checksum}, sha512 for {@code os_hash_value}), sent, and checked
 * against what Glance then says it holds. An exported volume needs {@code force}, as Cinder asks it for an
 * in-use volume; an encrypted one is refused, as Cinder refuses it when it cannot copy the key. Each upload is
 * recorded before anything is made; the next start removes what a crash left (the image unless verified, the
 * temporaries always).
 */
@ApplicationScoped
public class VolumeUploads {
    private static final Logger LOG = Logger.getLogger(VolumeUploads.class);
    /** Image fields Glance sets itself or that describe the source image rather than this one. */
    private static final Set<String> NOT_COPIED = Set.of("image_id", "image_name", "checksum", "container_format",
            "disk_format", "min_disk", "min_ram", "size", "os_hash_algo", "os_hash_value", "id", "name", "status",
            "visibility", "owner", "protected", "virtual_size");
    private static final Set<String> VISIBILITIES = Set.of("private", "shared", "community", "public");

    /** What the caller asks for. */
    /**
     * @param format   raw or qcow2; null with {@code existing}: the image's own
     * @param existing the image is registered already (queued): only its data is given ({@link UploadRecord})
     */
    public record Request(UUID imageId, String name, ImageFormat format, String visibility, boolean force,
                          boolean existing) {
        public Request(UUID imageId, String name, ImageFormat format, String visibility, boolean force) {
            this(imageId, name, format, visibility, force, false);
        }
    }

    /** The image as Glance holds it once verified. */
    /** @param copiedInStore the data was copied inside the storage Glance shares (no hash: Glance computes none) */
    public record Uploaded(UUID imageId, UUID volumeId, String diskFormat, String containerFormat, long size,
                           String checksum, String osHashAlgo, String osHashValue, String status,
                           boolean copiedInStore) {
    }

    /** An upload in progress, for {@code GET /v1/image-uploads}. */
    public record Running(UUID imageId, UUID volumeId, String diskFormat, String phase) {
    }

    private final VolumeService volumes;
    private final GlanceClient glance;
    private final QemuImg qemuImg;
    private final Path scratchDir;
    private final JsonFileStore<UploadRecord> journal;
    private final Clock clock;
    private final TetherConfig.Mode mode;
    private final ObjectMapper json;
    private final Map<UUID, Running> running = new ConcurrentHashMap<>();

    public VolumeUploads(VolumeService volumes, GlanceClient glance, org.tether.exec.CommandRunner runner,
                         TetherConfig config, Clock clock, ObjectMapper json) {
        this.volumes = volumes;
        this.glance = glance;
        ImagesConfig images = config.storage().images();
        this.qemuImg = new QemuImg(runner, images.infoCpuSeconds(), images.infoAddressSpaceMb(),
                images.convertTimeout(), json);
        this.scratchDir = images.scratchDir();
        this.journal = new JsonFileStore<>(config.stateDir().resolve("image-uploads"), UploadRecord.class,
                r -> r.imageId().toString());
        this.clock = clock;
        this.mode = config.mode();
        this.json = json;
    }

    void onStart(@Observes StartupEvent event) {
        if (mode == TetherConfig.Mode.COMPUTE) {
            return;
        }
        for (UploadRecord r : journal.all()) {
            try {
                undo(r);
                LOG.infof("upload of volume %s to image %s, interrupted, %s", r.volumeId(), r.imageId(),
                        r.phase() == UploadRecord.Phase.DONE ? "finished" : "undone");
            } catch (RuntimeException e) {
                LOG.errorf("upload of volume %s to image %s not cleaned up yet (next start tries again): %s",
                        r.volumeId(), r.imageId(), e.getMessage());
            }
        }
    }

    public List<Running> running() {
        return List.copyOf(running.values());
    }

    public Uploaded upload(UUID volumeId, Request req) {
        if (!glance.configured()) {
            throw new TetherException(ErrorCode.CINDER_NOT_CONFIGURED, "this agent has no tether.cinder.auth-url "
                    + "to reach Glance with");
        }
        if (req.existing()) {
            req = givenImage(req);
        }
        if (req.format() != ImageFormat.RAW && req.format() != ImageFormat.QCOW2) {
            throw TetherException.invalid("disk_format", "a volume is uploaded as raw or qcow2");
        }
        if (req.visibility() != null && !VISIBILITIES.contains(req.visibility())) {
            throw TetherException.invalid("visibility", "visibility is one of " + VISIBILITIES);
        }
        VolumeRecord v = volumes.get(volumeId);
        refuse(v, req.force());
        UploadRecord record = new UploadRecord(req.imageId(), volumeId, req.format().glanceName(),
                req.existing() ? UploadRecord.Phase.GIVEN : UploadRecord.Phase.STARTED, clock.instant());
        journal.put(record);
        Path file = scratchDir.resolve("upload-" + req.imageId() + ".part");
        try {
            phase(record, "snapshot");
            takeSnapshot(v, record);
            if (!req.existing()) {
                phase(record, "registering");
                record = register(record, imageBody(v, req));
            }
            VolumeBackend backend = volumes.pools().of(v).backend();
            Uploaded done;
            phase(record, "copying");
            Optional<String> location = req.format() == ImageFormat.RAW
                    ? backend.copyToImageStore(v.id(), record.snapshotId(), req.imageId()) : Optional.empty();
            if (location.isPresent()) {
                phase(record, "verifying");
                record = filling(record);
                glance.addLocation(req.imageId(), location.get());
                done = verifyLocation(req.imageId(), volumeId, v.sizeBytes());
            } else {
                phase(record, "converting");
                backend.createFromSnapshot(record.temporaryVolumeId(), v.sizeBytes(), v.thin(), v.id(),
                        record.snapshotId());
                Files.createDirectories(scratchDir);
                qemuImg.export(backend.imageTarget(record.temporaryVolumeId(), v.thin()).path(), req.format(), file);
                String[] digests = digests(file);
                phase(record, "uploading");
                record = filling(record);
                glance.upload(req.imageId(), file);
                phase(record, "verifying");
                done = verify(req.imageId(), volumeId, Files.size(file), digests[0], digests[1]);
            }
            journal.put(record.done());
            undo(record.done());
            LOG.infof("volume %s uploaded to Glance as image %s (%s, %d bytes%s)", volumeId, req.imageId(),
                    req.format().glanceName(), done.size(), done.copiedInStore() ? ", copied inside Ceph" : "");
            return done;
        } catch (IOException e) {
            fail(record);
            throw new TetherException(ErrorCode.INSUFFICIENT_SCRATCH_SPACE, "cannot write the image under "
                    + scratchDir + ": " + e.getMessage());
        } catch (RuntimeException e) {
            fail(record);
            throw e;
        } finally {
            running.remove(req.imageId());
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warnf("could not remove %s: %s", file, e.getMessage());
            }
        }
    }

    /**
     * An image the caller registered: it must be queued (no data yet) and raw or qcow2; its disk format is the
     * upload's, and one asked for must agree with it.
     */
    private Request givenImage(Request req) {
        JsonNode image = glance.findImage(req.imageId()).orElseThrow(() -> new TetherException(
                ErrorCode.IMAGE_NOT_FOUND, "image_id", "Glance has no image " + req.imageId() + " this agent may see"));
        String status = image.path("status").asText();
        if (!status.equals("queued")) {
            throw new TetherException(ErrorCode.IMAGE_EXISTS, "image_id", "image " + req.imageId() + " is " + status
                    + ", not queued: it has its data already");
        }
        ImageFormat format = ImageFormat.ofGlanceName(image.path("disk_format").asText(""))
                .filter(f -> f == ImageFormat.RAW || f == ImageFormat.QCOW2)
                .orElseThrow(() -> TetherException.invalid("disk_format", "image " + req.imageId() + " is "
                        + image.path("disk_format").asText("of no format") + "; a volume is uploaded as raw or qcow2"));
        if (req.format() != null && req.format() != format) {
            throw TetherException.invalid("disk_format", "image " + req.imageId() + " is " + format.glanceName()
                    + ", not " + req.format().glanceName());
        }
        if (!image.path("container_format").asText("bare").equals("bare")) {
            throw TetherException.invalid("container_format", "image " + req.imageId() + " has container_format "
                    + image.path("container_format").asText() + "; a volume is uploaded as bare");
        }
        return new Request(req.imageId(), image.path("name").asText(null), format, null, req.force(), true);
    }

    /**
     * Glance's record of the new image, journalled as asked before it is asked and as made once made. An image
     * id Glance already has is someone else's image: the record goes back to {@code STARTED}, so that undoing
     * this upload leaves that image alone.
     */
    private UploadRecord register(UploadRecord record, ObjectNode body) {
        UploadRecord asking = record.in(UploadRecord.Phase.REGISTERING);
        journal.put(asking);
        try {
            glance.createImage(body);
        } catch (TetherException e) {
            if (e.code() == ErrorCode.IMAGE_EXISTS) {
                journal.put(record);
                throw new TetherException(ErrorCode.IMAGE_EXISTS, "image_id", e.getMessage());
            }
            throw e;
        }
        UploadRecord made = record.in(UploadRecord.Phase.REGISTERED);
        journal.put(made);
        return made;
    }

    private static void refuse(VolumeRecord v, boolean force) {
        if (v.state() != VolumeRecord.State.AVAILABLE) {
            throw new TetherException(ErrorCode.VOLUME_BUSY, "id", "volume " + v.id() + " is "
                    + v.state().name().toLowerCase() + ", not available");
        }
        if (v.encryption() != null) {
            throw new TetherException(ErrorCode.VOLUME_ENCRYPTED, "id", "volume " + v.id() + " is encrypted; its "
                    + "key would have to be copied for the image, which Tether does not do (Cinder refuses too "
                    + "when it cannot)");
        }
        if (!v.exports().isEmpty() && !force) {
            throw new TetherException(ErrorCode.VOLUME_BUSY, "force", "volume " + v.id() + " is exported to "
                    + v.exports().get(0).initiator() + "; set force to upload it from a snapshot taken now");
        }
    }

    private void phase(UploadRecord r, String phase) {
        running.put(r.imageId(), new Running(r.imageId(), r.volumeId(), r.diskFormat(), phase));
    }

    /** A snapshot of the volume taken under its lock: the image is the volume as it was at that moment. */
    private void takeSnapshot(VolumeRecord v, UploadRecord r) {
        VolumeBackend backend = volumes.pools().of(v).backend();
        try (var held = volumes.lock(v.id())) {
            VolumeRecord now = volumes.get(v.id());
            if (now.state() != VolumeRecord.State.AVAILABLE) {
                throw new TetherException(ErrorCode.VOLUME_BUSY, "id", "volume " + v.id() + " is "
                        + now.state().name().toLowerCase() + ", not available");
            }
            backend.createSnapshot(v.id(), r.snapshotId(), v.thin());
        }
    }

    private ObjectNode imageBody(VolumeRecord v, Request req) {
        ObjectNode body = json.createObjectNode();
        if (v.image() != null) {
            new java.util.TreeMap<>(v.image().metadata()).forEach((k, val) -> {
                if (!NOT_COPIED.contains(k)) {
                    body.put(k, val);
                }
            });
        }
        body.put("id", req.imageId().toString()).put("name", req.name())
                .put("disk_format", req.format().glanceName()).put("container_format", "bare")
                .put("visibility", req.visibility() == null ? "private" : req.visibility());
        return body;
    }

    /** md5 (Glance's checksum) and sha512 (its os_hash_value) of the file, in one read. */
    private static String[] digests(Path file) throws IOException {
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file); Digests.Running d = Digests.running("MD5", "SHA-512")) {
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
            return new String[] {d.hex(0), d.hex(1)};
        }
    }

    /** Glance must hold exactly the bytes sent: active, of that size, with those hashes. */
    private Uploaded verify(UUID imageId, UUID volumeId, long size, String md5, String sha512) {
        JsonNode image = glance.findImage(imageId).orElseThrow(() -> new TetherException(
                ErrorCode.IMAGE_UPLOAD_FAILED, "Glance lost image " + imageId + " after its data was sent"));
        String status = image.path("status").asText();
        String algo = image.path("os_hash_algo").asText(null);
        String hash = image.path("os_hash_value").asText(null);
        boolean hashOk = hash == null || !"sha512".equals(algo) || hash.equalsIgnoreCase(sha512);
        if (!status.equals("active") || image.path("size").asLong(-1) != size
                || !md5.equalsIgnoreCase(image.path("checksum").asText("")) || !hashOk) {
            throw new TetherException(ErrorCode.IMAGE_UPLOAD_FAILED, "Glance holds image " + imageId + " as "
                    + status + " with " + image.path("size").asLong(-1) + " bytes and checksum "
                    + image.path("checksum").asText("none") + "; sent " + size + " bytes with checksum " + md5);
        }
        return new Uploaded(imageId, volumeId, image.path("disk_format").asText(),
                image.path("container_format").asText(), size, md5, algo, hash, status, false);
    }

    /**
     * An image given its data as a location in Glance's own store: active, of the volume's size. Glance reads
     * the size from the store and computes no hash for a location, so the answer has none.
     */
    private Uploaded verifyLocation(UUID imageId, UUID volumeId, long size) {
        JsonNode image = glance.findImage(imageId).orElseThrow(() -> new TetherException(
                ErrorCode.IMAGE_UPLOAD_FAILED, "Glance lost image " + imageId + " after its location was added"));
        String status = image.path("status").asText();
        if (!status.equals("active") || image.path("size").asLong(-1) != size) {
            throw new TetherException(ErrorCode.IMAGE_UPLOAD_FAILED, "Glance holds image " + imageId + " as "
                    + status + " with " + image.path("size").asLong(-1) + " bytes; its location holds " + size);
        }
        return new Uploaded(imageId, volumeId, image.path("disk_format").asText(),
                image.path("container_format").asText(), size, null, null, null, status, true);
    }

    /** A caller's image about to be given its data: from here on a failure removes it ({@link UploadRecord}). */
    private UploadRecord filling(UploadRecord r) {
        if (r.phase() != UploadRecord.Phase.GIVEN) {
            return r;
        }
        UploadRecord next = r.in(UploadRecord.Phase.FILLING);
        journal.put(next);
        return next;
    }

    /** Undoes what a failed upload made; what cannot be undone now stays recorded for the next start. */
    private void fail(UploadRecord r) {
        try {
            undo(r);
        } catch (RuntimeException e) {
            LOG.errorf("upload of volume %s to image %s failed and is not cleaned up yet (next start tries "
                    + "again): %s", r.volumeId(), r.imageId(), e.getMessage());
        }
    }

    /** The caller's image is gone or still queued: no location of it names the copy in the image store. */
    private boolean notPointingAtTheCopy(UUID imageId) {
        return !glance.configured() || glance.findImage(imageId)
                .map(image -> image.path("status").asText().equals("queued")).orElse(true);
    }

    /**
     * The temporaries always go; the Glance image (and its copy in the image store) unless it was verified, and
     * only when it is this upload's ({@link UploadRecord}); then the record.
     */
    private void undo(UploadRecord r) {
        if (glance.configured()) {
            switch (r.phase()) {
                case REGISTERED -> glance.deleteImage(r.imageId());
                case REGISTERING -> glance.findImage(r.imageId())
                        .filter(image -> image.path("status").asText().equals("queued"))
                        .ifPresent(image -> glance.deleteImage(r.imageId()));
                case FILLING -> glance.findImage(r.imageId()).ifPresent(image -> {
                    LOG.warnf("image %s, registered by the caller, was being given the data of volume %s, which was "
                            + "not checked: removed (%s), as Cinder removes an image its upload did not fill",
                            r.imageId(), r.volumeId(), image.path("status").asText());
                    glance.deleteImage(r.imageId());
                });
                default -> {
                    // STARTED: nothing was asked of Glance; GIVEN: the caller's, still without data; DONE: checked
                }
            }
        }
        volumes.find(r.volumeId()).ifPresentOrElse(v -> {
            VolumeBackend backend = volumes.pools().of(v).backend();
            if (r.phase() == UploadRecord.Phase.REGISTERED || r.phase() == UploadRecord.Phase.REGISTERING
                    || r.phase() == UploadRecord.Phase.FILLING
                    || (r.phase() == UploadRecord.Phase.GIVEN && notPointingAtTheCopy(r.imageId()))) {
                backend.removeFromImageStore(r.imageId());
            }
            backend.delete(r.temporaryVolumeId(), v.thin());
            backend.deleteSnapshot(v.id(), r.snapshotId());
        }, () -> LOG.warnf("volume %s of upload %s is gone; its temporary snapshot went with it", r.volumeId(),
                r.imageId()));
        journal.remove(r.imageId().toString());
    }
}
