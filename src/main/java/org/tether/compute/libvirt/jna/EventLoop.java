package org.tether.compute.libvirt.jna;

import org.jboss.logging.Logger;
import org.libvirt.Library;
import org.libvirt.LibvirtException;

/**
 * libvirt's default event loop on one daemon thread: it delivers domain events and keeps connections alive.
 * Must be registered before the first connection is opened; started once per process.
 */
public final class EventLoop {
    private static final Logger LOG = Logger.getLogger(EventLoop.class);
    private static Thread thread;

    private EventLoop() {
    }

    public static synchronized void start() throws LibvirtException {
        if (thread != null) {
            return;
        }
        Library.initEventLoop();
        thread = new Thread(EventLoop::run, "libvirt-event-loop");
        thread.setDaemon(true);
        thread.start();
    }

    public static synchronized boolean started() {
        return thread != null;
    }

    /** Whether the loop thread is alive: liveness depends on it. */
    public static synchronized boolean running() {
        return thread != null && thread.isAlive();
    }

    private static void run() {
        try {
            Library.runEventLoop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (LibvirtException e) {
            LOG.error("libvirt event loop stopped", e);
        }
    }
}
