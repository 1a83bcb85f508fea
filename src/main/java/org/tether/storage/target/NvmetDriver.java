package org.tether.storage.target;

import org.jboss.logging.Logger;
import org.tether.connection.Portal;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Exports over NVMe/TCP through the kernel's nvmet, straight through configfs ({@code /sys/kernel/config/nvmet};
 * Debian ships no nvmetcli). One subsystem per volume ({@code <nqn-prefix>volume-<id>}) that admits only the
 * hosts it is exported to ({@code attr_allow_any_host=0}, one {@code allowed_hosts} link per host NQN: an export
 * to a host is exactly that link, unlike Cinder's nvmet target, which admits any host), one namespace whose
 * {@code device_uuid} is the volume id, linked into one port per configured portal (a port with the same
 * transport, address and service id is reused, whoever made it). The last unexport removes the subsystem, its
 * port links, and the host objects and ports no subsystem uses any more.
 *
 * <p>There is no CHAP: Debian 12's kernel has no NVMe in-band authentication ({@code NVME_TARGET_AUTH} unset),
 * so the host NQN is the access control, as with Cinder; the volume's CHAP stays unused in its record.
 */
public class NvmetDriver implements ExportDriver {
    private static final Logger LOG = Logger.getLogger(NvmetDriver.class);

    private final Configfs fs;
    private final String nqnPrefix;
    private final List<Portal> portals;
    private final int nsId;

    public NvmetDriver(Configfs fs, String nqnPrefix, List<Portal> portals, int nsId) {
        this.fs = fs;
        this.nqnPrefix = nqnPrefix;
        this.portals = List.copyOf(portals);
        this.nsId = nsId;
    }

    @Override
    public String name() {
        return "nvmet";
    }

    @Override
    public int lun() {
        return nsId;
    }

    @Override
    public Optional<String> targetName(UUID volumeId) {
        return Optional.of(nqnPrefix + "volume-" + volumeId);
    }

    @Override
    public HostName hostName() {
        return HostName.NQN;
    }

    private Path subsystem(String nqn) {
        return fs.root().resolve("subsystems").resolve(nqn);
    }

    private Path namespace(String nqn) {
        return subsystem(nqn).resolve("namespaces").resolve(Integer.toString(nsId));
    }

    /**
     * The namespace re-reads its device's size: {@code revalidate_size} where the kernel has it (5.15 and
     * later), else a disable and enable, after which connected hosts see the new capacity on their next rescan.
     */
    @Override
    public synchronized void followResize(String nqn, String devicePath) {
        Path ns = namespace(nqn);
        if (!fs.exists(ns)) {
            return;
        }
        if (fs.exists(ns.resolve("revalidate_size"))) {
            fs.write(ns.resolve("revalidate_size"), "1");
        } else {
            fs.write(ns.resolve("enable"), "0");
            fs.write(ns.resolve("enable"), "1");
        }
        LOG.infof("nvmet namespace %d of %s re-read the size of %s", nsId, nqn, devicePath);
    }

    @Override
    public synchronized void export(ExportSpec spec) {
        requireLoaded();
        Path sub = subsystem(spec.iqn());
        boolean created = !fs.exists(sub);
        try {
            fs.mkdir(sub);
            // before any host is linked: a subsystem that admits any host never exists, not even for a moment
            fs.write(sub.resolve("attr_allow_any_host"), "0");
            ensureNamespace(spec);
            Path host = fs.root().resolve("hosts").resolve(spec.initiator());
            fs.mkdir(host);
            fs.symlink(sub.resolve("allowed_hosts").resolve(spec.initiator()), host);
            for (Portal p : portals) {
                fs.symlink(port(p).resolve("subsystems").resolve(spec.iqn()), sub);
            }
        } catch (RuntimeException e) {
            if (created) {
                try {
                    removeSubsystem(spec.iqn());
                } catch (RuntimeException undo) {
                    LOG.errorf("undo of nvmet subsystem %s incomplete: %s", spec.iqn(), undo.getMessage());
                }
            }
            throw e;
        }
        LOG.debugf("nvmet subsystem %s admits %s", spec.iqn(), spec.initiator());
    }

    private void ensureNamespace(ExportSpec spec) {
        Path ns = namespace(spec.iqn());
        if (fs.exists(ns)) {
            String device = fs.read(ns.resolve("device_path"));
            if (!device.isEmpty() && !device.equals(spec.devicePath())) {
                throw new TetherException(ErrorCode.TARGET_FAILED, "nvmet subsystem " + spec.iqn() + " namespace "
                        + nsId + " serves " + device + ", not " + spec.devicePath());
            }
            if (device.isEmpty()) {
                fs.write(ns.resolve("device_path"), spec.devicePath()); // an earlier run stopped half-way
            }
        } else {
            fs.mkdir(ns);
            fs.write(ns.resolve("device_path"), spec.devicePath());
            fs.write(ns.resolve("device_uuid"), volumeId(spec.volumeName()));
        }
        if (!"1".equals(fs.read(ns.resolve("enable")))) {
            fs.write(ns.resolve("enable"), "1");
        }
    }

    private static String volumeId(String volumeName) {
        return volumeName.substring("volume-".length(), "volume-".length() + 36); // a moving copy's has a tag after
    }

    /** The port serving this portal: an existing one with the same address, else a new one with a free id. */
    private Path port(Portal p) {
        Path ports = fs.root().resolve("ports");
        Optional<Path> found = findPort(p);
        if (found.isPresent()) {
            return found.get();
        }
        int id = 1;
        Set<String> used = new java.util.HashSet<>();
        fs.list(ports).forEach(x -> used.add(x.getFileName().toString()));
        while (used.contains(Integer.toString(id))) {
            id++;
        }
        Path port = ports.resolve(Integer.toString(id));
        fs.mkdir(port);
        fs.write(port.resolve("addr_trtype"), "tcp");
        fs.write(port.resolve("addr_adrfam"), p.host().contains(":") ? "ipv6" : "ipv4");
        fs.write(port.resolve("addr_traddr"), p.host());
        fs.write(port.resolve("addr_trsvcid"), Integer.toString(p.port()));
        LOG.infof("nvmet port %d listens on %s (tcp)", id, p.hostPort());
        return port;
    }

    private Optional<Path> findPort(Portal p) {
        for (Path port : fs.list(fs.root().resolve("ports"))) {
            if ("tcp".equals(fs.read(port.resolve("addr_trtype"))) && p.host().equals(fs.read(port.resolve("addr_traddr")))
                    && Integer.toString(p.port()).equals(fs.read(port.resolve("addr_trsvcid")))) {
                return Optional.of(port);
            }
        }
        return Optional.empty();
    }

    @Override
    public synchronized void unexport(String nqn, String volumeName, String hostNqn, String chapUser, boolean last) {
        Path sub = subsystem(nqn);
        fs.remove(sub.resolve("allowed_hosts").resolve(hostNqn));
        if (last) {
            removeSubsystem(nqn);
        }
        removeUnusedHost(hostNqn);
    }

    private void removeSubsystem(String nqn) {
        Path sub = subsystem(nqn);
        for (Path port : fs.list(fs.root().resolve("ports"))) {
            fs.remove(port.resolve("subsystems").resolve(nqn));
        }
        for (Path host : fs.list(sub.resolve("allowed_hosts"))) {
            fs.remove(host);
        }
        Path ns = namespace(nqn);
        if (fs.exists(ns)) {
            fs.write(ns.resolve("enable"), "0");
            fs.remove(ns);
        }
        fs.remove(sub);
        for (Portal p : portals) {
            findPort(p).filter(port -> fs.list(port.resolve("subsystems")).isEmpty()).ifPresent(fs::remove);
        }
    }

    /** A host object no subsystem admits any more goes (hosts are global in nvmet). */
    private void removeUnusedHost(String hostNqn) {
        for (Path sub : fs.list(fs.root().resolve("subsystems"))) {
            if (fs.exists(sub.resolve("allowed_hosts").resolve(hostNqn))) {
                return;
            }
        }
        fs.remove(fs.root().resolve("hosts").resolve(hostNqn));
    }

    @Override
    public void probe() {
        requireLoaded();
    }

    private void requireLoaded() {
        if (!fs.exists(fs.root())) {
            throw new TetherException(ErrorCode.TARGET_UNAVAILABLE, "nvmet is not loaded (" + fs.root()
                    + " is missing): modprobe nvmet nvmet_tcp");
        }
    }

    @Override
    public Set<String> liveTargets() {
        Set<String> out = new LinkedHashSet<>();
        fs.list(fs.root().resolve("subsystems")).forEach(p -> out.add(p.getFileName().toString()));
        return out;
    }

    @Override
    public Set<String> initiators(String nqn) {
        Set<String> out = new LinkedHashSet<>();
        fs.list(subsystem(nqn).resolve("allowed_hosts")).forEach(p -> out.add(p.getFileName().toString()));
        return out;
    }

    @Override
    public synchronized List<String> gaps(ExportSpec spec) {
        Path sub = subsystem(spec.iqn());
        if (!fs.exists(sub)) {
            return List.of("subsystem " + spec.iqn());
        }
        List<String> gaps = new ArrayList<>();
        if (!"0".equals(fs.read(sub.resolve("attr_allow_any_host")))) {
            gaps.add("allow_any_host off");
        }
        Path ns = namespace(spec.iqn());
        if (!fs.exists(ns) || !spec.devicePath().equals(fs.read(ns.resolve("device_path")))
                || !"1".equals(fs.read(ns.resolve("enable")))) {
            gaps.add("namespace " + nsId + " on " + spec.devicePath());
        }
        if (!fs.exists(sub.resolve("allowed_hosts").resolve(spec.initiator()))) {
            gaps.add("allowed host " + spec.initiator());
        }
        for (Portal p : portals) {
            if (findPort(p).map(port -> !fs.exists(port.resolve("subsystems").resolve(spec.iqn()))).orElse(true)) {
                gaps.add("port " + p.hostPort());
            }
        }
        return gaps;
    }

    /** Cinder's nvmeof connection_info, version 2 (target_nqn, vol_uuid, portals as [address, port, transport], ns_id). */
    @Override
    public Optional<Map<String, Object>> connectionInfo(UUID volumeId, String target, Map<String, String> qosSpecs) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("target_nqn", target);
        data.put("vol_uuid", volumeId.toString());
        List<List<Object>> ps = new ArrayList<>();
        for (Portal p : portals) {
            ps.add(List.of(p.host(), Integer.toString(p.port()), "tcp"));
        }
        data.put("portals", ps);
        data.put("ns_id", nsId);
        data.put("volume_id", volumeId.toString());
        data.put("qos_specs", qosSpecs.isEmpty() ? null : qosSpecs);
        data.put("access_mode", "rw");
        data.put("discard", true);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("driver_volume_type", "nvmeof");
        info.put("data", data);
        return Optional.of(info);
    }
}
