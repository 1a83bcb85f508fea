package org.tether.compute.libvirt;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.Secret;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import org.tether.compute.libvirt.jna.LibvirtNative;
import org.tether.compute.libvirt.jna.TypedParams;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@link Hypervisor} on libvirt-java, with JNA for the calls libvirt-java lacks (block I/O tuning). The
 * connection, its reopening and its event callbacks are {@link LibvirtConnection}'s.
 */
@ApplicationScoped
public class LibvirtHypervisor implements Hypervisor {
    private static final int XML_INACTIVE = 2;
    private static final int NO_DOMAIN = 42;
    private static final int BLOCK_RESIZE_BYTES = 1;
    private static final java.time.Duration BACKUP_END_WAIT = java.time.Duration.ofSeconds(30);
    /** No agent channel in the domain (libvirt's code for it), an agent that does not answer, or not in step. */
    private static final int AGENT_NOT_CONFIGURED = Error.ErrorNumber.VIR_ERR_ARGUMENT_UNSUPPORTED.ordinal();
    private static final int AGENT_UNRESPONSIVE = Error.ErrorNumber.VIR_ERR_AGENT_UNRESPONSIVE.ordinal();
    private static final int AGENT_UNSYNCED = Error.ErrorNumber.VIR_ERR_AGENT_UNSYNCED.ordinal();
    private static final LibvirtNative NATIVE = LibvirtNative.INSTANCE;

    private final LibvirtConnection libvirt;
    private final DomainHandles handles = new DomainHandles();

    private final String uri;

    public LibvirtHypervisor(TetherConfig config) {
        this.uri = config.libvirt().uri();
        this.libvirt = new LibvirtConnection(uri);
        libvirt.listen(handles);
    }

    @FunctionalInterface
    private interface DomainCall<T> {
        T apply(Domain d) throws LibvirtException;
    }

    @Override
    public java.util.Optional<java.time.Instant> unavailableSince() {
        return libvirt.unavailableSince();
    }

    @Override
    public long daemonVersion() {
        return libvirt.call(Connect::getLibVersion);
    }

    @Override
    public DomainState domainState(String domain) {
        return onDomain(domain, d -> new DomainState(domain, d.isActive() == 1, d.isPersistent() == 1));
    }

    @Override
    public DomainXml liveXml(String domain) {
        return LibvirtXml.readDomain(onDomain(domain, d -> d.getXMLDesc(0)));
    }

    @Override
    public DomainXml persistentXml(String domain) {
        return LibvirtXml.readDomain(onDomain(domain, d ->
                d.isPersistent() == 1 ? d.getXMLDesc(XML_INACTIVE) : "<domain/>"));
    }

    /**
     * One lookup, the live XML (whether the domain runs is read from it: its {@code id} is there only then, and
     * XML and state come from one answer), whether it is persistent, and one definition read unless the domain
     * runs with a persistent definition apart: four round trips.
     */
    @Override
    public DomainView view(String domain) {
        return onDomain(domain, d -> {
            DomainXml live = LibvirtXml.readDomain(d.getXMLDesc(0));
            DomainState state = new DomainState(domain, live.running(), d.isPersistent() == 1);
            DomainXml persistent = !state.persistent() ? LibvirtXml.readDomain("<domain/>")
                    : state.active() ? LibvirtXml.readDomain(d.getXMLDesc(XML_INACTIVE)) : live;
            return new DomainView(state, live, persistent);
        });
    }

    @Override
    public void attachDevice(String domain, String deviceXml, Set<Scope> scope) {
        onDomain(domain, d -> {
            d.attachDeviceFlags(deviceXml, Scope.flags(scope));
            return null;
        });
    }

    @Override
    public void detachDevice(String domain, String deviceXml, Set<Scope> scope) {
        onDomain(domain, d -> {
            d.detachDeviceFlags(deviceXml, Scope.flags(scope));
            return null;
        });
    }

    @Override
    public void detachDeviceAlias(String domain, String alias, Set<Scope> scope) {
        onNativeDomain(domain, dom -> {
            if (NATIVE.virDomainDetachDeviceAlias(dom, alias, Scope.flags(scope)) < 0) {
                throw nativeError("detach the device " + alias);
            }
            return null;
        });
    }

    @Override
    public void defineIscsiSecret(UUID uuid, String usage, byte[] value) {
        defineSecret(SecretXml.iscsi(uuid, usage), value);
    }

    @Override
    public void defineCephSecret(UUID uuid, String usageName, String description, byte[] value) {
        defineSecret(SecretXml.ceph(uuid, usageName, description), value);
    }

    @Override
    public void definePassphraseSecret(UUID uuid, UUID volumeId, byte[] value) {
        defineSecret(SecretXml.volume(uuid, volumeId), value);
    }

    private void defineSecret(String xml, byte[] value) {
        libvirt.call(c -> {
            Secret s = c.secretDefineXML(xml);
            try {
                s.setValue(value);
            } finally {
                s.free();
            }
            return null;
        });
    }

    @Override
    public boolean setSecretValue(UUID uuid, byte[] value) {
        return libvirt.call(c -> {
            Secret s = lookupSecret(c, uuid);
            if (s == null) {
                return false;
            }
            try {
                s.setValue(value);
            } finally {
                s.free();
            }
            return true;
        });
    }

    @Override
    public void undefineSecret(UUID uuid) {
        libvirt.call(c -> {
            Secret s = lookupSecret(c, uuid);
            if (s != null) {
                try {
                    s.undefine();
                } finally {
                    s.free();
                }
            }
            return null;
        });
    }

    @Override
    public void setBlockIoTune(String domain, String disk, Map<String, Object> params, Set<Scope> scope) {
        TypedParams.Packed packed = TypedParams.pack(params);
        onNativeDomain(domain, dom -> {
            if (NATIVE.virDomainSetBlockIoTune(dom, disk, packed.array(), packed.count(), Scope.flags(scope)) < 0) {
                throw nativeError("set block I/O tuning of " + disk);
            }
            return null;
        });
    }

    @Override
    public Map<String, Object> blockIoTune(String domain, String disk, Scope scope) {
        return onNativeDomain(domain, dom -> {
            int flags = Scope.flags(Set.of(scope));
            IntByReference n = new IntByReference(0);
            if (NATIVE.virDomainGetBlockIoTune(dom, disk, null, n, flags) < 0) {
                throw nativeError("read block I/O tuning of " + disk);
            }
            Memory params = new Memory((long) TypedParams.SIZE * Math.max(1, n.getValue()));
            params.clear();
            if (NATIVE.virDomainGetBlockIoTune(dom, disk, params, n, flags) < 0) {
                throw nativeError("read block I/O tuning of " + disk);
            }
            try {
                return TypedParams.unpack(params, n.getValue());
            } finally {
                NATIVE.virTypedParamsClear(params, n.getValue());
            }
        });
    }

    @Override
    public long blockCapacity(String domain, String disk) {
        return onDomain(domain, d -> d.blockInfo(disk).getCapacity());
    }

    @Override
    public void blockResize(String domain, String disk, long bytes) {
        onDomain(domain, d -> {
            d.blockResize(disk, bytes, BLOCK_RESIZE_BYTES);
            return null;
        });
    }

    @Override
    public void defineDomain(String xml) {
        libvirt.call(c -> {
            c.domainDefineXML(xml).free();
            return null;
        });
    }

    @Override
    public void startDomain(String domain) {
        onDomain(domain, d -> {
            d.create();
            return null;
        });
    }

    @Override
    public void destroyDomain(String domain) {
        try {
            onDomain(domain, d -> {
                if (d.isActive() == 1) {
                    try {
                        d.destroy();
                    } catch (LibvirtException e) {
                        // QEMU ended while libvirt was killing it (seen under load: its SIGTERM answered by QEMU's
                        // own shutdown, which libvirt's monitor saw first): destroy says "domain is not running"
                        // (or, for a transient domain, that there is no such domain), and what was asked is done
                        Error.ErrorNumber code = LibvirtConnection.code(e);
                        boolean ended = code == Error.ErrorNumber.VIR_ERR_NO_DOMAIN
                                || code == Error.ErrorNumber.VIR_ERR_OPERATION_INVALID && !stillRunning(d);
                        if (!ended) {
                            throw e;
                        }
                    }
                }
                return null;
            });
        } catch (TetherException e) {
            if (e.code() != ErrorCode.DOMAIN_NOT_FOUND) {
                throw e;
            }
        }
    }

    /** Whether the domain still runs; a transient domain that ended is gone, and does not. */
    private static boolean stillRunning(Domain d) throws LibvirtException {
        try {
            return d.isActive() == 1;
        } catch (LibvirtException gone) {
            if (LibvirtConnection.code(gone) == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return false;
            }
            throw gone;
        }
    }

    /** libvirt's VIR_DOMAIN_UNDEFINE_NVRAM. */
    private static final int UNDEFINE_NVRAM = 4;

    @Override
    public void undefineDomain(String domain) {
        try {
            onDomain(domain, d -> {
                if (d.isPersistent() == 1) {
                    d.undefine(UNDEFINE_NVRAM); // a UEFI domain's NVRAM goes with it; harmless without one
                }
                return null;
            });
        } catch (TetherException e) {
            if (e.code() != ErrorCode.DOMAIN_NOT_FOUND) {
                throw e;
            }
        }
    }

    private <T> T onNativeDomain(String name, NativeDomainCall<T> fn) {
        return libvirt.call(c -> {
            Pointer dom = NATIVE.virDomainLookupByName(c.pointer(), name);
            if (dom == null) {
                if (NATIVE.virGetLastErrorCode() == NO_DOMAIN) {
                    throw new TetherException(ErrorCode.DOMAIN_NOT_FOUND, "domain", "no domain named " + name);
                }
                throw nativeError("look up domain " + name);
            }
            try {
                return fn.apply(dom);
            } finally {
                NATIVE.virDomainFree(dom);
            }
        });
    }

    @FunctionalInterface
    private interface NativeDomainCall<T> {
        T apply(Pointer dom);
    }

    /** The last native error: a lost connection (retried by {@link LibvirtConnection#call}) or a refusal. */
    private static RuntimeException nativeError(String what) {
        int code = NATIVE.virGetLastErrorCode();
        String msg = NATIVE.virGetLastErrorMessage();
        return LibvirtConnection.nativeFailure(code, msg, m -> new HypervisorException(HypervisorException.Kind.OTHER,
                "libvirt: cannot " + what + ": " + m, null));
    }

    @Override
    public boolean secretExists(UUID uuid) {
        return libvirt.call(c -> {
            Secret s = lookupSecret(c, uuid);
            if (s != null) {
                s.free();
            }
            return s != null;
        });
    }

    @Override
    public Set<UUID> secretUuids() {
        return libvirt.call(c -> {
            Set<UUID> out = new java.util.HashSet<>();
            for (String id : c.listSecrets()) {
                out.add(UUID.fromString(id));
            }
            return out;
        });
    }

    @Override
    public java.util.Optional<UUID> cephSecretWithUsage(String usageName) {
        return libvirt.call(c -> {
            for (String id : c.listSecrets()) {
                Secret s = lookupSecret(c, UUID.fromString(id));
                if (s == null) {
                    continue; // undefined meanwhile
                }
                try {
                    if (s.getXMLDesc().contains("<usage type='ceph'>") && usageName.equals(s.getUsageID())) {
                        return java.util.Optional.of(UUID.fromString(id));
                    }
                } finally {
                    s.free();
                }
            }
            return java.util.Optional.<UUID>empty();
        });
    }

    @Override
    public java.util.Optional<String> volumeSecretUsage(UUID uuid) {
        return libvirt.call(c -> {
            Secret s = lookupSecret(c, uuid);
            if (s == null) {
                return java.util.Optional.<String>empty();
            }
            try {
                return s.getXMLDesc().contains("<usage type='volume'>") ? java.util.Optional.of(s.getUsageID())
                        : java.util.Optional.<String>empty();
            } finally {
                s.free();
            }
        });
    }

    @Override
    public List<String> domainNames() {
        return libvirt.call(c -> {
            List<String> names = new ArrayList<>(List.of(c.listDefinedDomains()));
            for (int id : c.listDomains()) {
                try {
                    Domain d = c.domainLookupByID(id);
                    try {
                        names.add(d.getName());
                    } finally {
                        d.free();
                    }
                } catch (LibvirtException e) {
                    if (LibvirtConnection.code(e) != Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                        throw e;
                    }
                }
            }
            return names.stream().distinct().sorted().toList();
        });
    }

    private static Secret lookupSecret(Connect c, UUID uuid) throws LibvirtException {
        try {
            return c.secretLookupByUUIDString(uuid.toString());
        } catch (LibvirtException e) {
            if (LibvirtConnection.code(e) == Error.ErrorNumber.VIR_ERR_NO_SECRET) {
                return null;
            }
            throw e;
        }
    }

    /**
     * Runs fn on the domain's kept handle (see {@link DomainHandles}); a kept handle libvirt no longer knows (the
     * domain was undefined, perhaps defined again under its name) is dropped and fn runs once more on a fresh one.
     */
    private <T> T onDomain(String name, DomainCall<T> fn) {
        return libvirt.call(c -> {
            try (DomainHandles.Use use = handles.use(c, name, LibvirtHypervisor::lookupDomain)) {
                try {
                    return fn.apply(use.domain());
                } catch (LibvirtException e) {
                    if (!use.reused() || LibvirtConnection.code(e) != Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                        throw e;
                    }
                    handles.drop(name, use);
                }
            }
            try (DomainHandles.Use fresh = handles.use(c, name, LibvirtHypervisor::lookupDomain)) {
                return fn.apply(fresh.domain());
            }
        });
    }

    private static Domain lookupDomain(Connect c, String name) throws LibvirtException {
        try {
            return c.domainLookupByName(name);
        } catch (LibvirtException e) {
            if (LibvirtConnection.code(e) == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                throw new TetherException(ErrorCode.DOMAIN_NOT_FOUND, "domain", "no domain named " + name);
            }
            throw e;
        }
    }

    @Override
    public void beginBackup(String domain, String backupXml) {
        onDomain(domain, d -> {
            d.backupBegin(backupXml, null, 0);
            return null;
        });
    }

    @Override
    public java.util.Optional<String> backupJob(String domain) {
        try {
            return onDomain(domain, d -> {
                try {
                    return java.util.Optional.of(d.getBackupXMLDesc(0));
                } catch (LibvirtException e) {
                    if (LibvirtConnection.code(e) == Error.ErrorNumber.VIR_ERR_NO_DOMAIN_BACKUP
                            || LibvirtConnection.code(e) == Error.ErrorNumber.VIR_ERR_OPERATION_INVALID) {
                        return java.util.Optional.<String>empty(); // no job; or the domain is not running
                    }
                    throw e;
                }
            });
        } catch (TetherException e) {
            if (e.code() == ErrorCode.DOMAIN_NOT_FOUND) {
                return java.util.Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Aborts the job, then waits until it is gone: with an NBD client still connected, libvirt answers the abort
     * before QEMU has finished the job, and a new backup would be refused meanwhile.
     */
    @Override
    public void endBackup(String domain) {
        onDomain(domain, d -> {
            if (d.isActive() == 1) {
                try {
                    d.abortJob();
                } catch (LibvirtException e) {
                    if (LibvirtConnection.code(e) != Error.ErrorNumber.VIR_ERR_OPERATION_INVALID) {
                        throw e; // OPERATION_INVALID: no job is running
                    }
                }
            }
            return null;
        });
        long end = System.nanoTime() + BACKUP_END_WAIT.toNanos();
        while (backupJob(domain).isPresent()) {
            if (System.nanoTime() > end) {
                throw new HypervisorException(HypervisorException.Kind.OTHER, "libvirt: the backup job of " + domain
                        + " did not end within " + BACKUP_END_WAIT.toSeconds() + " s of its abort", null);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HypervisorException(HypervisorException.Kind.OTHER, "interrupted", e);
            }
        }
    }

    @Override
    public java.util.OptionalInt freezeFilesystems(String domain) {
        return onNativeDomain(domain, dom -> {
            int n = NATIVE.virDomainFSFreeze(dom, null, 0, 0);
            if (n >= 0) {
                return java.util.OptionalInt.of(n);
            }
            int code = NATIVE.virGetLastErrorCode();
            if (code == AGENT_NOT_CONFIGURED || code == AGENT_UNRESPONSIVE || code == AGENT_UNSYNCED) {
                NATIVE.virDomainFSThaw(dom, null, 0, 0); // an agent that failed half-way has thawed; make sure
                return java.util.OptionalInt.empty();
            }
            throw nativeError("freeze the file systems of " + domain);
        });
    }

    @Override
    public void thawFilesystems(String domain) {
        onNativeDomain(domain, dom -> {
            if (NATIVE.virDomainFSThaw(dom, null, 0, 0) < 0) {
                throw nativeError("thaw the file systems of " + domain);
            }
            return null;
        });
    }

    private static final int STATE_RUNNING = 1;
    private static final int STATE_PAUSED = 3;
    private static final int PAUSED_MIGRATION = 2;
    private static final int PAUSED_STARTING_UP = 11;
    private static final int XML_SECURE = 1;
    private static final int XML_MIGRATABLE = 8;
    private static final int MIGRATE_LIVE = 1;
    private static final int MIGRATE_PEER2PEER = 2;
    private static final int MIGRATE_PERSIST_DEST = 8;
    private static final int MIGRATE_UNDEFINE_SOURCE = 16;
    private static final int MIGRATE_ABORT_ON_ERROR = 4096;
    private static final int JOB_STATS_COMPLETED = 1;
    private static final int NO_JOB = Error.ErrorNumber.VIR_ERR_OPERATION_INVALID.ordinal();

    @Override
    public MigrationState migrationState(String domain) {
        try {
            return onNativeDomain(domain, dom -> {
                IntByReference state = new IntByReference();
                IntByReference reason = new IntByReference();
                if (NATIVE.virDomainGetState(dom, state, reason, 0) < 0) {
                    if (NATIVE.virGetLastErrorCode() == NO_DOMAIN) {
                        return MigrationState.ABSENT; // it left since its lookup
                    }
                    throw nativeError("read the state of " + domain);
                }
                if (state.getValue() == STATE_RUNNING) {
                    return MigrationState.RUNNING;
                }
                boolean incoming = state.getValue() == STATE_PAUSED
                        && (reason.getValue() == PAUSED_MIGRATION || reason.getValue() == PAUSED_STARTING_UP);
                return incoming ? MigrationState.INCOMING : MigrationState.OTHER;
            });
        } catch (TetherException e) {
            if (e.code() == ErrorCode.DOMAIN_NOT_FOUND) {
                return MigrationState.ABSENT;
            }
            throw e;
        }
    }

    @Override
    public String migratableXml(String domain, boolean persistent) {
        return onDomain(domain, d -> {
            if (persistent && d.isPersistent() != 1) {
                return null;
            }
            return d.getXMLDesc(XML_SECURE | XML_MIGRATABLE | (persistent ? XML_INACTIVE : 0));
        });
    }

    @Override
    public void migrate(String domain, LiveMigration m) {
        Map<String, Object> params = new java.util.LinkedHashMap<>();
        params.put("destination_xml", m.destinationXml());
        if (m.persistentXml() != null) {
            params.put("persistent_xml", m.persistentXml());
        }
        if (m.migrateUri() != null) {
            params.put("migrate_uri", m.migrateUri());
        }
        if (m.listenAddress() != null) {
            params.put("listen_address", m.listenAddress());
        }
        if (m.bandwidthMibS() != null) {
            params.put("bandwidth", m.bandwidthMibS());
        }
        int flags = MIGRATE_LIVE | MIGRATE_PEER2PEER | MIGRATE_ABORT_ON_ERROR
                | (m.persistentXml() != null ? MIGRATE_PERSIST_DEST | MIGRATE_UNDEFINE_SOURCE : 0);
        TypedParams.Packed packed = TypedParams.pack(params);
        // on a connection of its own, held for the call: on the agent's shared connection, other calls (a job's
        // statistics, its abort) were seen held by libvirt's client until the migration ended
        org.tether.compute.libvirt.jna.NativeConnect own;
        try {
            own = new org.tether.compute.libvirt.jna.NativeConnect(uri);
        } catch (LibvirtException e) {
            throw new HypervisorException(HypervisorException.Kind.UNAVAILABLE, "libvirt at " + uri
                    + " is not reachable: " + e.getMessage(), e);
        }
        try {
            Pointer dom = NATIVE.virDomainLookupByName(own.pointer(), domain);
            if (dom == null) {
                throw new TetherException(ErrorCode.DOMAIN_NOT_FOUND, "domain", "no domain named " + domain);
            }
            try {
                if (NATIVE.virDomainMigrateToURI3(dom, m.destinationUri(), packed.array(), packed.count(), flags) < 0) {
                    // never retried on a lost connection as other calls are: the migration may have happened
                    throw new HypervisorException(HypervisorException.Kind.OTHER, "libvirt: cannot migrate " + domain
                            + " to " + m.destinationUri() + ": " + NATIVE.virGetLastErrorMessage(), null);
                }
            } finally {
                NATIVE.virDomainFree(dom);
            }
        } finally {
            try {
                own.close();
            } catch (LibvirtException e) {
                // closing: nothing left to do with it
            }
        }
    }

    @Override
    public Map<String, Object> jobStats(String domain, boolean completed) {
        try {
            return onNativeDomain(domain, dom -> jobStats(dom, domain, completed));
        } catch (TetherException e) {
            if (e.code() == ErrorCode.DOMAIN_NOT_FOUND) {
                return Map.of();
            }
            throw e;
        }
    }

    private static Map<String, Object> jobStats(Pointer dom, String domain, boolean completed) {
        IntByReference type = new IntByReference();
        com.sun.jna.ptr.PointerByReference params = new com.sun.jna.ptr.PointerByReference();
        IntByReference n = new IntByReference();
        if (NATIVE.virDomainGetJobStats(dom, type, params, n, completed ? JOB_STATS_COMPLETED : 0) < 0) {
            int code = NATIVE.virGetLastErrorCode();
            if (code == NO_JOB) {
                return Map.of("type", 0L); // the domain does not run
            }
            if (code == NO_DOMAIN) {
                return Map.of(); // it left (migrated away) since its lookup
            }
            throw nativeError("read the job of " + domain);
        }
        try {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("type", (long) type.getValue());
            if (params.getValue() != null) {
                out.putAll(TypedParams.unpack(params.getValue(), n.getValue()));
            }
            return out;
        } finally {
            if (params.getValue() != null) {
                NATIVE.virTypedParamsFree(params.getValue(), n.getValue());
            }
        }
    }

    @Override
    public void abortJob(String domain) {
        try {
            onNativeDomain(domain, dom -> {
                if (NATIVE.virDomainAbortJob(dom) < 0 && NATIVE.virGetLastErrorCode() != NO_JOB) {
                    throw nativeError("abort the job of " + domain);
                }
                return null;
            });
        } catch (TetherException e) {
            if (e.code() != ErrorCode.DOMAIN_NOT_FOUND) {
                throw e;
            }
        }
    }

    @Override
    public void setMaxDowntime(String domain, long millis) {
        onNativeDomain(domain, dom -> {
            if (NATIVE.virDomainMigrateSetMaxDowntime(dom, millis, 0) < 0) {
                throw nativeError("set the migration downtime of " + domain);
            }
            return null;
        });
    }

    private static final int STATS_BLOCK = 32;
    private static final int STATS_ACTIVE = 1;

    @Override
    public Map<String, List<DiskIo>> diskIo() {
        return libvirt.call(c -> {
            com.sun.jna.ptr.PointerByReference out = new com.sun.jna.ptr.PointerByReference();
            int n = NATIVE.virConnectGetAllDomainStats(c.pointer(), STATS_BLOCK, out, STATS_ACTIVE);
            if (n < 0) {
                throw nativeError("read the domains' block statistics");
            }
            Map<String, List<DiskIo>> result = new java.util.LinkedHashMap<>();
            Pointer records = out.getValue();
            try {
                for (int i = 0; i < n; i++) {
                    // virDomainStatsRecord: the domain, its typed parameters and their count
                    Pointer record = records.getPointer((long) i * Native.POINTER_SIZE);
                    Pointer dom = record.getPointer(0);
                    Pointer params = record.getPointer(Native.POINTER_SIZE);
                    int count = record.getInt(2L * Native.POINTER_SIZE);
                    result.put(NATIVE.virDomainGetName(dom), disks(TypedParams.unpack(params, count)));
                }
            } finally {
                if (records != null) {
                    NATIVE.virDomainStatsRecordListFree(records);
                }
            }
            return result;
        });
    }

    /** {@code block.count}, then per disk {@code block.<i>.name}, {@code .rd.reqs}, {@code .rd.bytes}, ... */
    private static List<DiskIo> disks(Map<String, Object> p) {
        long count = p.get("block.count") instanceof Long l ? l : 0;
        List<DiskIo> out = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            String k = "block." + i + ".";
            if (!(p.get(k + "name") instanceof String name)) {
                continue;
            }
            out.add(new DiskIo(name, num(p, k + "rd.reqs"), num(p, k + "rd.bytes"), num(p, k + "rd.times"),
                    num(p, k + "wr.reqs"), num(p, k + "wr.bytes"), num(p, k + "wr.times"), num(p, k + "fl.reqs"),
                    num(p, k + "fl.times")));
        }
        return out;
    }

    private static long num(Map<String, Object> p, String key) {
        return p.get(key) instanceof Long l ? l : 0;
    }

    private static final int BLOCK_COPY_REUSE_EXT = 2;
    private static final int BLOCK_COPY_TRANSIENT_JOB = 4;
    private static final int BLOCK_JOB_ABORT_PIVOT = 2;
    private static final int BLOCK_COPY_ACTIVE = Error.ErrorNumber.VIR_ERR_BLOCK_COPY_ACTIVE.ordinal();

    @Override
    public void blockCopy(String domain, String disk, String destinationXml, Long bandwidthBytes) {
        Map<String, Object> params = bandwidthBytes == null ? Map.of() : Map.of("bandwidth", bandwidthBytes);
        TypedParams.Packed packed = TypedParams.pack(params);
        onNativeDomain(domain, dom -> {
            if (NATIVE.virDomainBlockCopy(dom, disk, destinationXml, packed.count() == 0 ? null : packed.array(),
                    packed.count(), BLOCK_COPY_REUSE_EXT | BLOCK_COPY_TRANSIENT_JOB) < 0) {
                throw nativeError("copy disk " + disk + " of " + domain);
            }
            return null;
        });
    }

    @Override
    public java.util.Optional<BlockJob> blockJob(String domain, String disk) {
        return onNativeDomain(domain, dom -> {
            org.tether.compute.libvirt.jna.LibvirtNative.BlockJobInfo info =
                    new org.tether.compute.libvirt.jna.LibvirtNative.BlockJobInfo();
            int found = NATIVE.virDomainGetBlockJobInfo(dom, disk, info, 0);
            if (found < 0) {
                throw nativeError("read the block job of disk " + disk + " of " + domain);
            }
            return found == 0 ? java.util.Optional.<BlockJob>empty()
                    : java.util.Optional.of(new BlockJob(info.cur, info.end));
        });
    }

    @Override
    public void endBlockJob(String domain, String disk, boolean pivot) {
        onNativeDomain(domain, dom -> {
            if (NATIVE.virDomainBlockJobAbort(dom, disk, pivot ? BLOCK_JOB_ABORT_PIVOT : 0) < 0) {
                int code = NATIVE.virGetLastErrorCode();
                if (pivot && code == BLOCK_COPY_ACTIVE) {
                    throw new BlockJobNotReady(NATIVE.virGetLastErrorMessage());
                }
                if (!pivot && code == NO_JOB) {
                    return null; // no job: nothing to abandon
                }
                throw nativeError((pivot ? "pivot" : "end") + " the block job of disk " + disk + " of " + domain);
            }
            return null;
        });
    }

    @Override
    public AutoCloseable onDeviceEvents(DeviceEvents listener) {
        return libvirt.onDeviceEvents(listener);
    }

    @PreDestroy
    void close() {
        libvirt.close();
    }
}
