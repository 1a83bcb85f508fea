package org.tether.storage.backup;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import org.jboss.logging.Logger;
import org.tether.storage.rbd.LibRados;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Whole objects in one RADOS pool and namespace, through librados in the agent's process (Ceph's C API,
 * {@code rados/librados.h}): written whole in one operation ({@code rados_write_full}: a reader sees the old
 * object or the new one, never a part), read, removed, listed. The cluster is joined at the first call as its
 * own cephx user, with its own {@code ceph.conf} and keyring (a second cluster, or the same one under a user
 * that can reach only the backup pool), every monitor and OSD operation bounded by {@code timeout}. A
 * connection the cluster cut or that stopped answering is made again by the next call. Every call returns a
 * result or a negative errno; this class never throws for the cluster's answers.
 */
final class RadosObjects implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RadosObjects.class);
    static final int ENOENT = 2;
    static final int ETIMEDOUT = 110;
    static final int ENOTCONN = 107;
    static final int ESHUTDOWN = 108;
    static final int ECONNREFUSED = 111;

    /** librados's object calls, beside those that join a cluster (loaded by soname: no unversioned .so). */
    interface Objects extends LibRados.Rados {
        void rados_ioctx_set_namespace(Pointer ioctx, String nspace);

        int rados_write_full(Pointer ioctx, String oid, byte[] buf, long len);

        int rados_read(Pointer ioctx, String oid, byte[] buf, long len, long offset);

        int rados_stat(Pointer ioctx, String oid, LongByReference size, LongByReference mtime);

        int rados_remove(Pointer ioctx, String oid);

        int rados_nobjects_list_open(Pointer ioctx, PointerByReference ctx);

        /** The next object's name into {@code *entry} (valid until the next call); -ENOENT after the last. */
        int rados_nobjects_list_next(Pointer ctx, PointerByReference entry, Pointer key, Pointer nspace);

        void rados_nobjects_list_close(Pointer ctx);
    }

    /** Where the objects are and who reaches them. */
    record Target(LibRados.Login login, String pool, String namespace) {
        String user() {
            return login.user();
        }
    }

    private final Target target;
    private final Supplier<Objects> loader;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private Objects rados;
    private Pointer cluster;
    private volatile Pointer ioctx;

    RadosObjects(Target target) {
        this(target, () -> Native.load("librados.so.2", Objects.class));
    }

    RadosObjects(Target target, Supplier<Objects> loader) {
        this.target = target;
        this.loader = loader;
    }

    Target target() {
        return target;
    }

    /** 0 or a negative errno. */
    int writeFull(String oid, byte[] bytes) {
        return call(io -> rados.rados_write_full(io, oid, bytes, bytes.length));
    }

    /** The object's bytes, empty when there is no such object; a negative errno as the exception's. */
    Optional<byte[]> read(String oid) throws RadosException {
        byte[][] out = new byte[1][];
        int r = call(io -> {
            LongByReference size = new LongByReference();
            int s = rados.rados_stat(io, oid, size, new LongByReference());
            if (s < 0) {
                return s;
            }
            if (size.getValue() > Integer.MAX_VALUE - 8) {
                return -27; // EFBIG: no object this store writes is that large
            }
            byte[] b = new byte[(int) size.getValue()];
            int at = 0;
            while (at < b.length) {
                byte[] part = at == 0 ? b : new byte[b.length - at];
                int n = rados.rados_read(io, oid, part, part.length, at);
                if (n < 0) {
                    return n;
                }
                if (n == 0) {
                    return -5; // EIO: shorter than its size said (objects here are written whole, never shrunk)
                }
                if (part != b) {
                    System.arraycopy(part, 0, b, at, n);
                }
                at += n;
            }
            out[0] = b;
            return 0;
        });
        if (r == -ENOENT) {
            return Optional.empty();
        }
        if (r < 0) {
            throw new RadosException(-r);
        }
        return Optional.of(out[0]);
    }

    /** The object's size, empty when there is none. */
    Optional<Long> size(String oid) throws RadosException {
        long[] out = new long[1];
        int r = call(io -> {
            LongByReference size = new LongByReference();
            int s = rados.rados_stat(io, oid, size, new LongByReference());
            out[0] = size.getValue();
            return s;
        });
        if (r == -ENOENT) {
            return Optional.empty();
        }
        if (r < 0) {
            throw new RadosException(-r);
        }
        return Optional.of(out[0]);
    }

    /** 0 (also when there was no such object) or a negative errno. */
    int remove(String oid) {
        int r = call(io -> rados.rados_remove(io, oid));
        return r == -ENOENT ? 0 : r;
    }

    /** Every object's name in the namespace that starts with {@code prefix}. */
    List<String> list(String prefix) throws RadosException {
        List<String> names = new ArrayList<>();
        int r = call(io -> {
            names.clear(); // a call made again after the session was remade lists from the start
            PointerByReference ctx = new PointerByReference();
            int o = rados.rados_nobjects_list_open(io, ctx);
            if (o < 0) {
                return o;
            }
            try {
                PointerByReference entry = new PointerByReference();
                while (true) {
                    int n = rados.rados_nobjects_list_next(ctx.getValue(), entry, null, null);
                    if (n == -ENOENT) {
                        return 0;
                    }
                    if (n < 0) {
                        return n;
                    }
                    String name = entry.getValue().getString(0, "UTF-8");
                    if (name.startsWith(prefix)) {
                        names.add(name);
                    }
                }
            } finally {
                rados.rados_nobjects_list_close(ctx.getValue());
            }
        });
        if (r < 0) {
            throw new RadosException(-r);
        }
        return names;
    }

    /** A librados call's negative errno, as a checked exception so that no caller forgets it. */
    static final class RadosException extends Exception {
        final int errno;

        RadosException(int errno) {
            super("errno " + errno, null, false, false);
            this.errno = errno;
        }
    }

    private interface Op {
        int on(Pointer ioctx);
    }

    /** {@code op} on the pool's I/O context, the cluster joined first when it is not; its result or -errno. */
    private int call(Op op) {
        int r;
        lock.readLock().lock(); // a reset waits for the calls under way: no handle is freed under one
        try {
            r = ioctx == null ? -ENOTCONN : op.on(ioctx);
        } finally {
            lock.readLock().unlock();
        }
        if (r == -ENOTCONN && ioctx == null) {
            int joined = join();
            if (joined < 0) {
                return joined;
            }
            lock.readLock().lock();
            try {
                r = ioctx == null ? -ENOTCONN : op.on(ioctx);
            } finally {
                lock.readLock().unlock();
            }
        }
        if (r == -ETIMEDOUT || r == -ENOTCONN || r == -ESHUTDOWN || r == -ECONNREFUSED) {
            reset(-r);
        }
        return r;
    }

    /** Joins the cluster and opens the pool (once); 0 or a negative errno. */
    private int join() {
        lock.writeLock().lock();
        try {
            if (ioctx != null) {
                return 0;
            }
            if (rados == null) {
                try {
                    rados = loader.get();
                } catch (UnsatisfiedLinkError | RuntimeException e) {
                    LOG.warnf("librados2 could not be loaded: %s", e.getMessage());
                    return -ENOENT;
                }
            }
            PointerByReference joined = new PointerByReference();
            int r = LibRados.join(rados, target.login(), joined);
            if (r < 0) {
                return r;
            }
            Pointer c = joined.getValue();
            PointerByReference io = new PointerByReference();
            r = rados.rados_ioctx_create(c, target.pool(), io);
            if (r < 0) {
                rados.rados_shutdown(c);
                return r;
            }
            rados.rados_ioctx_set_namespace(io.getValue(), target.namespace());
            cluster = c;
            ioctx = io.getValue();
            LOG.infof("backup pool %s joined as client.%s (%s)", target.pool(), target.user(), target.login().conf());
            return 0;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Drops a connection that failed so the next call makes it again; never waits for calls under way. */
    private void reset(int errno) {
        if (lock.writeLock().tryLock()) {
            try {
                if (ioctx != null) {
                    LOG.warnf("backup pool %s as client.%s: errno %d; joined again at the next call",
                            target.pool(), target.user(), errno);
                }
                shutdown();
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    private void shutdown() {
        if (ioctx != null) {
            rados.rados_ioctx_destroy(ioctx);
            ioctx = null;
        }
        if (cluster != null) {
            rados.rados_shutdown(cluster);
            cluster = null;
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            shutdown();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
