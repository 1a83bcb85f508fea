package org.tether.storage.target;

import org.tether.metrics.OperationMetrics;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.connection.IscsiNames;
import org.tether.connection.Portal;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.VolumeRecord;
import org.tether.storage.volume.VolumeService;
import org.tether.storage.volume.VolumeStore;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Exports volumes to initiators and answers with Cinder's connection_info. The export is recorded before
 * the target is touched, so a crash leaves a record the next start restores; a failed export is undone.
 */
@ApplicationScoped
public class ExportService {
    private static final Logger LOG = Logger.getLogger(ExportService.class);

    private final VolumeService volumes;
    private final VolumeStore store;
    private final ExportDrivers drivers;
    private final ChapGenerator chap;
    private final String iqnPrefix;
    private final List<Portal> portals;
    private final TetherConfig.Mode mode;
    private final Clock clock;

    private final OperationMetrics metrics;
    private volatile int unrepaired;

    @Inject
    public ExportService(VolumeService volumes, VolumeStore store, ExportDrivers drivers, ChapGenerator chap,
                         TetherConfig config, Clock clock, OperationMetrics metrics) {
        this.metrics = metrics;
        this.volumes = volumes;
        this.store = store;
        this.drivers = drivers;
        this.chap = chap;
        this.iqnPrefix = config.storage().target().iqnPrefix();
        this.portals = config.storage().target().portals().stream()
                .map(p -> IscsiNames.parsePortal(p, "tether.storage.target.portals")).toList();
        this.mode = config.mode();
        this.clock = clock;
    }

    /** The name of the export driver of the pool (tgt, lio, nvmet, rbd). */
    public String driverOf(String pool) {
        return drivers.of(pool).name();
    }

    /** Every pool's export driver answers ({@link ExportDriver#probe()}); their names, comma-separated. */
    public String probeTarget() {
        List<String> names = new ArrayList<>();
        for (ExportDriver d : drivers.distinct()) {
            d.probe();
            names.add(d.name());
        }
        return String.join(",", names);
    }

    /** The export driver of the volume's pool. */
    private ExportDriver driver(VolumeRecord r) {
        return drivers.of(volumes.pools().nameOf(r));
    }

    /** The IQN a volume's id alone gives; a volume that moved while exported has a tag after it ({@link #targetOf}). */
    private String iqn(UUID volumeId) {
        return iqnPrefix + "volume-" + volumeId;
    }

    /** The target's name for the volume in its pool's driver: an IQN, or the driver's own (an NVMe NQN). */
    private String target(ExportDriver driver, UUID volumeId) {
        return driver.targetName(volumeId).orElseGet(() -> iqn(volumeId));
    }

    /**
     * The name of a target of the volume: the one its id gives, followed by {@code -tag} for a copy exported
     * while the other was (a move of an exported volume).
     */
    private String target(ExportDriver driver, UUID volumeId, String tag) {
        return tag == null ? target(driver, volumeId) : target(driver, volumeId) + "-" + tag;
    }

    /** The name a host's connection knows the volume's export by now (its target's, or its RBD image's). */
    public String exportNameOf(VolumeRecord r) {
        return driver(r).exportName(r.id(), targetOf(r));
    }

    /** The name a host's connection knows the export of a moving volume's copy by. */
    public String copyExportName(VolumeRecord r) {
        VolumeRecord.Migration m = r.migration();
        ExportDriver d = drivers.of(m.pool());
        return d.exportName(r.id(), target(d, r.id(), m.export().tag()));
    }

    /** The name of the volume's target now. */
    private String targetOf(VolumeRecord r) {
        return target(driver(r), r.id(), r.exportTag());
    }

    /** The name a driver gives the volume's storage object (a backstore, a tgt configuration file). */
    private static String volumeName(UUID id, String tag) {
        return tag == null ? "volume-" + id : "volume-" + id + "-" + tag;
    }

    /** After the volume grew: its target (when exported) reports the new size to logged-in initiators. */
    public void followResize(UUID volumeId) {
        try (var held = volumes.lock(volumeId)) {
            VolumeRecord r = volumes.get(volumeId);
            if (!r.exports().isEmpty()) {
                driver(r).followResize(targetOf(r), volumes.devicePath(r));
            }
        }
    }

    /** Exports to the connector's initiator and returns nested connection_info. Repeats give the same answer. */
    public Map<String, Object> export(UUID volumeId, String initiator, JsonNode connector) {
        String driver = volumes.find(volumeId).map(r -> driver(r).name()).orElse("none");
        return metrics.time("export", driver, () -> exportTimed(volumeId, initiator, connector));
    }

    private Map<String, Object> exportTimed(UUID volumeId, String initiator, JsonNode connector) {
        ExportDriver.HostName hostName = volumes.find(volumeId).map(r -> driver(r).hostName())
                .orElse(ExportDriver.HostName.IQN);
        boolean multipath = checkConnector(initiator, connector, hostName);
        try (var held = volumes.lock(volumeId)) {
            VolumeRecord r = volumes.get(volumeId);
            if (r.state() != VolumeRecord.State.AVAILABLE) {
                throw new TetherException(ErrorCode.VOLUME_BUSY, null, "volume " + volumeId + " is "
                        + r.state().name().toLowerCase());
            }
            if (r.chap() == null) {
                r = r.withChap(chap.generate(), clock.instant());
                store.put(r);
            }
            boolean added = !r.exportedTo(initiator);
            if (added) {
                r = r.withExport(initiator, clock.instant());
                store.put(r);
            }
            try {
                driver(r).export(spec(r, initiator));
            } catch (RuntimeException e) {
                if (added) {
                    undoExport(r, initiator);
                }
                throw e;
            }
            return connectionInfo(r, multipath);
        }
    }

    private void undoExport(VolumeRecord r, String initiator) {
        VolumeRecord without = r.withoutExport(initiator, clock.instant());
        try {
            driver(r).unexport(targetOf(r), volumeName(r.id(), r.exportTag()), initiator, r.chap().username(),
                    without.exports().isEmpty());
            store.put(without);
        } catch (TetherException undo) {
            if (undo.code() == ErrorCode.TARGET_UNAVAILABLE) {
                // the target daemon is gone, and what it held went with it: nothing of this export remains to
                // undo, and keeping the record would make the repair pass create an export nobody was given
                store.put(without);
                return;
            }
            LOG.errorf("undo of export %s to %s incomplete; the next start restores it: %s", r.id(), initiator,
                    undo.getMessage());
        }
    }

    /** @return false when the volume or the export did not exist */
    public boolean unexport(UUID volumeId, String initiator) {
        requireHostName(initiator, volumes.find(volumeId).map(r -> driver(r).hostName())
                .orElse(ExportDriver.HostName.IQN));
        try (var held = volumes.lock(volumeId)) {
            VolumeRecord r = store.find(volumeId).orElse(null);
            if (r == null || !r.exportedTo(initiator)) {
                return false;
            }
            if (r.migration() != null && r.migration().live()) {
                throw new TetherException(ErrorCode.VOLUME_BUSY, null, "volume " + volumeId + " is moving to pool "
                        + r.migration().pool() + " while in use; unexport it once the move is over");
            }
            VolumeRecord without = r.withoutExport(initiator, clock.instant());
            driver(r).unexport(targetOf(r), volumeName(volumeId, r.exportTag()), initiator,
                    r.chap() == null ? null : r.chap().username(), without.exports().isEmpty());
            store.put(without);
            LOG.infof("unexported volume %s from %s", volumeId, initiator);
            return true;
        }
    }

    /** At start: every recorded export that the target lost is put back; nothing else is touched. */
    void onStart(@Observes StartupEvent event) {
        if (mode != TetherConfig.Mode.COMPUTE) {
            for (ExportDriver d : drivers.distinct()) {
                metrics.add("export.repairs", 0, "driver", d.name()); // at zero until the first: a rate from the start
            }
            volumes.recover();
            restore();
        }
    }

    /**
     * Whether a target of an exported volume is missing now (tgtd restarted, configfs cleared): one listing
     * of the live targets against the records. A driver without targets never misses one.
     */
    public boolean targetsMissing() {
        Map<ExportDriver, java.util.Set<String>> live = new java.util.IdentityHashMap<>();
        for (VolumeRecord r : store.all()) {
            if (r.exports().isEmpty()) {
                continue;
            }
            ExportDriver d;
            try {
                d = driver(r);
            } catch (TetherException e) {
                continue; // a pool no longer declared: the repair pass says so
            }
            if (!d.name().equals("rbd") && !live.computeIfAbsent(d, ExportDriver::liveTargets).contains(targetOf(r))) {
                return true;
            }
        }
        return false;
    }

    /** One repair pass: interrupted creates and deletes finished, then lost exports put back. */
    public int repairPass() {
        volumes.recover();
        return restore();
    }

    /**
     * Puts back every recorded export the live target lost (a restarted tgtd, a cleared configfs), with the
     * same IQN, LUN, ACL and CHAP; nothing else is touched. Run at start and on every repair pass.
     *
     * @return how many exports were put back
     */
    public int restore() {
        int restored = 0;
        int failed = 0;
        Map<ExportDriver, java.util.function.Function<ExportSpec, List<String>>> atOnce =
                new java.util.IdentityHashMap<>();
        for (VolumeRecord listed : store.all()) {
            if (listed.exports().isEmpty()) {
                continue;
            }
            try {
                if (whole(listed, atOnce)) {
                    continue; // judged from the pass's one reading of the target; anything else is judged again
                }
            } catch (TetherException e) {
                // the target could not be read or the pool is gone: judged below, under the lock, as before
            }
            try (var held = volumes.lock(listed.id())) {
                // read again under the lock: an unexport or delete may have finished since the listing, and
                // what it removed must not be put back
                VolumeRecord r = store.find(listed.id()).orElse(null);
                if (r == null || r.exports().isEmpty() || r.chap() == null) {
                    continue;
                }
                for (Wanted w : wanted(r)) {
                    var gaps = w.driver().gaps(w.spec());
                    if (!gaps.isEmpty()) {
                        w.driver().export(w.spec());
                        LOG.warnf("export of volume %s to %s lacked %s in %s; put back", r.id(), w.spec().initiator(),
                                String.join(", ", gaps), w.driver().name());
                        metrics.exportRepaired(w.driver().name());
                        restored++;
                    }
                }
            } catch (TetherException e) {
                failed++;
                LOG.errorf("could not restore exports of %s: %s", listed.id(), e.getMessage());
            }
        }
        unrepaired = failed;
        if (restored > 0) {
            LOG.infof("restored %d export(s) from the agent's state", restored);
        }
        removeStale();
        return restored;
    }

    private boolean whole(VolumeRecord r, Map<ExportDriver, java.util.function.Function<ExportSpec, List<String>>> atOnce) {
        if (r.chap() == null) {
            return false;
        }
        return wanted(r).stream().allMatch(w -> atOnce.computeIfAbsent(w.driver(), ExportDriver::gapsAtOnce)
                .apply(w.spec()).isEmpty());
    }

    /**
     * Takes away what the live target of one of Tether's volumes holds that no record explains: an ACL for an
     * initiator the volume is not exported to, and the target with its last such ACL when the volume has no
     * export (a {@code saveconfig.json} an earlier Tether wrote and {@code target.service} restored, a crash
     * between the target and the record, a hand). Such an ACL would still let its initiator log in with the
     * volume's CHAP. Only targets of volumes Tether records are looked at, under the volume's lock (an export
     * records itself before it touches the target); a target of the same naming for a volume Tether does not
     * have is someone else's (Cinder's helpers name theirs the same way) and is never touched.
     *
     * @return how many ACLs and targets were removed
     */
    int removeStale() {
        int removed = 0;
        for (ExportDriver d : drivers.distinct()) {
            if (d.name().equals("rbd")) {
                continue;
            }
            Map<String, java.util.Set<String>> live;
            try {
                live = d.liveAcls();
            } catch (TetherException e) {
                continue; // the target is away: readiness and the next pass say so
            }
            for (var target : live.entrySet()) {
                UUID id = volumeOf(d, target.getKey());
                if (id == null) {
                    continue;
                }
                // listed outside the lock, judged under it: an initiator exported since the listing is recorded
                try (var held = volumes.lock(id)) {
                    removed += removeStale(d, target.getKey(), target.getValue(), id);
                } catch (TetherException e) {
                    LOG.errorf("could not remove what target %s holds beyond the records: %s", target.getKey(),
                            e.getMessage());
                }
            }
        }
        return removed;
    }

    private int removeStale(ExportDriver d, String target, java.util.Set<String> admitted, UUID id) {
        VolumeRecord r = store.find(id).orElse(null);
        VolumeRecord.Migration m = r == null ? null : r.migration();
        ExportDriver other = m != null && m.live() ? drivers.of(m.pool()) : null;
        if (r == null || (driver(r) != d && other != d)) {
            // a volume Tether does not have: the target is someone else's with the same naming (Cinder's tgt or
            // LIO helper on this host uses it too), or the volume's pool exports through another driver
            return 0;
        }
        String tag = tagOf(d, id, target);
        java.util.Set<String> recorded = new java.util.HashSet<>();
        String chapUser = null;
        if (driver(r) == d && target.equals(targetOf(r))) {
            r.exports().forEach(e -> recorded.add(e.initiator()));
            chapUser = r.chap() == null ? null : r.chap().username();
        } else if (other == d && java.util.Objects.equals(tag, m.export().tag())) {
            // the other copy of a move of the volume in use: its target is wanted while the copy is made and
            // switched to, and removed with its own account (never the volume's) once the move is over
            if (m.phase() == VolumeRecord.Migration.Phase.COPYING) {
                r.exports().forEach(e -> recorded.add(e.initiator()));
            }
            chapUser = m.export().chap() == null ? null : m.export().chap().username();
        }
        // else a target of the volume under a name it no longer has (a move's old copy whose removal a crash
        // cut short): everything it admits goes, and no CHAP account, which may be another target's now
        List<String> stale = admitted.stream().filter(i -> !recorded.contains(i)).sorted().toList();
        int removed = 0;
        for (int i = 0; i < stale.size(); i++) {
            boolean last = recorded.isEmpty() && i == stale.size() - 1;
            d.unexport(target, volumeName(id, tag), stale.get(i), chapUser, last);
            LOG.warnf("target %s admitted %s, which no export of volume %s records: removed%s", target,
                    stale.get(i), id, last ? ", and the target with it" : "");
            removed++;
        }
        return removed;
    }

    /** The volume a target of Tether's serves, or null for a target that is not Tether's. */
    private UUID volumeOf(ExportDriver d, String target) {
        int at = target.lastIndexOf("volume-");
        int end = at + "volume-".length() + 36;
        if (at < 0 || target.length() < end) {
            return null;
        }
        try {
            UUID id = UUID.fromString(target.substring(at + "volume-".length(), end));
            if (!target.substring(0, end).equals(target(d, id))) {
                return null;
            }
            String rest = target.substring(end);
            return rest.isEmpty() || rest.matches("-m[0-9a-f]{8}") ? id : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The tag of a target {@link #volumeOf} named the volume of; null for the name its id alone gives. */
    private String tagOf(ExportDriver d, UUID id, String target) {
        String plain = target(d, id);
        return target.length() > plain.length() ? target.substring(plain.length() + 1) : null;
    }

    /** Volumes whose exports the last repair pass could not put back (0 when all are served). */
    public int unrepaired() {
        return unrepaired;
    }

    private ExportSpec spec(VolumeRecord r, String initiator) {
        return new ExportSpec(targetOf(r), volumeName(r.id(), r.exportTag()), volumes.devicePath(r), initiator,
                r.chap().username(), r.chap().password());
    }

    /** One export a record asks for, and the driver that serves it. */
    private record Wanted(ExportDriver driver, ExportSpec spec) {
    }

    /**
     * Every export the record asks for: the volume's own to each initiator, and while a move of the volume in
     * use that no call runs now (a crash) is unsettled, its other copy's under its own target and account to the
     * same initiators.
     */
    private List<Wanted> wanted(VolumeRecord r) {
        List<Wanted> out = new ArrayList<>();
        for (VolumeRecord.ExportRecord e : r.exports()) {
            out.add(new Wanted(driver(r), spec(r, e.initiator())));
        }
        VolumeRecord.Migration m = r.migration();
        // while the move's call runs it makes the copy and its export itself (a pass must not export a copy that
        // is still being created); once no call runs, the guest may read the copy, which must be served
        if (m != null && m.live() && m.phase() == VolumeRecord.Migration.Phase.COPYING && !volumes.moving(r.id())) {
            for (VolumeRecord.ExportRecord e : r.exports()) {
                out.add(new Wanted(drivers.of(m.pool()), copySpec(r, e.initiator())));
            }
        }
        return out;
    }

    /** The export of a moving volume's other copy (in the migration's pool, under its tag and account). */
    private ExportSpec copySpec(VolumeRecord r, String initiator) {
        VolumeRecord.Migration m = r.migration();
        VolumeRecord.OtherExport x = m.export();
        return new ExportSpec(target(drivers.of(m.pool()), r.id(), x.tag()), volumeName(r.id(), x.tag()),
                volumes.devicePathIn(m.pool(), r.id()), initiator, x.chap().username(), x.chap().password());
    }

    /**
     * A move of the exported volume made its other copy (state {@code migrating}, the migration live and copying):
     * that copy is exported to every initiator the volume is, under its own target and CHAP account. Repeats are
     * harmless; a failure leaves what was made to {@link #unexportOther}.
     *
     * @return the connection_info the volume's compute side moves the guest onto
     */
    public Map<String, Object> exportCopy(UUID volumeId) {
        try (var held = volumes.lock(volumeId)) {
            VolumeRecord r = volumes.get(volumeId);
            VolumeRecord.Migration m = r.migration();
            if (m == null || !m.live() || m.phase() != VolumeRecord.Migration.Phase.COPYING) {
                throw new IllegalStateException("volume " + volumeId + " has no copy being made to export");
            }
            ExportDriver d = drivers.of(m.pool());
            for (VolumeRecord.ExportRecord e : r.exports()) {
                d.export(copySpec(r, e.initiator()));
            }
            String target = target(d, volumeId, m.export().tag());
            LOG.infof("exported the copy of volume %s in pool %s as %s", volumeId, m.pool(),
                    d.exportName(volumeId, target));
            return connectionInfo(d, r, target, m.export().chap(), false);
        }
    }

    /**
     * The target of the moving volume's other copy goes, with its own CHAP account: while copying, the copy's
     * (a move undone); after the swap, the old copy's. Absent is success. Called under the volume's lock.
     */
    public void unexportOther(VolumeRecord r) {
        VolumeRecord.Migration m = r.migration();
        if (m == null || !m.live()) {
            return;
        }
        ExportDriver d = drivers.of(m.pool());
        if (d.name().equals("rbd")) {
            return; // no target was made: access to an image is its cephx user's, which Ceph enforces
        }
        String target = target(d, r.id(), m.export().tag());
        String name = volumeName(r.id(), m.export().tag());
        java.util.Set<String> initiators = new java.util.TreeSet<>(d.initiators(target));
        r.exports().forEach(e -> initiators.add(e.initiator()));
        List<String> all = new ArrayList<>(initiators);
        String user = m.export().chap() == null ? null : m.export().chap().username();
        for (int i = 0; i < all.size(); i++) {
            d.unexport(target, name, all.get(i), user, i == all.size() - 1);
        }
        LOG.infof("removed target %s of volume %s in pool %s", target, r.id(), m.pool());
    }

    /** The connector must name the same initiator as the URL; returns whether it asked for multipath. */
    private static boolean checkConnector(String initiator, JsonNode connector, ExportDriver.HostName hostName) {
        requireHostName(initiator, hostName);
        if (connector == null || !connector.isObject()) {
            throw TetherException.invalid("connector", "the body must be the connector object");
        }
        // nvmeof: the host NQN (Cinder refuses a connector without "nqn"); iSCSI: the initiator name
        String field = hostName == ExportDriver.HostName.NQN ? "nqn" : "initiator";
        JsonNode ini = connector.get(field);
        if (ini == null || ini.isNull()) {
            throw TetherException.missing("connector." + field);
        }
        if (!ini.isTextual() || !ini.asText().equals(initiator)) {
            throw TetherException.invalid("connector." + field, "connector." + field + " must equal the URL's "
                    + "initiator");
        }
        JsonNode mp = connector.get("multipath");
        return mp != null && mp.isBoolean() && mp.asBoolean();
    }

    private static void requireHostName(String initiator, ExportDriver.HostName hostName) {
        if (hostName == ExportDriver.HostName.NQN) {
            org.tether.connection.NvmeNames.requireNqn(initiator, "initiator");
        } else {
            IscsiNames.requireName(initiator, "initiator");
        }
    }

    /** What Cinder's LVM driver answers from initialize_connection, in the nested shape. */
    private Map<String, Object> connectionInfo(VolumeRecord r, boolean multipath) {
        return connectionInfo(driver(r), r, targetOf(r), r.chap(), multipath);
    }

    private Map<String, Object> connectionInfo(ExportDriver driver, VolumeRecord r, String target,
                                               VolumeRecord.ChapSecret chap, boolean multipath) {
        var own = driver.connectionInfo(r.id(), target, r.frontEndQos());
        if (own.isPresent()) {
            // the driver knows the transport; the record knows whether the volume is encrypted
            @SuppressWarnings("unchecked")
            Map<String, Object> data = (Map<String, Object>) own.get().get("data");
            data.put("encrypted", r.encryption() != null);
            return own.get();
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("target_discovered", false);
        data.put("target_portal", portals.get(0).hostPort());
        data.put("target_iqn", target);
        data.put("target_lun", driver.lun());
        if (multipath || portals.size() > 1) {
            List<String> ps = new ArrayList<>();
            List<String> iqns = new ArrayList<>();
            List<Integer> luns = new ArrayList<>();
            for (Portal p : portals) {
                ps.add(p.hostPort());
                iqns.add(target);
                luns.add(driver.lun());
            }
            data.put("target_portals", ps);
            data.put("target_iqns", iqns);
            data.put("target_luns", luns);
        }
        data.put("volume_id", r.id().toString());
        data.put("auth_method", "CHAP");
        data.put("auth_username", chap.username());
        data.put("auth_password", chap.password());
        data.put("encrypted", r.encryption() != null);
        data.put("qos_specs", r.frontEndQos().isEmpty() ? null : r.frontEndQos());
        data.put("access_mode", "rw");
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("driver_volume_type", "iscsi");
        info.put("data", data);
        return info;
    }
}
