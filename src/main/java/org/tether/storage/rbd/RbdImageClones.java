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

    /**
     * Tries each location of this cluster in turn. No probe comes first: the clone itself says whether the
     * snapshot is there and readable by this agent's user (ENOENT, EPERM: the next location, then the download);
     * Glance's size of a raw image is the RBD image's, so no {@code rbd info} is needed to know whether to grow it.
     */
    boolean cloneInto(UUID id, long bytes, Long imageBytes, List<String> locations) {
        String own = null;
        for (RbdLocation from : locations.stream().map(RbdLocation::parse).flatMap(Optional::stream).toList()) {
            own = own != null ? own : backend.fsid();
            if (own == null || !own.equalsIgnoreCase(from.fsid())) {
                LOG.debugf("image location in cluster %s, not this agent's %s", from.fsid(), own);
                continue;
            }
            if (cloneFrom(id, bytes, imageBytes, from)) {
                return true;
            }
        }
        return false;
    }

    private boolean cloneFrom(UUID id, long bytes, Long imageBytes, RbdLocation from) {
        String parent = from.snapshotSpec();
        String image = RbdBackend.image(id);
        CommandResult r = cli.rbd("clone", "--image-feature", "layering", parent, cli.spec(image));
        if (!r.succeeded() && r.exitCode() != RbdCli.EEXIST) {
            String err = r.stderr();
            if (r.exitCode() == RbdCli.ENOENT || err.contains("No such file") || err.contains("Operation not permitted")
                    || err.contains("Permission denied")) {
                LOG.infof("image snapshot %s cannot be cloned as client.%s (%s); trying the next location or the "
                        + "download", parent, cli.config().user(), r.summary());
                return false;
            }
            RbdBackend.check(r, "clone image snapshot " + parent);
        }
        try {
            // a parent in another pool (Glance's) ends the chain this agent counts, as Cinder's driver counts it
            int depth = from.pool().equals(cli.pool()) ? 1 + backend.depth(from.image()) : 1;
            if (depth > cli.config().maxCloneDepth()) {
                LOG.infof("flattening %s: its chain of parents is %d deep, above %d", image, depth,
                        cli.config().maxCloneDepth());
                RbdBackend.check(cli.rbd("flatten", "--no-progress", cli.spec(image)), "flatten " + image);
            }
            long size = imageBytes != null ? imageBytes : sizeOf(image);
            if (size < bytes) {
                backend.extend(id, bytes);
            }
        } catch (RuntimeException e) {
            backend.remove(image);
            throw e;
        }
        LOG.infof("volume %s cloned from image snapshot %s in the same cluster (no download)", id, parent);
        return true;
    }

    private long sizeOf(String image) {
        JsonNode info = backend.info(image);
        return info == null ? 0 : info.path("size").asLong();
    }
}
