package org.tether.storage.target;

import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Set;

/**
 * Exports through tgtd (userspace). One target per volume with the data on LUN 1 (tgt keeps LUN 0 for its
 * controller), one CHAP account per volume, one ACL entry per initiator name. tgtd hands out target ids
 * host-wide, so target creation and removal are serialised here; each call takes milliseconds.
 */
public class TgtDriver implements ExportDriver {
    private static final Logger LOG = Logger.getLogger(TgtDriver.class);
    static final int LUN = 1;

    private final Tgtadm tgtadm;

    public TgtDriver(Tgtadm tgtadm) {
        this.tgtadm = tgtadm;
    }

    @Override
    public String name() {
        return "tgt";
    }

    @Override
    public int lun() {
        return LUN;
    }

    @Override
    public boolean resizesOnline() {
        return false;
    }

    @Override
    public synchronized void export(ExportSpec spec) {
        TgtTargets all = TgtTargets.parse(tgtadm.showTargets());
        TgtTargets.Target existing = all.byIqn(spec.iqn()).orElse(null);
        int tid;
        if (existing == null) {
            tid = all.freeTid();
            tgtadm.newTarget(tid, spec.iqn());
            try {
                tgtadm.newLun(tid, LUN, spec.devicePath());
            } catch (TetherException e) {
                tgtadm.deleteTarget(tid);
                throw e;
            }
        } else {
            tid = existing.tid();
            if (!existing.backingStores().contains(spec.devicePath())) {
                throw new TetherException(ErrorCode.TARGET_FAILED, "target " + spec.iqn()
                        + " exists with another backing store " + existing.backingStores());
            }
        }
        if (existing == null || !existing.accounts().contains(spec.chapUser())) {
            tgtadm.newAccount(spec.chapUser(), spec.chapPassword());
            tgtadm.bindAccount(tid, spec.chapUser());
        }
        if (existing == null || !existing.acls().contains(spec.initiator())) {
            tgtadm.bindInitiator(tid, spec.initiator());
        }
        LOG.debugf("tgt target %d %s admits %s", tid, spec.iqn(), spec.initiator());
    }

    @Override
    public synchronized void unexport(String iqn, String volumeName, String initiator, String chapUser,
                                      boolean last) {
        TgtTargets.Target t = TgtTargets.parse(tgtadm.showTargets()).byIqn(iqn).orElse(null);
        if (t == null) {
            if (last && chapUser != null) {
                tgtadm.deleteAccount(chapUser);
            }
            return;
        }
        tgtadm.unbindInitiator(t.tid(), initiator);
        if (last) {
            tgtadm.deleteTarget(t.tid());
            if (chapUser != null) {
                tgtadm.deleteAccount(chapUser);
            }
        }
    }

    @Override
    public Set<String> initiators(String iqn) {
        return TgtTargets.parse(tgtadm.showTargets()).byIqn(iqn).map(TgtTargets.Target::acls).orElse(Set.of());
    }
}
