package org.tether.compute.libvirt;

import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.tether.compute.libvirt.jna.EventLoop;
import org.tether.compute.libvirt.jna.LibvirtNative;
import org.tether.compute.libvirt.jna.NativeConnect;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The agent's one libvirt connection (libvirt connections are thread-safe): opened on first use, reopened
 * once when libvirtd went away, with the device event callbacks registered on each connection it opens.
 * libvirt errors leave it as {@link HypervisorException}s.
 */
final class LibvirtConnection {
    private static final Logger LOG = Logger.getLogger(LibvirtConnection.class);
    /**
     * libvirt prints every error to stderr unless a handler is set; errors still reach us as exceptions.
     * Held in a constant so JNA's callback is never collected.
     */
    private static final org.libvirt.jna.Libvirt.VirErrorCallback QUIET = (userData, error) -> { };
    private static final LibvirtNative NATIVE = LibvirtNative.INSTANCE;

    private final String uri;
    private volatile NativeConnect connect;
    private final List<DeviceEvents> deviceListeners = new CopyOnWriteArrayList<>();
    /** Event callbacks of the current connection; JNA callbacks must stay reachable while registered. */
    private final List<Registered> registered = new ArrayList<>();

    private record Registered(int id, LibvirtNative.DeviceCallback callback) {
    }

    @FunctionalInterface
    interface Call<T> {
        T apply(NativeConnect c) throws LibvirtException;
    }

    LibvirtConnection(String uri) {
        this.uri = uri;
    }

    /** Device-removed and removal-failed events of every domain go to the listener until it is closed. */
    AutoCloseable onDeviceEvents(DeviceEvents listener) {
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

    /** Runs fn on the connection; when libvirtd went away in between, reconnects and runs it once more. */
    <T> T call(Call<T> fn) {
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

    /** libvirt's error number, or null. */
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
