package org.tether.storage.rbd;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;

import java.util.HashMap;
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
    static final int ENOTCONN = 107;
    static final int ESHUTDOWN = 108;

    private final TetherConfig.Rbd config;
    private final Supplier<LibRados.Rados> radosLoader;
    private final Supplier<LibRados.Rbd> rbdLoader;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, Pointer> ioctxs = new HashMap<>();
    private LibRados.Rados rados;
    private LibRados.Rbd rbd;
    private Pointer cluster;
    private volatile boolean disabled;

    public RadosSession(TetherConfig.Rbd config) {
        this(config, LibRados::rados, LibRados::rbd);
    }

    RadosSession(TetherConfig.Rbd config, Supplier<LibRados.Rados> radosLoader, Supplier<LibRados.Rbd> rbdLoader) {
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
            LOG.warnf("librados session as client.%s: errno %d; it is made again on the next call", config.user(),
                    errno);
            close();
        }
        return Math.max(errno, 0);
    }

    /** Joins the cluster (once) and opens the pool's I/O context; 0 or a positive errno. */
    private int open(String pool) {
        lock.writeLock().lock();
        try {
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
        } finally {
            lock.writeLock().unlock();
        }
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
        PointerByReference made = new PointerByReference();
        int r = rados.rados_create2(made, config.clusterName(), "client." + config.user(), 0);
        if (r < 0) {
            return -r;
        }
        Pointer c = made.getValue();
        String seconds = Long.toString(Math.max(1, config.connectTimeout().toSeconds()));
        r = rados.rados_conf_read_file(c, config.conf().toString());
        for (String[] kv : new String[][] {{"keyring", config.keyring().toString()},
                {"client_mount_timeout", seconds}, {"rados_mon_op_timeout", seconds},
                {"rados_osd_op_timeout", seconds}, {"log_to_stderr", "false"}, {"err_to_stderr", "false"},
                // no admin socket: a ceph.conf that names one per user ($name.asok) would have the agent's
                // session hold it, and every rbd call after print that it could not bind it
                {"admin_socket", ""}}) {
            if (r >= 0) {
                r = rados.rados_conf_set(c, kv[0], kv[1]);
            }
        }
        if (r >= 0) {
            r = rados.rados_connect(c);
        }
        if (r < 0) {
            rados.rados_shutdown(c);
            LOG.warnf("librados session as client.%s could not join the cluster (errno %d)", config.user(), -r);
            return -r;
        }
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
