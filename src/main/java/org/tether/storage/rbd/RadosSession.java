package org.tether.storage.rbd;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import org.jboss.logging.Logger;
import org.tether.config.RbdConfig;

import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * One librados connection the agent keeps for its lifetime, for the calls a controller waits on most: an image
 * created or removed. An {@code rbd} process pays ~50 ms to start and ~30 ms to join the cluster before its
 * ~5 ms of work; Cinder's RBD driver pays the join per call. Connected on first use, as this agent's cephx
 * user with its ceph.conf and keyring; the monitors' and OSDs' operations are bounded by
 * {@code connect-timeout}, so no call blocks a thread for longer. A connection that timed out or was cut
 * (blocklisted, shut down) is dropped and made again by the next call.
 *
 * <p>With the session open, creates and removes go on while the monitors are away (the OSDs are what they
 * need), as an attached QEMU does; everything that needs a monitor (snapshots, {@code ceph df}) still answers
 * 503 through the CLI. A host without librados2/librbd1 loadable, or {@code tether.storage.rbd.librbd=false},
 * uses the CLI for everything.
 */
public final class RadosSession {
    private static final Logger LOG = Logger.getLogger(RadosSession.class);
    static final int ENOENT = 2;
    static final int ENOTCONN = 107;
    static final int ESHUTDOWN = 108;

    private final RbdConfig config;
    private final Supplier<LibRados.Rados> radosLoader;
    private final Supplier<LibRados.Rbd> rbdLoader;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, Pointer> ioctxs = new java.util.concurrent.ConcurrentHashMap<>();
    /** Held while the cluster is joined or a pool's I/O context made (under the read lock). */
    private final Object joining = new Object();
    private LibRados.Rados rados;
    private LibRados.Rbd rbd;
    private Pointer cluster;
    private volatile boolean disabled;

    public RadosSession(RbdConfig config) {
        this(config, LibRados::rados, LibRados::rbd);
    }

    RadosSession(RbdConfig config, Supplier<LibRados.Rados> radosLoader, Supplier<LibRados.Rbd> rbdLoader) {
        this.config = config;
        this.radosLoader = radosLoader;
        this.rbdLoader = rbdLoader;
        this.disabled = !config.librbd();
    }

    /** False once the libraries could not be loaded, or when configured off: the caller then uses the CLI. */
    public boolean enabled() {
        return !disabled;
    }

    /** 0, or the positive errno librbd (or joining the cluster) failed with. */
    public int create(String pool, String image, long bytes) {
        return call(pool, io -> rbd.rbd_create2(io, image, bytes, LibRados.FEATURE_LAYERING, new IntByReference(0)));
    }

    /** 0, or the positive errno: ENOENT (gone already), EBUSY (watchers), ENOTEMPTY (snapshots), ... */
    public int remove(String pool, String image) {
        return call(pool, io -> rbd.rbd_remove(io, image));
    }

    /**
     * The image at {@code snap} as a backup reads it: which extents hold data (librbd's diff against nothing,
     * whole objects, the parent's included for a clone), and their bytes. Holds the session open until closed.
     */
    public org.tether.storage.volume.BlockReader reader(String pool, String image, String snap) {
        return reader(pool, image, snap, null);
    }

    /**
     * The same, and which extents changed since snapshot {@code base} of the same image (librbd's diff between
     * the two, whole objects: what {@code rbd export-diff --from-snap} sends). No such snapshot (null, or gone):
     * every extent counts as changed. With the base, and the image the size it was then, one diff serves both
     * questions: an extent holds data when it changed and exists now, or (unknown here, so answered yes) when some
     * of it is unchanged since the base, whose backup says what it held; a second pass over every object for the
     * allocation map is then not made (it was a third of a 1 % incremental's time).
     */
    public org.tether.storage.volume.BlockReader reader(String pool, String image, String snap, String base) {
        Pointer img = openImage(pool, image, snap);
        java.util.TreeMap<Long, Long> extents = null;
        java.util.TreeMap<Long, Long> changes = null;
        java.util.TreeMap<Long, Long> existing = new java.util.TreeMap<>();
        try {
            com.sun.jna.ptr.LongByReference size = new com.sun.jna.ptr.LongByReference();
            int sized = rbd.rbd_get_size(img, size);
            if (sized < 0) {
                throw failure(-sized, "read the size of " + pool + "/" + image + "@" + snap);
            }
            boolean resized = false;
            if (base != null) {
                changes = extents(img, base, size.getValue(), existing, pool + "/" + image + "@" + snap
                        + " since " + base);
                if (changes == null) {
                    LOG.infof("%s/%s has no snapshot %s to diff against; every extent is read", pool, image, base);
                } else {
                    // resized since the base: its backup does not cover the new end, whose objects are asked
                    resized = snapSize(img, base) != size.getValue();
                }
            }
            if (changes == null || resized) {
                extents = new java.util.TreeMap<>();
                extents(img, null, size.getValue(), extents, pool + "/" + image + "@" + snap);
            }
        } catch (RuntimeException e) {
            closeImage(img);
            throw e;
        }
        java.util.TreeMap<Long, Long> allocated = extents;
        java.util.TreeMap<Long, Long> changed = changes;
        return new org.tether.storage.volume.BlockReader() {
            @Override
            public boolean hasData(long offset, int length) {
                if (allocated != null) {
                    return overlaps(allocated, offset, length);
                }
                return overlaps(existing, offset, length) || !covers(changed, offset, length);
            }

            @Override
            public boolean changed(long offset, int length) {
                return changed == null || overlaps(changed, offset, length);
            }

            @Override
            public void read(long offset, byte[] buf, int length) {
                byte[] into = buf.length == length ? buf : new byte[length];
                long n = rbd.rbd_read(img, offset, length, into);
                if (n < 0) {
                    throw failure((int) -n, "read " + pool + "/" + image + "@" + snap);
                }
                if (n < length) {
                    java.util.Arrays.fill(into, (int) n, length, (byte) 0);
                }
                if (into != buf) {
                    System.arraycopy(into, 0, buf, 0, length);
                }
            }

            @Override
            public void close() {
                closeImage(img);
            }
        };
    }

    private static boolean overlaps(java.util.TreeMap<Long, Long> extents, long offset, int length) {
        var e = extents.floorEntry(offset + length - 1);
        return e != null && e.getValue() > offset;
    }

    /** Whether {@code [offset, offset + length)} lies wholly inside one of the (merged) extents. */
    private static boolean covers(java.util.TreeMap<Long, Long> extents, long offset, int length) {
        var e = extents.floorEntry(offset);
        return e != null && e.getValue() >= offset + length;
    }

    /**
     * One pass of librbd's diff (whole objects): the extents (start to end, merged) that differ from
     * {@code fromSnap}, whether they exist now or were discarded since, answered; those of them that exist now
     * added to {@code existing}. With {@code fromSnap} null, every extent that exists. Null when there is no
     * snapshot {@code fromSnap}.
     */
    private java.util.TreeMap<Long, Long> extents(Pointer img, String fromSnap, long size,
                                                  java.util.TreeMap<Long, Long> existing, String what) {
        java.util.TreeMap<Long, Long> any = new java.util.TreeMap<>();
        int r = rbd.rbd_diff_iterate2(img, fromSnap, 0, size, (byte) 1, (byte) 1,
                (offset, length, exists, arg) -> {
                    add(any, offset, length);
                    if (exists != 0) {
                        add(existing, offset, length);
                    }
                    return 0;
                }, null);
        if (r == -ENOENT && fromSnap != null) {
            return null;
        }
        if (r < 0) {
            throw failure(-r, "list the " + (fromSnap == null ? "written" : "changed") + " extents of " + what);
        }
        return any;
    }

    /** Adds an extent reported in increasing order, merged with the one before when they touch. */
    private static void add(java.util.TreeMap<Long, Long> extents, long offset, long length) {
        Long before = extents.lowerKey(offset + 1);
        if (before != null && extents.get(before) >= offset) {
            extents.put(before, Math.max(extents.get(before), offset + length));
        } else {
            extents.put(offset, offset + length);
        }
    }

    /** The image's size at snapshot {@code snap} (from its snapshot list), or -1 when it has none of that name. */
    private long snapSize(Pointer img, String snap) {
        java.util.Map<String, Long> sizes = new java.util.LinkedHashMap<>();
        int r = snapList(img, sizes);
        if (r < 0) {
            throw failure(-r, "list the snapshots of an image");
        }
        return sizes.getOrDefault(snap, -1L);
    }

    /** The image's snapshots, by name, with the image's size at each, into {@code sizes}; 0 or -errno. */
    private int snapList(Pointer img, java.util.Map<String, Long> sizes) {
        IntByReference max = new IntByReference(16);
        while (true) {
            com.sun.jna.Memory snaps = new com.sun.jna.Memory((long) max.getValue() * LibRados.SNAP_INFO_BYTES);
            int n = rbd.rbd_snap_list(img, snaps, max);
            if (n == -RbdCli.ERANGE) {
                continue; // max now holds the count needed
            }
            if (n < 0) {
                return n;
            }
            try {
                for (int i = 0; i < n; i++) {
                    long at = (long) i * LibRados.SNAP_INFO_BYTES; // id, size, name
                    sizes.put(snaps.getPointer(at + 16).getString(0), snaps.getLong(at + 8));
                }
            } finally {
                rbd.rbd_snap_list_end(snaps);
            }
            return 0;
        }
    }

    /** The image opened for writing (a restore); holds the session open until closed. */
    public org.tether.storage.volume.BlockWriter writer(String pool, String image) {
        Pointer img = openImage(pool, image, null);
        return new org.tether.storage.volume.BlockWriter() {
            @Override
            public void write(long offset, byte[] buf, int length) {
                byte[] from = buf.length == length ? buf : java.util.Arrays.copyOf(buf, length);
                long n = rbd.rbd_write(img, offset, length, from);
                if (n != length) {
                    throw failure(n < 0 ? (int) -n : RbdCli.EINVAL, "write " + pool + "/" + image);
                }
            }

            @Override
            public void flush() {
                int r = rbd.rbd_flush(img);
                if (r < 0) {
                    throw failure(-r, "flush " + pool + "/" + image);
                }
            }

            @Override
            public void close() {
                closeImage(img);
            }
        };
    }

    /** 0, or the positive errno: EEXIST (a snapshot of that name exists), ENOENT (no such image), ... */
    public int snapshot(String pool, String image, String snap) {
        return onImage(pool, image, img -> rbd.rbd_snap_create(img, snap));
    }

    /** 0, or the positive errno: ENOENT (no such snapshot or image), EBUSY (protected), ... */
    public int removeSnapshot(String pool, String image, String snap) {
        return onImage(pool, image, img -> rbd.rbd_snap_remove(img, snap));
    }

    /** The names of the image's snapshots; empty when there is no such image. */
    public java.util.List<String> snapshots(String pool, String image) {
        java.util.Map<String, Long> sizes = new java.util.LinkedHashMap<>();
        int r = onImage(pool, image, img -> snapList(img, sizes));
        java.util.List<String> names = new java.util.ArrayList<>(sizes.keySet());
        if (r == ENOENT) {
            return java.util.List.of();
        }
        if (r != 0) {
            throw failure(r, "list the snapshots of " + pool + "/" + image);
        }
        return names;
    }

    /** {@code op} on the image opened for writing; 0 or the positive errno of the open or the op. */
    private int onImage(String pool, String image, Op op) {
        int joined = open(pool);
        if (joined != 0) {
            return joined;
        }
        int errno;
        lock.readLock().lock();
        try {
            Pointer io = ioctxs.get(pool);
            PointerByReference img = new PointerByReference();
            int r = io == null ? -ENOTCONN : rbd.rbd_open(io, image, img, null);
            if (r < 0) {
                errno = -r;
            } else {
                try {
                    errno = -op.on(img.getValue());
                } finally {
                    rbd.rbd_close(img.getValue());
                }
            }
        } finally {
            lock.readLock().unlock();
        }
        return settle(errno); // outside the read lock: a reset takes the write lock
    }

    /** Opens the image under the session's read lock, which its close releases (a reset waits for it). */
    private Pointer openImage(String pool, String image, String snap) {
        int joined = open(pool);
        if (joined != 0) {
            throw failure(joined, "join the cluster");
        }
        lock.readLock().lock();
        int r;
        PointerByReference img = new PointerByReference();
        try {
            Pointer io = ioctxs.get(pool);
            r = io == null ? -ENOTCONN : snap == null ? rbd.rbd_open(io, image, img, null)
                    : rbd.rbd_open_read_only(io, image, img, snap);
        } catch (RuntimeException e) {
            lock.readLock().unlock();
            throw e;
        }
        if (r < 0) {
            lock.readLock().unlock();
            settle(-r); // outside the read lock: a reset takes the write lock
            throw failure(-r, "open " + pool + "/" + image + (snap == null ? "" : "@" + snap));
        }
        return img.getValue();
    }

    private void closeImage(Pointer img) {
        try {
            rbd.rbd_close(img);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A failed librbd call as the problem it is; never resets the session (the caller may hold its read lock). */
    private static org.tether.error.TetherException failure(int errno, String what) {
        return RbdCli.failure(errno, what);
    }

    private interface Op {
        int on(Pointer ioctx);
    }

    private int call(String pool, Op op) {
        Integer errno = null;
        lock.readLock().lock(); // a close waits for calls under way: no handle is freed under one
        try {
            Pointer io = ioctxs.get(pool);
            if (io != null) {
                errno = -op.on(io);
            }
        } finally {
            lock.readLock().unlock();
        }
        if (errno != null) {
            return settle(errno); // outside the read lock: a close takes the write lock
        }
        int joined = open(pool);
        if (joined != 0) {
            return joined;
        }
        return call(pool, op);
    }

    /** A connection the cluster cut or that stopped answering is made again by the next call. */
    private int settle(int errno) {
        if (errno == RbdCli.ETIMEDOUT || errno == ENOTCONN || errno == ESHUTDOWN || errno == RbdCli.ECONNREFUSED) {
            // never waits: while a backup or restore has an image open, the session stays (librados hunts for
            // the monitors itself) and the next failed call tries again
            if (lock.writeLock().tryLock()) {
                try {
                    LOG.warnf("librados session as client.%s: errno %d; it is made again on the next call",
                            config.user(), errno);
                    close();
                } finally {
                    lock.writeLock().unlock();
                }
            } else {
                LOG.warnf("librados session as client.%s: errno %d; kept while images are open", config.user(),
                        errno);
            }
        }
        return Math.max(errno, 0);
    }

    /**
     * Joins the cluster (once) and opens the pool's I/O context; 0 or a positive errno. Under the read lock, which
     * a close waits for, and never the write lock: a thread holding an image open (and so a read lock, which cannot
     * be upgraded) may open a second image, and calls on other threads go on while a backup holds an image open.
     */
    private int open(String pool) {
        if (ioctxs.containsKey(pool)) {
            return 0;
        }
        lock.readLock().lock();
        try {
            synchronized (joining) {
                return join(pool);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Under the read lock and {@link #joining}. */
    private int join(String pool) {
        if (ioctxs.containsKey(pool)) {
            return 0;
        }
        if (cluster == null) {
            int joined = connect();
            if (joined != 0) {
                return joined;
            }
        }
        PointerByReference io = new PointerByReference();
        int r = rados.rados_ioctx_create(cluster, pool, io);
        if (r < 0) {
            return -r; // ENOENT: no such pool
        }
        ioctxs.put(pool, io.getValue());
        return 0;
    }

    private int connect() {
        if (rados == null) {
            try {
                rados = radosLoader.get();
                rbd = rbdLoader.get();
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                disabled = true;
                LOG.warnf("librados2/librbd1 could not be loaded (%s); every RBD call runs the rbd program", e.getMessage());
                return RbdCli.ENOENT;
            }
        }
        PointerByReference joined = new PointerByReference();
        int r = LibRados.join(rados, new LibRados.Login(config.clusterName(), config.user(), config.conf(),
                config.keyring(), config.connectTimeout()), joined);
        if (r < 0) {
            LOG.warnf("librados session as client.%s could not join the cluster (errno %d)", config.user(), -r);
            return -r;
        }
        Pointer c = joined.getValue();
        cluster = c;
        LOG.infof("librados session open as client.%s (%s): RBD images are created and removed in-process",
                config.user(), config.conf());
        return 0;
    }

    /** Drops the connection (the next call makes a new one). */
    public void close() {
        lock.writeLock().lock();
        try {
            ioctxs.values().forEach(rados::rados_ioctx_destroy);
            ioctxs.clear();
            if (cluster != null) {
                rados.rados_shutdown(cluster);
                cluster = null;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
