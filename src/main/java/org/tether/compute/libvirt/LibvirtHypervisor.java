package org.tether.compute.libvirt;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.Secret;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import org.tether.compute.libvirt.jna.EventLoop;
import org.tether.compute.libvirt.jna.LibvirtNative;
import org.tether.compute.libvirt.jna.NativeConnect;
import org.tether.compute.libvirt.jna.TypedParams;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.UUID;

/**
 * {@link Hypervisor} on libvirt-java. One shared connection (libvirt connections are thread-safe), opened on
 * first use and reopened once when libvirtd went away.
 */
@ApplicationScoped
public class LibvirtHypervisor implements Hypervisor {
    private static final Logger LOG = Logger.getLogger(LibvirtHypervisor.class);
    private static final int XML_INACTIVE = 2;
    /**
     * libvirt prints every error to stderr unless a handler is set; errors still reach us as exceptions.
     * Held in a constant so JNA's callback is never collected.
     */
    private static final org.libvirt.jna.Libvirt.VirErrorCallback QUIET = (userData, error) -> { };

    private static final int NO_DOMAIN = 42;
    private static final int BLOCK_RESIZE_BYTES = 1;
    private static final LibvirtNative NATIVE = LibvirtNative.INSTANCE;

    private final String uri;
    private volatile NativeConnect connect;
    private final List<DeviceEvents> deviceListeners = new CopyOnWriteArrayList<>();
    /** Event callbacks of the current connection; JNA callbacks must stay reachable while registered. */
    private final List<Registered> registered = new ArrayList<>();

    private record Registered(int id, LibvirtNative.DeviceCallback callback) {
    }

    public LibvirtHypervisor(TetherConfig config) {
        this.uri = config.libvirt().uri();
    }

    @FunctionalInterface
    private interface Call<T> {
        T apply(NativeConnect c) throws LibvirtException;
    }

    @FunctionalInterface
    private interface DomainCall<T> {
        T apply(Domain d) throws LibvirtException;
    }

    @Override
    public long daemonVersion() {
        return call(Connect::getLibVersion);
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
    public void defineIscsiSecret(UUID uuid, String usage, byte[] value) {
        call(c -> {
            Secret s = c.secretDefineXML(SecretXml.iscsi(uuid, usage));
            try {
                s.setValue(value);
            } finally {
                s.free();
            }
            return null;
        });
    }

    @Override
    public void undefineSecret(UUID uuid) {
        call(c -> {
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
        call(c -> {
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
                    d.destroy();
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
    public void undefineDomain(String domain) {
        try {
            onDomain(domain, d -> {
                if (d.isPersistent() == 1) {
                    d.undefine();
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
    public AutoCloseable onDeviceEvents(DeviceEvents listener) {
        deviceListeners.add(listener);
        connection(); // registers the native callbacks with the connection
        return () -> deviceListeners.remove(listener);
    }

    /** Registers the two device callbacks on a fresh connection; they fan out to the current listeners. */
    private void registerDeviceCallbacks(NativeConnect c) {
        LibvirtNative.DeviceCallback removed = (conn, dom, alias, opaque) ->
                deviceListeners.forEach(l -> l.removed(NATIVE.virDomainGetName(dom), alias));
        LibvirtNative.DeviceCallback failed = (conn, dom, alias, opaque) ->
                deviceListeners.forEach(l -> l.removalFailed(NATIVE.virDomainGetName(dom), alias));
        registered.clear();
        register(c, LibvirtNative.EVENT_ID_DEVICE_REMOVED, removed);
        register(c, LibvirtNative.EVENT_ID_DEVICE_REMOVAL_FAILED, failed);
    }

    private void deregisterDeviceCallbacks(NativeConnect c) {
        for (Registered r : registered) {
            NATIVE.virConnectDomainEventDeregisterAny(c.pointer(), r.id());
        }
        registered.clear();
    }

    private void register(NativeConnect c, int eventId, LibvirtNative.DeviceCallback cb) {
        int id = NATIVE.virConnectDomainEventRegisterAny(c.pointer(), null, eventId, cb, null, null);
        if (id < 0) {
            LOG.warnf("libvirt device event %d not available (%s); detach falls back to polling",
                    eventId, NATIVE.virGetLastErrorMessage());
        } else {
            registered.add(new Registered(id, cb));
        }
    }

    private <T> T onNativeDomain(String name, NativeDomainCall<T> fn) {
        return call(c -> {
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

    private static HypervisorException nativeError(String what) {
        String msg = NATIVE.virGetLastErrorMessage();
        return new HypervisorException(HypervisorException.Kind.OTHER, "libvirt: cannot " + what + ": " + msg, null);
    }

    @Override
    public boolean secretExists(UUID uuid) {
        return call(c -> {
            Secret s = lookupSecret(c, uuid);
            if (s != null) {
                s.free();
            }
            return s != null;
        });
    }

    @Override
    public List<String> domainNames() {
        return call(c -> {
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
                    if (code(e) != Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
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
            if (code(e) == Error.ErrorNumber.VIR_ERR_NO_SECRET) {
                return null;
            }
            throw e;
        }
    }

    private <T> T onDomain(String name, DomainCall<T> fn) {
        return call(c -> {
            Domain d;
            try {
                d = c.domainLookupByName(name);
            } catch (LibvirtException e) {
                if (code(e) == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                    throw new TetherException(ErrorCode.DOMAIN_NOT_FOUND, "domain", "no domain named " + name);
                }
                throw e;
            }
            try {
                return fn.apply(d);
            } finally {
                d.free();
            }
        });
    }

    private <T> T call(Call<T> fn) {
        NativeConnect c = connection();
        try {
            return fn.apply(c);
        } catch (LibvirtException e) {
            if (!isConnectionLost(e)) {
                throw translate(e);
            }
            LOG.warnf("libvirt connection to %s lost (%s); reconnecting", uri, e.getMessage());
            reset(c);
            try {
                return fn.apply(connection());
            } catch (LibvirtException again) {
                throw translate(again);
            }
        }
    }

    private NativeConnect connection() {
        NativeConnect c = connect;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (connect == null) {
                try {
                    Connect.setErrorCallback(QUIET);
                    EventLoop.start();
                    NativeConnect fresh = new NativeConnect(uri);
                    registerDeviceCallbacks(fresh);
                    connect = fresh;
                } catch (LibvirtException e) {
                    throw new TetherException(ErrorCode.HYPERVISOR_ERROR,
                            "cannot connect to libvirt at " + uri + ": " + e.getMessage(), e);
                }
            }
            return connect;
        }
    }

    private synchronized void reset(NativeConnect stale) {
        if (connect == stale) {
            connect = null;
            deregisterDeviceCallbacks(stale);
            try {
                stale.close();
            } catch (LibvirtException ignored) {
                // already broken
            }
        }
    }

    private static boolean isConnectionLost(LibvirtException e) {
        Error.ErrorNumber n = code(e);
        return n == Error.ErrorNumber.VIR_ERR_RPC || (n == Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR
                && e.getMessage() != null && e.getMessage().contains("connection"));
    }

    static Error.ErrorNumber code(LibvirtException e) {
        return e.getError() == null ? null : e.getError().getCode();
    }

    private static TetherException translate(LibvirtException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        HypervisorException.Kind kind = HypervisorException.Kind.OTHER;
        if (code(e) == Error.ErrorNumber.VIR_ERR_DEVICE_MISSING
                || msg.contains("matching device not found") || msg.contains("no target device")) {
            kind = HypervisorException.Kind.DEVICE_MISSING;
        } else if (msg.contains("in the process of unplug")) {
            kind = HypervisorException.Kind.UNPLUG_PENDING;
        }
        return new HypervisorException(kind, "libvirt: " + msg, e);
    }

    @PreDestroy
    synchronized void close() {
        if (connect != null) {
            deregisterDeviceCallbacks(connect);
            try {
                connect.close();
            } catch (LibvirtException e) {
                LOG.debug("closing libvirt connection", e);
            }
            connect = null;
        }
    }
}
