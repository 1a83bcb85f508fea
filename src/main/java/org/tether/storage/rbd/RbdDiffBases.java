package org.tether.storage.rbd;

import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.BlockReader;
import org.tether.storage.volume.DiffBases;

import java.util.UUID;

/**
 * Bases of incremental backups as snapshots {@code backup-<backup id>} of the volume's image: the snapshot a
 * backup reads is taken under that name (unprotected: nothing is cloned from it) and stays once its chunks are
 * stored. The next backup's reader diffs its own snapshot against it in librbd (whole objects), so an unchanged
 * object is neither read nor hashed. The snapshot costs what a snapshot costs in Ceph: the objects written since
 * keep their old copy until the next backup drops it. Volume deletion drops the bases first
 * ({@link RbdBackend#delete}). Every call goes through the agent's librados session (an {@code rbd} process
 * costs ~0.3 s of an incremental that otherwise takes a few seconds); this class exists only with one.
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

    private RadosSession session(UUID volume) {
        return cli.session().orElseThrow(() -> new TetherException(ErrorCode.BACKUP_UNSUPPORTED,
                "image " + RbdBackend.image(volume) + " is read only through the librados session, which is off"));
    }

    @Override
    public void take(UUID volume, UUID backup) {
        int r = session(volume).snapshot(cli.pool(), RbdBackend.image(volume), base(backup));
        if (r != 0 && r != RbdCli.EEXIST) { // EEXIST: taken by this backup before an interruption
            throw failure(r, "snapshot " + cli.spec(RbdBackend.image(volume)) + "@" + base(backup));
        }
    }

    @Override
    public BlockReader reader(UUID volume, UUID backup, UUID base) {
        return session(volume).reader(cli.pool(), RbdBackend.image(volume), base(backup),
                base == null ? null : base(base));
    }

    @Override
    public void dropExcept(UUID volume, UUID except) {
        String image = RbdBackend.image(volume);
        for (String name : session(volume).snapshots(cli.pool(), image)) {
            if (name.startsWith(PREFIX) && (except == null || !name.equals(base(except)))) {
                remove(volume, name);
            }
        }
    }

    @Override
    public void drop(UUID volume, UUID backup) {
        remove(volume, base(backup));
    }

    private void remove(UUID volume, String snap) {
        String spec = cli.spec(RbdBackend.image(volume)) + "@" + snap;
        int r = session(volume).removeSnapshot(cli.pool(), RbdBackend.image(volume), snap);
        if (r != 0 && r != RbdCli.ENOENT) {
            throw failure(r, "remove the backup base " + spec);
        }
        if (r == 0) {
            LOG.debugf("backup base %s removed", spec);
        }
    }

    private static TetherException failure(int errno, String what) {
        return RbdCli.failure(errno, what);
    }
}
