package org.tether.compute.libvirt;

import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Domain handles kept across calls, so that a call on a domain costs no lookup round trip. libvirt resolves a
 * handle by the domain's UUID at each call: a domain undefined and defined again under its name answers "no
 * domain" through the old handle, which the caller then drops and looks up again.
 *
 * <p>A handle belongs to the connection it was looked up on; one from a connection since replaced is dropped
 * at the first call on the new one (a kept handle holds its connection open in libvirt). Each use is counted and
 * a dropped handle is freed by its last user, never under one: freeing the native handle while another thread
 * calls through it would be a use after free. A lifecycle event (defined, undefined, started, stopped, renamed)
 * drops the domain's handle.
 */
final class DomainHandles implements DeviceEvents {
    /** Past this many kept handles (domains come and go on a busy host), all are dropped and kept again on use. */
    static final int MAX_KEPT = 1024;

    @FunctionalInterface
    interface Lookup {
        Domain apply(Connect c, String name) throws LibvirtException;
    }

    private final Map<String, Handle> kept = new ConcurrentHashMap<>();

    /** One native handle, its users, whether it is still kept, and whether it was freed. */
    static final class Handle {
        private final Domain domain;
        private final Connect owner;
        private int users;
        private boolean dropped;
        private boolean freed;

        private Handle(Domain domain, Connect owner) {
            this.domain = domain;
            this.owner = owner;
        }

        private synchronized boolean tryUse() {
            if (dropped) {
                return false;
            }
            users++;
            return true;
        }

        synchronized void release() {
            users--;
            if (dropped && users == 0) {
                free();
            }
        }

        private synchronized void drop() {
            dropped = true;
            if (users == 0) {
                free();
            }
        }

        synchronized boolean isFreed() {
            return freed;
        }

        private void free() {
            if (!freed) {
                freed = true;
                try {
                    domain.free();
                } catch (LibvirtException ignored) {
                    // the connection is gone; libvirt drops its reference with it
                }
            }
        }
    }

    /**
     * A handle for {@code name} on {@code c}, in use until {@link Use#close}: the kept one, or a fresh lookup that
     * is then kept. The lookup's own failure (no such domain) is the caller's.
     */
    Use use(Connect c, String name, Lookup lookup) throws LibvirtException {
        Handle h = kept.get(name);
        if (h != null && h.owner != c) {
            dropForeign(c);
            h = null;
        }
        if (h != null && h.tryUse()) {
            return new Use(h, true);
        }
        Handle fresh = new Handle(lookup.apply(c, name), c);
        fresh.tryUse();
        if (kept.size() >= MAX_KEPT) {
            dropAll();
        }
        Handle previous = kept.put(name, fresh);
        if (previous != null) {
            previous.drop();
        }
        return new Use(fresh, false);
    }

    /** One caller's use of a handle. */
    static final class Use implements AutoCloseable {
        private final Handle handle;
        private final boolean reused;
        private boolean closed;

        private Use(Handle handle, boolean reused) {
            this.handle = handle;
            this.reused = reused;
        }

        Domain domain() {
            return handle.domain;
        }

        /** Whether the handle was kept from an earlier call (its "no domain" may mean only that it is stale). */
        boolean reused() {
            return reused;
        }

        /** Whether the native handle was freed (its last user done after it was dropped). */
        boolean freed() {
            return handle.isFreed();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                handle.release();
            }
        }
    }

    /** Stops keeping the handle of {@code name} (freed once its users are done). */
    void drop(String name) {
        if (name == null) {
            return; // an event whose domain's name libvirt could not give
        }
        Handle h = kept.remove(name);
        if (h != null) {
            h.drop();
        }
    }

    /** Stops keeping {@code use}'s handle, if it is still the one kept for {@code name}. */
    void drop(String name, Use use) {
        if (kept.remove(name, use.handle)) {
            use.handle.drop();
        }
    }

    void dropAll() {
        kept.keySet().forEach(this::drop);
    }

    private void dropForeign(Connect current) {
        kept.forEach((name, h) -> {
            if (h.owner != current && kept.remove(name, h)) {
                h.drop();
            }
        });
    }

    int size() {
        return kept.size();
    }

    @Override
    public void lifecycle(String domain) {
        drop(domain);
    }

    @Override
    public void reconnected() {
        // handles of the old connection are dropped at the first call on the new one (their owner differs)
    }
}
