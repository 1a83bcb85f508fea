package org.tether.storage.rbd;

import com.fasterxml.jackson.databind.JsonNode;
import org.jboss.logging.Logger;
import org.tether.exec.CommandResult;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Glance and Cinder on one Ceph ("storage convergence"): a volume made from a raw image that Glance's RBD
 * store keeps in this agent's own cluster is a copy-on-write clone of the image's snapshot, with no
 * download and no conversion, as Cinder's RBD driver does in {@code clone_image}. The location must name
 * this cluster's fsid and a snapshot this agent's cephx user can read; the clone is flattened when its
 * chain of parents passes {@code max-clone-depth}, and grown to the volume's size.
 */
final class RbdImageClones {
    private static final Logger LOG = Logger.getLogger(RbdImageClones.class);

    private final RbdCli cli;
    private final RbdBackend backend;

    RbdImageClones(RbdCli cli, RbdBackend backend) {
        this.cli = cli;
        this.backend = backend;
    }

    boolean cloneInto(UUID id, long bytes, List<String> locations) {
        Optional<RbdLocation> from = locations.stream().map(RbdLocation::parse).flatMap(Optional::stream)
                .filter(this::cloneable).findFirst();
        if (from.isEmpty()) {
            return false;
        }
        String parent = from.get().snapshotSpec();
        String image = RbdBackend.image(id);
        CommandResult r = cli.rbd("clone", "--image-feature", "layering", parent, cli.spec(image));
        if (r.exitCode() != RbdCli.EEXIST) {
            RbdBackend.check(r, "clone image snapshot " + parent);
        }
        try {
            JsonNode info = backend.info(image); // one read serves the depth and the size
            int depth = backend.depth(image, info);
            if (depth > cli.config().maxCloneDepth()) {
                LOG.infof("flattening %s: its chain of parents is %d deep, above %d", image, depth,
                        cli.config().maxCloneDepth());
                RbdBackend.check(cli.rbd("flatten", "--no-progress", cli.spec(image)), "flatten " + image);
            }
            if (info != null && info.path("size").asLong() < bytes) {
                backend.extend(id, bytes);
            }
        } catch (RuntimeException e) {
            backend.remove(image);
            throw e;
        }
        LOG.infof("volume %s cloned from image snapshot %s in the same cluster (no download)", id, parent);
        return true;
    }

    /** Same cluster, and a snapshot this agent's user can open (Cinder's {@code _is_cloneable}). */
    private boolean cloneable(RbdLocation location) {
        String own = backend.fsid();
        if (own == null || !own.equalsIgnoreCase(location.fsid())) {
            LOG.debugf("image location in cluster %s, not this agent's %s", location.fsid(), own);
            return false;
        }
        CommandResult r = cli.rbd("info", "--format", "json", location.snapshotSpec());
        if (!r.succeeded()) {
            LOG.infof("image snapshot %s cannot be read as client.%s (%s); downloading instead",
                    location.snapshotSpec(), cli.config().user(), r.summary());
            return false;
        }
        return true;
    }
}
