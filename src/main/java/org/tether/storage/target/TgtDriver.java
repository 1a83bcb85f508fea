package org.tether.storage.target;

import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Set;

/**
 * Exports through tgtd (userspace). One target per volume with the data on LUN 1 (tgt keeps LUN 0 for its
 * controller), one CHAP account per volume, one ACL entry per initiator name. Calls for different volumes run
 * side by side (the caller holds the volume's lock; tgtd answers its clients one request at a time); only the
 * choice of a new target id is shared, and a choice another export took first is made again.
 */
public class TgtDriver implements ExportDriver {
    private static final Logger LOG = Logger.getLogger(TgtDriver.class);
    static final int LUN = 1;
    /** A target id found taken at creation (another export, or a target made outside Tether) is chosen again. */
    static final int TID_ATTEMPTS = 8;

    private final Tgtadm tgtadm;
    private final TgtConfFiles files;
    private final TidReservations tids = new TidReservations();

    /** @param confDir where tgt's service finds per-target files at boot ({@code /etc/tgt/conf.d}); empty: none */
    public TgtDriver(Tgtadm tgtadm, java.util.Optional<java.nio.file.Path> confDir) {
        this.tgtadm = tgtadm;
        this.files = new TgtConfFiles(confDir);
    }

    @Override
    public String name() {
        return "tgt";
    }

    @Override
    public int lun() {
        return LUN;
    }

    /**
     * tgtd reads a backing store's size once, when the LUN is added; so the LUN is removed and added again
     * over the same store. Its SCSI id and serial derive from (tid, lun) and stay the same; logged-in
     * initiators keep their session, see a unit attention and read the new capacity. tgtd refuses the
     * removal while a command is in flight, hence a short retry.
     */
    @Override
    public void followResize(String iqn, String devicePath) {
        TgtTargets.Target t = TgtTargets.parse(tgtadm.showTargets()).byIqn(iqn).orElse(null);
        if (t == null) {
            return;
        }
        if (t.backingStores().isEmpty()) {
            tgtadm.newLun(t.tid(), LUN, devicePath); // an earlier run got half-way
            return;
        }
        if (!t.backingStores().contains(devicePath)) {
            throw new TetherException(ErrorCode.TARGET_FAILED, "target " + iqn + " exports "
                    + t.backingStores() + ", not " + devicePath);
        }
        for (int attempt = 1; ; attempt++) {
            try {
                tgtadm.deleteLun(t.tid(), LUN);
                break;
            } catch (TetherException busy) {
                if (attempt == 5) {
                    throw busy;
                }
                sleep(20L << attempt);
            }
        }
        tgtadm.newLun(t.tid(), LUN, devicePath);
        LOG.infof("tgt target %d %s re-read the size of %s", t.tid(), iqn, devicePath);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.TARGET_FAILED, "interrupted while resizing");
        }
    }

    @Override
    public void export(ExportSpec spec) {
        TgtTargets all = TgtTargets.parse(tgtadm.showTargets());
        TgtTargets.Target existing = all.byIqn(spec.iqn()).orElse(null);
        int tid = -1;
        for (int attempt = 1; existing == null; attempt++) {
            int candidate = tids.reserve(all);
            try {
                if (tgtadm.newTarget(candidate, spec.iqn()) == Tgtadm.Outcome.DONE) {
                    tid = candidate;
                    break;
                }
            } finally {
                tids.release(candidate);
            }
            if (attempt == TID_ATTEMPTS) {
                throw new TetherException(ErrorCode.TARGET_FAILED, "tgtd refused " + TID_ATTEMPTS
                        + " target ids for " + spec.iqn() + " as taken");
            }
            all = TgtTargets.parse(tgtadm.showTargets()); // taken meanwhile: by whom, and is it ours now?
            existing = all.byIqn(spec.iqn()).orElse(null);
        }
        if (existing == null) {
            try {
                tgtadm.newLun(tid, LUN, spec.devicePath());
            } catch (TetherException e) {
                tgtadm.deleteTarget(tid);
                throw e;
            }
        } else {
            tid = existing.tid();
            if (existing.backingStores().isEmpty()) {
                tgtadm.newLun(tid, LUN, spec.devicePath()); // an earlier run died between target and LUN
            } else if (!existing.backingStores().contains(spec.devicePath())) {
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
        java.util.Set<String> admitted = new java.util.TreeSet<>(existing == null ? java.util.Set.of() : existing.acls());
        admitted.add(spec.initiator());
        files.write(spec.iqn(), spec.volumeName(), spec.devicePath(), admitted, spec.chapUser(), spec.chapPassword());
        LOG.debugf("tgt target %d %s admits %s", tid, spec.iqn(), spec.initiator());
    }

    @Override
    public void unexport(String iqn, String volumeName, String initiator, String chapUser,
                                      boolean last) {
        TgtTargets.Target t = TgtTargets.parse(tgtadm.showTargets()).byIqn(iqn).orElse(null);
        if (last) {
            files.remove(volumeName);
        } else {
            files.rewriteWithout(volumeName, initiator);
        }
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
    public void probe() {
        tgtadm.showTargets();
    }

    @Override
    public java.util.List<String> gaps(ExportSpec spec) {
        return gaps(TgtTargets.parse(tgtadm.showTargets()), spec);
    }

    /** One {@code tgtadm show} for the whole pass, not one per export (each lists every target). */
    @Override
    public java.util.function.Function<ExportSpec, java.util.List<String>> gapsAtOnce() {
        TgtTargets all = TgtTargets.parse(tgtadm.showTargets());
        return spec -> gaps(all, spec);
    }

    private static java.util.List<String> gaps(TgtTargets all, ExportSpec spec) {
        TgtTargets.Target t = all.byIqn(spec.iqn()).orElse(null);
        if (t == null) {
            return java.util.List.of("target " + spec.iqn());
        }
        java.util.List<String> gaps = new java.util.ArrayList<>();
        if (!t.backingStores().contains(spec.devicePath())) {
            gaps.add("LUN " + LUN + " on " + spec.devicePath());
        }
        if (!t.accounts().contains(spec.chapUser())) {
            gaps.add("CHAP account " + spec.chapUser());
        }
        if (!t.acls().contains(spec.initiator())) {
            gaps.add("ACL for " + spec.initiator());
        }
        return gaps;
    }

    @Override
    public Set<String> liveTargets() {
        Set<String> out = new java.util.HashSet<>();
        TgtTargets.parse(tgtadm.showTargets()).targets().forEach(t -> out.add(t.iqn()));
        return out;
    }

    @Override
    public java.util.Map<String, Set<String>> liveAcls() {
        java.util.Map<String, Set<String>> out = new java.util.TreeMap<>();
        TgtTargets.parse(tgtadm.showTargets()).targets().forEach(t -> out.put(t.iqn(), t.acls()));
        return out;
    }

    @Override
    public Set<String> initiators(String iqn) {
        return TgtTargets.parse(tgtadm.showTargets()).byIqn(iqn).map(TgtTargets.Target::acls).orElse(Set.of());
    }
}
