package org.tether.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.tether.config.TetherConfig;
import org.tether.config.StorageConfig;
import org.tether.config.TargetConfig;
import org.tether.config.StorageConfig.BackendKind;
import org.tether.config.TargetConfig.TargetDriver;
import org.tether.exec.CommandRunner;
import org.tether.storage.lvm.Lvm;
import org.tether.storage.lvm.LvmBackend;
import org.tether.storage.rbd.RadosSession;
import org.tether.storage.rbd.RbdBackend;
import org.tether.storage.rbd.RbdCli;
import org.tether.storage.rbd.RbdExportDriver;
import org.tether.storage.target.ExportDriver;
import org.tether.storage.target.ExportDrivers;
import org.tether.storage.target.Configfs;
import org.tether.storage.target.LioDriver;
import org.tether.storage.target.NvmetDriver;
import org.tether.storage.target.TgtDriver;
import org.tether.storage.target.Tgtadm;
import org.tether.storage.volume.CapacityGuard;
import org.tether.storage.volume.FileBackend;
import org.tether.storage.volume.Pool;
import org.tether.storage.volume.PoolSet;
import org.tether.storage.volume.VolumeBackend;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The pools the configuration declares, each with its backend, and the export driver of each pool. Created on
 * first use (storage mode's start). A configuration that cannot work is refused at once, saying why.
 */
public class StorageBeans {

    @Produces
    @ApplicationScoped
    PoolSet pools(TetherConfig config, CommandRunner runner, ObjectMapper json, RadosSession session) {
        Lvm lvm = new Lvm(runner, config.storage().lvm(), json); // one for every LVM pool: one report serves them all
        return new PoolSet(declared(config.storage()).stream().map(d -> pool(d, config.storage(), runner, json, session, lvm))
                .toList(), defaultName(config.storage()));
    }

    /** One librados connection for every RBD pool of the agent, made on first use (none without an RBD pool). */
    @Produces
    @ApplicationScoped
    RadosSession radosSession(TetherConfig config) {
        return new RadosSession(config.storage().rbd());
    }

    void closeSession(@jakarta.enterprise.inject.Disposes RadosSession session) {
        session.close();
    }

    @Produces
    @ApplicationScoped
    ExportDrivers drivers(PoolSet pools, TetherConfig config, CommandRunner runner) {
        TargetConfig t = config.storage().target();
        t.saveconfig().ifPresent(f -> org.jboss.logging.Logger.getLogger(StorageBeans.class).warnf(
                "tether.storage.target.saveconfig (%s) is ignored: Tether no longer writes saveconfig.json and "
                        + "restores its LIO exports from its own records", f));
        Map<TargetDriver, ExportDriver> shared = new EnumMap<>(TargetDriver.class);
        Map<String, ExportDriver> byPool = new HashMap<>();
        for (Pool p : pools.all()) {
            if (p.kind() == BackendKind.RBD) { // RBD has no target: compute hosts reach Ceph themselves
                byPool.put(p.name(), new RbdExportDriver(((RbdBackend) p.backend()).cli()));
                continue;
            }
            TargetDriver kind = TargetDriver.valueOf(p.target().toUpperCase(Locale.ROOT));
            byPool.put(p.name(), shared.computeIfAbsent(kind, k -> switch (k) {
                case TGT -> new TgtDriver(new Tgtadm(runner, t.commandTimeout()), t.tgtConfDir());
                case LIO -> new LioDriver(t.configfsRoot(), t.portals());
                case NVMET -> new NvmetDriver(new Configfs(t.nvmetRoot()), t.nqnPrefix(), t.nvmePortals().stream()
                        .map(s -> org.tether.connection.IscsiNames.parsePortal(s, "tether.storage.target.nvme-portals"))
                        .toList(), t.nvmetNsId());
            }));
        }
        if (shared.containsKey(TargetDriver.LIO) && shared.containsKey(TargetDriver.TGT)) {
            throw new IllegalStateException("tether.storage.pools: LIO and tgt would both serve iSCSI on the same "
                    + "portals; give every pool the same target-driver");
        }
        return new ExportDrivers(byPool);
    }

    /** One pool's settings, the single-backend ones filling what it leaves unset. */
    private record Declared(String name, StorageConfig.PoolConfig own) {
    }

    private static List<Declared> declared(StorageConfig s) {
        if (s.pools().isEmpty()) {
            return List.of(new Declared("default", null));
        }
        List<Declared> out = new ArrayList<>();
        s.pools().forEach((name, c) -> {
            if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw new IllegalStateException("tether.storage.pools." + name + ": a pool name is 1-64 characters "
                        + "of [A-Za-z0-9_.-]");
            }
            out.add(new Declared(name, c));
        });
        return out;
    }

    private static String defaultName(StorageConfig s) {
        if (s.defaultPool().isPresent()) {
            return s.defaultPool().get();
        }
        return s.pools().isEmpty() || s.pools().containsKey("default") ? "default"
                : s.pools().keySet().stream().sorted().findFirst().orElseThrow();
    }

    private static Pool pool(Declared d, StorageConfig s, CommandRunner runner, ObjectMapper json,
                             RadosSession session, Lvm lvm) {
        var c = d.own();
        String prefix = "tether.storage.pools." + d.name() + ".";
        BackendKind kind = c == null ? s.backend() : c.backend();
        CapacityGuard capacity = new CapacityGuard(
                c == null ? s.maxOverSubscriptionRatio() : c.maxOverSubscriptionRatio().orElse(s.maxOverSubscriptionRatio()),
                c == null ? s.poolThresholdPercent() : c.poolThresholdPercent().orElse(s.poolThresholdPercent()));
        int reserved = c == null ? s.reservedPercentage() : c.reservedPercentage().orElse(s.reservedPercentage());
        String backendName = (c == null ? s.volumeBackendName() : c.volumeBackendName())
                .orElse(kind.name().toLowerCase(Locale.ROOT));
        String target = kind == BackendKind.RBD ? "rbd" : (c == null ? s.target().driver()
                : c.targetDriver().orElse(s.target().driver())).name().toLowerCase(Locale.ROOT);
        VolumeBackend backend;
        String location;
        switch (kind) {
            case FILE -> {
                var dir = c == null ? s.file().dir() : c.dir().orElseThrow(() -> required(prefix + "dir", "file"));
                backend = new FileBackend(dir, runner);
                location = dir.toAbsolutePath().normalize().toString();
            }
            case LVM -> {
                String vg = c == null ? s.lvm().vg() : c.vg().orElseThrow(() -> required(prefix + "vg", "lvm"));
                String size = c == null ? s.lvm().thinPoolSize() : c.thinPoolSize().orElse(s.lvm().thinPoolSize());
                backend = new LvmBackend(lvm, vg, size, s.lvm().wipe(), s.lvm().timeout());
                location = vg;
            }
            case RBD -> {
                String rbdPool = c == null ? s.rbd().pool() : c.rbdPool().orElse(s.rbd().pool());
                backend = new RbdBackend(new RbdCli(runner, s.rbd(), rbdPool, json, session));
                location = s.rbd().clusterName() + ":" + rbdPool;
            }
            default -> throw new IllegalStateException("unknown backend " + kind);
        }
        return new Pool(d.name(), kind, backend, capacity, backendName, reserved, target, location);
    }

    private static IllegalStateException required(String key, String backend) {
        return new IllegalStateException(key + " is required for a pool with backend " + backend);
    }
}
