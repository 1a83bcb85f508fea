package org.tether.storage.rbd;

import org.tether.config.RbdConfig;

import com.fasterxml.jackson.databind.JsonNode;
import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.CommandResult;
import org.tether.storage.volume.SampledStats;
import org.tether.storage.volume.VolumeBackend;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Volumes as RBD images {@code volume-<id>} (format 2, layering) in one pool, as Cinder's RBD driver keeps
 * them: snapshots {@code snapshot-<id>}, protected when made so that clones can hang off them; a volume
 * from a snapshot is a copy-on-write clone, flattened when its chain of parents would pass
 * {@code max-clone-depth}; a volume from a volume is a flattened clone (no dependency is left behind).
 * Every image is thin; {@code thin} is ignored.
 */
public class RbdBackend implements VolumeBackend {
    private static final Logger LOG = Logger.getLogger(RbdBackend.class);

    private final RbdCli cli;
    private final RbdImageClones imageClones;
    private final SampledStats sampled;
    private final RbdImageUploads imageUploads;
    private final RbdDiffBases diffBases;
    private volatile String fsid;

    /** The CLI bound to this backend's Ceph pool (its export driver speaks for the same pool). */
    public RbdCli cli() {
        return cli;
    }

    public RbdBackend(RbdCli cli) {
        this.cli = cli;
        this.imageClones = new RbdImageClones(cli, this);
        this.sampled = new SampledStats(this::readStats, cli.config().statsMaxAge());
        this.imageUploads = new RbdImageUploads(cli, this);
        this.diffBases = new RbdDiffBases(cli);
    }

    /** A copy-on-write clone of a raw image Glance keeps in this cluster ({@link RbdImageClones}). */
    @Override
    public boolean cloneImage(UUID id, long bytes, Long imageBytes, List<String> locations) {
        return imageClones.cloneInto(id, bytes, imageBytes, locations);
    }

    static String image(UUID id) {
        return "volume-" + id;
    }

    static String snapshot(UUID id) {
        return "snapshot-" + id;
    }

    /** Not a host device: the image's name as QEMU's rbd driver takes it. */
    /** A raw upload copied inside Ceph into Glance's pool ({@link RbdImageUploads}). */
    @Override
    public Optional<String> copyToImageStore(UUID volume, UUID snapshot, UUID imageId) {
        return imageUploads.copy(volume, snapshot, imageId);
    }

    @Override
    public void removeFromImageStore(UUID imageId) {
        imageUploads.remove(imageId);
    }

    /** Read in place, at the snapshot, through the agent's librados session (no temporary clone). */
    @Override
    public boolean backupReadable(UUID volume) {
        return cli.session().isPresent();
    }

    @Override
    public Optional<org.tether.storage.volume.BlockReader> snapshotReader(UUID volume, UUID snapshot) {
        return cli.session().map(s -> s.reader(cli.pool(), image(volume), snapshot(snapshot)));
    }

    /** Backups diff against the last backup's snapshot, read through the librados session ({@link RbdDiffBases}). */
    @Override
    public Optional<org.tether.storage.volume.DiffBases> diffBases() {
        return cli.session().map(s -> diffBases);
    }

    /** The image as it is now, through the librados session (a move of a volume that is not in use). */
    @Override
    public org.tether.storage.volume.BlockReader reader(UUID id) {
        return cli.session().orElseThrow(() -> new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "image "
                + image(id) + " can be read only through the librados session, which is off")).reader(cli.pool(),
                image(id), null);
    }

    @Override
    public boolean blockAccess() {
        return cli.session().isPresent();
    }

    @Override
    public org.tether.storage.volume.BlockWriter writer(UUID id, boolean thin) {
        return cli.session().orElseThrow(() -> new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "image "
                + image(id) + " can be written only through the librados session, which is off")).writer(cli.pool(),
                image(id));
    }

    @Override
    public String devicePath(UUID volumeId) {
        return "rbd:" + cli.spec(image(volumeId));
    }

    /**
     * QEMU's own rbd driver, as this agent's cephx user: {@code rbd:pool/image:id=...:conf=...:keyring=...}. A
     * new RBD image reads as zeroes, so only the image's data is written.
     */
    @Override
    public ImageTarget imageTarget(UUID id, boolean thin) {
        RbdConfig c = cli.config();
        return new ImageTarget("rbd:" + cli.spec(image(id)) + ":id=" + escaped(c.user()) + ":conf="
                + escaped(c.conf().toString()) + ":keyring=" + escaped(c.keyring().toString()), false, true);
    }

    /** qemu's rbd: option string separates with ':' and takes '\\' as escape. */
    private static String escaped(String value) {
        return value.replace("\\", "\\\\").replace(":", "\\:");
    }

    /** {@code rbd info}, or null when the image does not exist. */
    JsonNode info(String image) {
        CommandResult r = cli.rbd("info", "--format", "json", cli.spec(image));
        if (r.exitCode() == RbdCli.ENOENT) {
            return null;
        }
        return cli.json(r, "read image " + image);
    }

    @Override
    public void create(UUID id, long bytes, boolean thin) {
        CommandResult r = cli.create(image(id), bytes);
        if (r.exitCode() == RbdCli.EEXIST) {
            requireSize(id, bytes);
            return;
        }
        check(r, "create image " + image(id));
    }

    private void requireSize(UUID id, long bytes) {
        JsonNode info = info(image(id));
        if (info == null || info.path("size").asLong() != bytes) {
            throw new TetherException(ErrorCode.VOLUME_CONFLICT, "image " + image(id) + " exists with "
                    + (info == null ? "no" : info.path("size").asLong()) + " bytes, not " + bytes);
        }
    }

    @Override
    public void createFromSnapshot(UUID id, long bytes, boolean thin, UUID sourceVolume, UUID snapshot) {
        String parent = cli.spec(image(sourceVolume)) + "@" + snapshot(snapshot);
        protect(image(sourceVolume), snapshot(snapshot));
        CommandResult r = cli.rbd("clone", "--image-feature", "layering", parent, cli.spec(image(id)));
        if (r.exitCode() != RbdCli.EEXIST) {
            check(r, "clone " + parent);
        }
        try {
            int depth = depth(image(id));
            if (depth > cli.config().maxCloneDepth()) {
                LOG.infof("flattening %s: its chain of parents is %d deep, above %d", image(id), depth,
                        cli.config().maxCloneDepth());
                check(cli.rbd("flatten", "--no-progress", cli.spec(image(id))), "flatten " + image(id));
            }
            growTo(id, bytes);
        } catch (RuntimeException e) {
            remove(image(id));
            throw e;
        }
    }

    /** How many parents the image has (0 for an image that is no clone). */
    int depth(String image) {
        return depth(image, info(image));
    }

    /** The same from the image's {@code rbd info}, already read. */
    int depth(String image, JsonNode info) {
        int depth = 0;
        while (info != null && info.has("parent")) {
            depth++;
            if (depth > 64) {
                throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "image " + image
                        + " has a chain of parents longer than 64");
            }
            JsonNode parent = info.get("parent");
            info = parent.path("pool").asText().equals(cli.pool()) ? info(parent.path("image").asText()) : null;
        }
        return depth;
    }

    /**
     * A full copy: a clone of a temporary snapshot, flattened at once, then the snapshot goes. The new volume
     * depends on nothing, so the source can be deleted at any time.
     */
    @Override
    public void cloneVolume(UUID id, long bytes, boolean thin, UUID source) {
        String snap = "clone-" + id;
        String parent = cli.spec(image(source)) + "@" + snap;
        CommandResult made = cli.rbd("snap", "create", "--no-progress", parent);
        if (made.exitCode() != RbdCli.EEXIST) {
            check(made, "snapshot " + image(source) + " for a clone");
        }
        try {
            protect(image(source), snap);
            CommandResult r = cli.rbd("clone", "--image-feature", "layering", parent, cli.spec(image(id)));
            if (r.exitCode() != RbdCli.EEXIST) {
                check(r, "clone " + parent);
            }
            try {
                check(cli.rbd("flatten", "--no-progress", cli.spec(image(id))), "flatten " + image(id));
                growTo(id, bytes);
            } catch (RuntimeException e) {
                remove(image(id));
                throw e;
            }
        } finally {
            dropSnapshot(image(source), snap);
        }
    }

    void growTo(UUID id, long bytes) {
        JsonNode info = info(image(id));
        if (info != null && info.path("size").asLong() < bytes) {
            extend(id, bytes);
        }
    }

    @Override
    public void extend(UUID id, long bytes) {
        // rbd refuses to shrink without --allow-shrink, which is never passed
        check(cli.rbd("resize", "--no-progress", "--size", bytes + "B", cli.spec(image(id))), "resize " + image(id));
    }

    /**
     * Removes the image, with the snapshot its last backup keeps ({@link RbdDiffBases}). Refused (409, naming
     * them) while a client has it open (watchers: a QEMU somewhere still uses it) or while it has snapshots.
     */
    @Override
    public void delete(UUID id, boolean thin) {
        CommandResult r = cli.remove(image(id));
        if (r.exitCode() == RbdCli.ENOTEMPTY && cli.session().isPresent()) { // bases are kept only with one
            diffBases.dropExcept(id, null);
            r = cli.remove(image(id));
        }
        if (r.succeeded() || r.exitCode() == RbdCli.ENOENT) {
            return;
        }
        if (r.exitCode() == RbdCli.EBUSY) {
            throw new TetherException(ErrorCode.VOLUME_BUSY, "image " + image(id) + " is open by "
                    + watchers(image(id)) + "; detach it from every instance first");
        }
        if (r.exitCode() == RbdCli.ENOTEMPTY) {
            throw new TetherException(ErrorCode.VOLUME_BUSY, "image " + image(id) + " still has snapshots "
                    + snapshotNames(image(id)));
        }
        check(r, "remove image " + image(id));
    }

    void remove(String image) {
        CommandResult r = cli.remove(image);
        if (!r.succeeded() && r.exitCode() != RbdCli.ENOENT) {
            LOG.errorf("could not remove %s after a failed copy: %s", image, r.summary());
        }
    }

    /** The addresses of the clients that have the image open ({@code rbd status}). */
    List<String> watchers(String image) {
        List<String> out = new ArrayList<>();
        cli.json(cli.rbd("status", "--format", "json", cli.spec(image)), "read watchers of " + image)
                .path("watchers").forEach(w -> out.add(w.path("address").asText()));
        return out;
    }

    private List<String> snapshotNames(String image) {
        List<String> out = new ArrayList<>();
        cli.json(cli.rbd("snap", "ls", "--format", "json", cli.spec(image)), "list snapshots of " + image)
                .forEach(s -> out.add(s.path("name").asText()));
        return out;
    }

    @Override
    public void createSnapshot(UUID volume, UUID snapshot, boolean thin) {
        String spec = cli.spec(image(volume)) + "@" + snapshot(snapshot);
        CommandResult r = cli.rbd("snap", "create", "--no-progress", spec);
        if (r.exitCode() != RbdCli.EEXIST) {
            check(r, "snapshot " + spec);
        }
        protect(image(volume), snapshot(snapshot));
    }

    /** Refused (409, naming them) while clones of the snapshot exist. */
    @Override
    public void deleteSnapshot(UUID volume, UUID snapshot) {
        String spec = cli.spec(image(volume)) + "@" + snapshot(snapshot);
        CommandResult r = cli.rbd("snap", "unprotect", spec);
        if (r.exitCode() == RbdCli.EBUSY) {
            throw new TetherException(ErrorCode.VOLUME_BUSY, "snapshot " + spec + " has dependent clones "
                    + children(spec) + "; delete or flatten them first");
        }
        if (r.exitCode() == RbdCli.ENOENT) {
            return;
        }
        if (!r.succeeded() && !r.stderr().contains("not protected")) {
            check(r, "unprotect " + spec);
        }
        CommandResult rm = cli.rbd("snap", "rm", "--no-progress", spec);
        if (!rm.succeeded() && rm.exitCode() != RbdCli.ENOENT) {
            check(rm, "remove snapshot " + spec);
        }
    }

    private void dropSnapshot(String image, String snap) {
        String spec = cli.spec(image) + "@" + snap;
        CommandResult u = cli.rbd("snap", "unprotect", spec);
        CommandResult rm = cli.rbd("snap", "rm", "--no-progress", spec);
        if (!rm.succeeded() && rm.exitCode() != RbdCli.ENOENT) {
            LOG.errorf("temporary snapshot %s left behind: %s / %s", spec, u.summary(), rm.summary());
        }
    }

    List<String> children(String snapSpec) {
        List<String> out = new ArrayList<>();
        cli.json(cli.rbd("children", "--format", "json", snapSpec), "list clones of " + snapSpec)
                .forEach(c -> out.add(c.path("pool").asText() + "/" + c.path("image").asText()));
        return out;
    }

    private void protect(String image, String snap) {
        CommandResult r = cli.rbd("snap", "protect", cli.spec(image) + "@" + snap);
        if (!r.succeeded() && !(r.exitCode() == RbdCli.EBUSY && r.stderr().contains("already protected"))) {
            check(r, "protect " + image + "@" + snap);
        }
    }

    @Override
    public void revert(UUID volume, UUID snapshot, boolean thin) {
        String spec = cli.spec(image(volume)) + "@" + snapshot(snapshot);
        check(cli.rbd("snap", "rollback", "--no-progress", spec), "roll back to " + spec);
    }

    /**
     * The pool's share of the cluster from {@code ceph df}: what is stored plus what may still be stored
     * ({@code max_avail}, replication already counted), as Cinder's driver reports it.
     */
    @Override
    public PoolStats stats() {
        return sampled.fresh();
    }

    /** A reading of the last {@code tether.storage.rbd.stats-max-age}: {@code ceph df} costs half a second. */
    @Override
    public PoolStats admissionStats() {
        return sampled.recent();
    }

    private PoolStats readStats() {
        JsonNode df = cli.json(cli.ceph("df", "--format", "json"), "read pool statistics");
        for (JsonNode pool : df.path("pools")) {
            if (pool.path("name").asText().equals(cli.pool())) {
                JsonNode st = pool.path("stats");
                long used = st.path("stored").asLong(st.path("bytes_used").asLong());
                long avail = st.path("max_avail").asLong();
                double percent = st.path("percent_used").asDouble() * 100.0;
                return new PoolStats("rbd", used + avail, avail, percent, null);
            }
        }
        throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "pool " + cli.pool()
                + " is not in ceph df (does it exist, and may client." + cli.config().user() + " see it?)");
    }

    /** The cluster's fsid, asked once; null (and asked again next time) when the monitors do not say. */
    String fsid() {
        String known = fsid;
        if (known == null) {
            CommandResult r = cli.ceph("fsid", "--format", "json");
            if (!r.succeeded()) {
                LOG.infof("cannot read the cluster's fsid (%s); images are downloaded and uploads streamed", r.summary());
                return null;
            }
            JsonNode out = cli.json(r, "read the cluster's fsid");
            known = out.path("fsid").asText(null);
            fsid = known;
        }
        return known;
    }

    static void check(CommandResult r, String what) {
        if (!r.succeeded()) {
            throw RbdCli.failure(r, what);
        }
    }
}
