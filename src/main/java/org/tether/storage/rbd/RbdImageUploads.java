package org.tether.storage.rbd;

import org.jboss.logging.Logger;
import org.tether.exec.CommandResult;

import java.util.Optional;
import java.util.UUID;

/**
 * A raw upload of a volume, when Glance's RBD store is this cluster ({@code tether.storage.rbd.glance-pool}):
 * the volume's snapshot is cloned into Glance's pool under the image's id and flattened there, given Glance's
 * own layout (a protected snapshot {@code snap}), and answered as the location {@code rbd://fsid/pool/id/snap}.
 * The data never leaves Ceph: no qemu-img, no scratch file, no HTTP body, and only written objects are copied.
 *
 * <p>Why flattened: a clone left linked to the volume's snapshot would pin the volume (it could not be deleted
 * while the image lives) and would need Glance's cephx user to read the volumes pool, which Ceph's guide does
 * not give it. Flattening is the copy; what it saves is the stream through the agent and Glance.
 */
final class RbdImageUploads {
    private static final Logger LOG = Logger.getLogger(RbdImageUploads.class);
    private static final String SNAP = "snap";

    private final RbdCli cli;
    private final RbdBackend backend;

    RbdImageUploads(RbdCli cli, RbdBackend backend) {
        this.cli = cli;
        this.backend = backend;
    }

    Optional<String> copy(UUID volume, UUID snapshot, UUID imageId) {
        Optional<String> pool = cli.config().glancePool();
        if (pool.isEmpty()) {
            return Optional.empty();
        }
        String fsid = backend.fsid();
        if (fsid == null) {
            return Optional.empty();
        }
        String parent = cli.spec(RbdBackend.image(volume)) + "@" + RbdBackend.snapshot(snapshot);
        String target = pool.get() + "/" + imageId;
        CommandResult r = cli.rbd("clone", "--image-feature", "layering", parent, target);
        if (!r.succeeded() && (r.stderr().contains("Operation not permitted")
                || r.stderr().contains("Permission denied"))) {
            LOG.warnf("client.%s may not write Glance's pool %s (%s): image %s is streamed through Glance "
                    + "instead; give it profile rbd pool=%s, or unset tether.storage.rbd.glance-pool",
                    cli.config().user(), pool.get(), r.summary(), imageId, pool.get());
            return Optional.empty();
        }
        if (r.exitCode() != RbdCli.EEXIST) {
            RbdBackend.check(r, "clone " + parent + " into " + pool.get());
        }
        try {
            RbdBackend.check(cli.rbd("flatten", "--no-progress", target), "flatten " + target);
            CommandResult snap = cli.rbd("snap", "create", "--no-progress", target + "@" + SNAP);
            if (snap.exitCode() != RbdCli.EEXIST) {
                RbdBackend.check(snap, "snapshot " + target);
            }
            CommandResult protect = cli.rbd("snap", "protect", target + "@" + SNAP);
            if (!protect.succeeded() && !protect.stderr().contains("already protected")) {
                RbdBackend.check(protect, "protect " + target + "@" + SNAP);
            }
        } catch (RuntimeException e) {
            remove(imageId);
            throw e;
        }
        LOG.infof("volume %s copied inside Ceph to %s for image %s", volume, target, imageId);
        return Optional.of("rbd://" + fsid + "/" + pool.get() + "/" + imageId + "/" + SNAP);
    }

    /** The image's copy, its snapshot first; what is not there is no error, what cannot go is logged. */
    void remove(UUID imageId) {
        Optional<String> pool = cli.config().glancePool();
        if (pool.isEmpty()) {
            return;
        }
        String target = pool.get() + "/" + imageId;
        cli.rbd("snap", "unprotect", target + "@" + SNAP);
        CommandResult snap = cli.rbd("snap", "rm", "--no-progress", target + "@" + SNAP);
        CommandResult rm = cli.rbd("rm", "--no-progress", target);
        if (!rm.succeeded() && rm.exitCode() != RbdCli.ENOENT) {
            throw RbdCli.failure(rm, "remove " + target + " (its snapshot: " + snap.summary() + ")");
        }
    }
}
