package org.tether.compute.libvirt;

import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.tether.compute.libvirt.jna.EventLoop;
import org.tether.compute.libvirt.jna.LibvirtNative;
import org.tether.compute.libvirt.jna.NativeConnect;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The agent's one libvirt connection (libvirt connections are thread-safe): opened on first use, with
 * keepalive and a close listener so a restarted or killed libvirtd is noticed, and opened again on the next
 * call (which re-registers the device event callbacks). While libvirtd cannot be reached, calls fail with
 * {@code hypervisor_unavailable} (503, retryable) and {@link #unavailableSince()} says since when.
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
    /** Set by libvirt's close callback (daemon gone, keepalive timeout): the next call opens a new connection. */
    private volatile boolean closed;
    private volatile java.time.Instant unavailableSince;
    private final List<DeviceEvents> deviceListeners = new CopyOnWriteArrayList<>();
    /** Event callbacks of the current connection; JNA callbacks must stay reachable while registered. */
    private final List<Registered> registered = new ArrayList<>();

    private record Registered(int id, com.sun.jna.Callback callback) {
    }

    @FunctionalInterface
    interface Call<T> {
        T apply(NativeConnect c) throws LibvirtException;
    }

    LibvirtConnection(String uri) {
        this.uri = uri;
    }

    /** Events go to the listener from the next connection on (or this one's), without opening one now. */
    void listen(DeviceEvents listener) {
        deviceListeners.add(listener);
    }

    /** Device-removed and removal-failed events of every domain go to the listener until it is closed. */
    AutoCloseable onDeviceEvents(DeviceEvents listener) {
        deviceListeners.add(listener);
        connection(); // registers the native callbacks with the connection
        return () -> deviceListeners.remove(listener);
    }

    /** Registers the device and block job callbacks on a fresh connection; they fan out to the current listeners. */
    private void registerDeviceCallbacks(NativeConnect c) {
        LibvirtNative.DeviceCallback removed = (conn, dom, alias, opaque) ->
                fanOut(NATIVE.virDomainGetName(dom), (l, name) -> l.removed(name, alias));
        LibvirtNative.DeviceCallback failed = (conn, dom, alias, opaque) ->
                fanOut(NATIVE.virDomainGetName(dom), (l, name) -> l.removalFailed(name, alias));
        LibvirtNative.BlockJobCallback blockJob = (conn, dom, disk, type, status, opaque) ->
                fanOut(NATIVE.virDomainGetName(dom), (l, name) -> l.blockJob(name, disk, status));
        LibvirtNative.DeviceCallback added = (conn, dom, alias, opaque) ->
                fanOut(NATIVE.virDomainGetName(dom), (l, name) -> l.added(name, alias));
        LibvirtNative.LifecycleCallback lifecycle = (conn, dom, event, detail, opaque) ->
                fanOut(NATIVE.virDomainGetName(dom), DeviceEvents::lifecycle);
        registered.clear();
        deviceListeners.forEach(DeviceEvents::reconnected);
        register(c, LibvirtNative.EVENT_ID_DEVICE_REMOVED, removed);
        register(c, LibvirtNative.EVENT_ID_DEVICE_REMOVAL_FAILED, failed);
        register(c, LibvirtNative.EVENT_ID_BLOCK_JOB_2, blockJob);
        register(c, LibvirtNative.EVENT_ID_DEVICE_ADDED, added);
        register(c, LibvirtNative.EVENT_ID_LIFECYCLE, lifecycle);
    }

    /**
     * An event to every listener, on libvirt's event loop thread: one listener's failure is logged and does not
     * keep the event from the others; an event whose domain has no name (libvirt could not give it) goes nowhere.
     */
    private void fanOut(String domain, java.util.function.BiConsumer<DeviceEvents, String> event) {
        if (domain == null) {
            return;
        }
        for (DeviceEvents l : deviceListeners) {
            try {
                event.accept(l, domain);
            } catch (RuntimeException e) {
                LOG.errorf(e, "libvirt event of domain %s: listener %s failed", domain, l.getClass().getName());
            }
        }
    }

    private void deregisterDeviceCallbacks(NativeConnect c) {
        for (Registered r : registered) {
            NATIVE.virConnectDomainEventDeregisterAny(c.pointer(), r.id());
        }
        registered.clear();
    }

    private void register(NativeConnect c, int eventId, com.sun.jna.Callback cb) {
        int id = NATIVE.virConnectDomainEventRegisterAny(c.pointer(), null, eventId, cb, null, null);
        if (id < 0) {
            LOG.warnf("libvirt event %d not available (%s); detach and moves fall back to polling",
                    eventId, NATIVE.virGetLastErrorMessage());
        } else {
            registered.add(new Registered(id, cb));
        }
    }

    /**
     * A native (JNA) call failed in a way that means the connection is gone, not the request: thrown by
     * callers of raw libvirt functions so that {@link #call} treats it as it treats a lost libvirt-java call.
     */
    static final class LostConnection extends RuntimeException {
        LostConnection(String message) {
            super(message, null, false, false);
        }
    }

    /** For raw libvirt calls: the last error on this thread, as a lost connection when it is one. */
    static RuntimeException nativeFailure(int code, String message, java.util.function.Function<String,
            RuntimeException> otherwise) {
        Error.ErrorNumber n = code >= 0 && code < Error.ErrorNumber.values().length
                ? Error.ErrorNumber.values()[code] : null;
        return isConnectionLost(n, message) ? new LostConnection(message) : otherwise.apply(message);
    }

    /** Runs fn on the connection; when libvirtd went away in between, reconnects and runs it once more. */
    <T> T call(Call<T> fn) {
        NativeConnect c = connection();
        try {
            return fn.apply(c);
        } catch (LibvirtException | LostConnection e) {
            if (e instanceof LibvirtException le && !isConnectionLost(le)) {
                throw translate(le);
            }
            LOG.warnf("libvirt connection to %s lost (%s); reconnecting", uri, e.getMessage());
            reset(c);
            try {
                return fn.apply(connection());
            } catch (LibvirtException | LostConnection again) {
                if (again instanceof LibvirtException le && !isConnectionLost(le)) {
                    throw translate(le);
                }
                reset(connect);
                throw unavailable(again.getMessage(), again);
            }
        }
    }

    /** When libvirtd stopped answering, if it has; empty while the connection works. */
    java.util.Optional<java.time.Instant> unavailableSince() {
        return java.util.Optional.ofNullable(unavailableSince);
    }

    private HypervisorException unavailable(String why, Throwable cause) {
        if (unavailableSince == null) {
            unavailableSince = java.time.Instant.now();
        }
        return new HypervisorException(HypervisorException.Kind.UNAVAILABLE,
                "libvirt at " + uri + " is not reachable: " + why, cause);
    }

    /** The connection libvirt closed, or whose keepalive failed, is dropped so that the next call reopens. */
    private boolean stale(NativeConnect c) {
        if (closed) {
            return true;
        }
        try {
            return !c.isAlive();
        } catch (LibvirtException e) {
            return true;
        }
    }

    private NativeConnect connection() {
        NativeConnect c = connect;
        if (c != null && !stale(c)) {
            return c;
        }
        synchronized (this) {
            if (connect != null && stale(connect)) {
                LOG.warnf("libvirt connection to %s was closed; opening a new one", uri);
                reset(connect);
            }
            if (connect == null) {
                connect = open();
            }
            return connect;
        }
    }

    /** A new connection with keepalive (5 s, 3 misses), a close listener and the device callbacks. */
    private NativeConnect open() {
        try {
            Connect.setErrorCallback(QUIET);
            EventLoop.start();
            NativeConnect fresh = new NativeConnect(uri);
            closed = false;
            try {
                fresh.setKeepAlive(5, 3);
                fresh.registerCloseListener((conn, reason) -> {
                    LOG.warnf("libvirt closed the connection to %s (%s)", uri, reason);
                    closed = true;
                });
            } catch (LibvirtException e) {
                LOG.warnf("libvirt keepalive or close events not available (%s); lost connections are "
                        + "noticed on the next failed call", e.getMessage());
            }
            registerDeviceCallbacks(fresh);
            if (unavailableSince != null) {
                LOG.infof("libvirt at %s answers again", uri);
            }
            unavailableSince = null;
            return fresh;
        } catch (LibvirtException e) {
            throw unavailable(e.getMessage(), e);
        }
    }

    private synchronized void reset(NativeConnect stale) {
        if (stale != null && connect == stale) {
            connect = null;
            deregisterDeviceCallbacks(stale);
            try {
                stale.unregisterCloseListener();
            } catch (LibvirtException | RuntimeException ignored) {
                // the connection is gone already
            }
            try {
                stale.close();
            } catch (LibvirtException ignored) {
                // already broken
            }
        }
    }

    private static boolean isConnectionLost(LibvirtException e) {
        return isConnectionLost(code(e), e.getMessage());
    }

    /**
     * The daemon went away (or is going): RPC and connection errors, and the socket errors libvirt reports
     * as system errors when a write or read on its socket fails mid-call.
     */
    static boolean isConnectionLost(Error.ErrorNumber n, String message) {
        String msg = message == null ? "" : message;
        return n == Error.ErrorNumber.VIR_ERR_RPC || n == Error.ErrorNumber.VIR_ERR_NO_CONNECT
                || n == Error.ErrorNumber.VIR_ERR_INVALID_CONN
                || msg.contains("client socket is closed") || msg.contains("End of file while reading")
                || msg.contains("Broken pipe") || msg.contains("Cannot write data")
                || msg.contains("Cannot recv data") || msg.contains("Connection reset by peer")
                || (n == Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR && msg.contains("connection"));
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
        } else if (isNetworkDiskUnreachable(msg)) {
            kind = HypervisorException.Kind.TARGET_UNREACHABLE;
        } else if (isLeftoverOfInterruptedHotplug(msg)) {
            kind = HypervisorException.Kind.UNAVAILABLE;
        }
        return new HypervisorException(kind, "libvirt: " + msg, e);
    }

    /**
     * QEMU could not open a network disk because its server was not there: libiscsi says "Failed to connect
     * to LUN" with no more precise reason whether the portal refused the connection or the target is not
     * there (yet), both of which happen during a target restart, and the same plug works seconds later; the
     * caller gets a retryable answer. A login the target refused (CHAP or ACL: status 0x0201/0x0202) fails
     * again on retry and stays a refusal.
     */
    static boolean isNetworkDiskUnreachable(String msg) {
        if (msg.contains("Authentication failure") || msg.contains("Authorization failure")) {
            return false; // a login the target refused (CHAP, ACL): the same request fails again
        }
        return msg.contains("iSCSI: Failed to connect") || msg.contains("Failed to connect socket")
                || msg.contains("iscsi_service failed");
    }

    /**
     * libvirtd killed in the middle of a hot-plug leaves QEMU holding the objects it had added (the disk's
     * secret) under names the restarted libvirtd hands out again: the next plug fails once with a duplicate
     * object, and libvirt has moved on to a fresh name for the one after (seen in the soak). Retryable.
     */
    static boolean isLeftoverOfInterruptedHotplug(String msg) {
        return msg.contains("attempt to add duplicate property") && msg.contains("libvirt-");
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
