package org.tether.storage.rbd;

import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.CommandResult;
import org.tether.storage.volume.BlockReader;
import org.tether.storage.volume.DiffBases;

import java.util.UUID;

/**
 * Bases of incremental backups as snapshots {@code backup-<backup id>} of the volume's image: the backup's
 * temporary snapshot, unprotected and renamed once its chunks are stored. The next backup's reader diffs its
 * own snapshot against it in librbd (whole objects), so an unchanged object is neither read nor hashed. The
 * snapshot costs what a snapshot costs in Ceph: the objects written since keep their old copy until the next
 * backup drops it. Volume deletion drops the bases first ({@link RbdBackend#delete}).
 */
final class RbdDiffBases implements DiffBases {
    private static final Logger LOG = Logger.getLogger(RbdDiffBases.class);
    static final String PREFIX = "backup-";

    private final RbdCli cli;

    RbdDiffBases(RbdCli cli) {
        this.cli = cli;
    }

    static String base(UUID backup) {
        return PREFIX + backup;
    }

    @Override
    public BlockReader reader(UUID volume, UUID snapshot, UUID base) {
        RadosSession session = cli.session().orElseThrow(() -> new TetherException(ErrorCode.BACKUP_UNSUPPORTED,
                "image " + RbdBackend.image(volume) + " is read only through the librados session, which is off"));
        return session.reader(cli.pool(), RbdBackend.image(volume), RbdBackend.snapshot(snapshot),
                base == null ? null : base(base));
    }

    @Override
    public void keep(UUID volume, UUID snapshot, UUID backup) {
        String image = cli.spec(RbdBackend.image(volume));
        String from = image + "@" + RbdBackend.snapshot(snapshot);
        CommandResult u = cli.rbd("snap", "unprotect", from);
        if (!u.succeeded() && !u.stderr().contains("not protected")) {
            throw RbdCli.failure(u, "unprotect " + from);
        }
        CommandResult r = cli.rbd("snap", "rename", from, image + "@" + base(backup));
        RbdBackend.check(r, "rename " + from + " to " + base(backup));
    }

    @Override
    public void dropExcept(UUID volume, UUID except) {
        String image = RbdBackend.image(volume);
        CommandResult ls = cli.rbd("snap", "ls", "--format", "json", cli.spec(image));
        if (ls.exitCode() == RbdCli.ENOENT) {
            return;
        }
        for (var s : cli.json(ls, "list snapshots of " + image)) {
            String name = s.path("name").asText();
            if (name.startsWith(PREFIX) && (except == null || !name.equals(base(except)))) {
                remove(image, name);
            }
        }
    }

    @Override
    public void drop(UUID volume, UUID backup) {
        remove(RbdBackend.image(volume), base(backup));
    }

    private void remove(String image, String snap) {
        String spec = cli.spec(image) + "@" + snap;
        CommandResult rm = cli.rbd("snap", "rm", "--no-progress", spec);
        if (!rm.succeeded() && rm.exitCode() != RbdCli.ENOENT) {
            throw RbdCli.failure(rm, "remove the backup base " + spec);
        }
        if (rm.succeeded()) {
            LOG.debugf("backup base %s removed", spec);
        }
    }
}
