package org.tether.storage.rbd;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The few calls of librados and librbd (Ceph's C API, {@code rados/librados.h} and {@code rbd/librbd.h}) the
 * agent makes in its own process. Every call returns 0 or a negative errno. Loaded by soname: the runtime
 * packages (librados2, librbd1) ship no unversioned {@code .so}.
 */
public final class LibRados {
    private LibRados() {
    }

    /** Joining a cluster and opening a pool; the backup store's object calls extend it. */
    public interface Rados extends Library {
        int rados_create2(PointerByReference cluster, String clusterName, String userName, long flags);

        int rados_conf_read_file(Pointer cluster, String path);

        int rados_conf_set(Pointer cluster, String option, String value);

        int rados_connect(Pointer cluster);

        void rados_shutdown(Pointer cluster);

        int rados_ioctx_create(Pointer cluster, String poolName, PointerByReference ioctx);

        void rados_ioctx_destroy(Pointer ioctx);
    }

    /** Who joins which cluster, and the bound on every monitor and OSD operation. */
    public record Login(String clusterName, String user, java.nio.file.Path conf, java.nio.file.Path keyring,
                        java.time.Duration timeout) {
    }

    /**
     * Joins the cluster as {@code login}: its ceph.conf read, its keyring, every wait bounded by its timeout,
     * nothing logged to stderr and no admin socket (a ceph.conf that names one per user ({@code $name.asok})
     * would have the agent hold it, and every {@code rbd} call after print that it could not bind it). The
     * cluster handle into {@code out}; 0 or a negative errno (the half-made handle then shut down).
     */
    public static int join(Rados rados, Login login, PointerByReference out) {
        PointerByReference made = new PointerByReference();
        int r = rados.rados_create2(made, login.clusterName(), "client." + login.user(), 0);
        if (r < 0) {
            return r;
        }
        Pointer c = made.getValue();
        String seconds = Long.toString(Math.max(1, login.timeout().toSeconds()));
        r = rados.rados_conf_read_file(c, login.conf().toString());
        for (String[] kv : new String[][] {{"keyring", login.keyring().toString()},
                {"client_mount_timeout", seconds}, {"rados_mon_op_timeout", seconds},
                {"rados_osd_op_timeout", seconds}, {"log_to_stderr", "false"}, {"err_to_stderr", "false"},
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
            return r;
        }
        out.setValue(c);
        return 0;
    }

    interface Rbd extends Library {
        /** A format 2 image with these feature bits; {@code order} 0 takes the default object size (4 MiB). */
        int rbd_create2(Pointer ioctx, String name, long size, long features, IntByReference order);

        int rbd_remove(Pointer ioctx, String name);

        int rbd_open_read_only(Pointer ioctx, String name, PointerByReference image, String snapName);

        int rbd_open(Pointer ioctx, String name, PointerByReference image, String snapName);

        int rbd_close(Pointer image);

        int rbd_get_size(Pointer image, com.sun.jna.ptr.LongByReference size);

        long rbd_read(Pointer image, long offset, long length, byte[] buf);

        long rbd_write(Pointer image, long offset, long length, byte[] buf);

        int rbd_flush(Pointer image);

        int rbd_snap_create(Pointer image, String snapName);

        int rbd_snap_remove(Pointer image, String snapName);

        /**
         * The image's snapshots into {@code snaps}, an array of {@code *maxSnaps} {@code rbd_snap_info_t}
         * ({@link #SNAP_INFO_BYTES} each: id, size, name); the count, or -ERANGE with the count needed in
         * {@code *maxSnaps}. The names stay allocated until {@link #rbd_snap_list_end}.
         */
        int rbd_snap_list(Pointer image, Pointer snaps, IntByReference maxSnaps);

        void rbd_snap_list_end(Pointer snaps);

        /** Every extent that differs from {@code fromSnap} (null: every extent ever written), one call each. */
        int rbd_diff_iterate2(Pointer image, String fromSnap, long offset, long length, byte includeParent,
                              byte wholeObject, DiffCallback callback, Pointer arg);
    }

    interface DiffCallback extends com.sun.jna.Callback {
        int invoke(long offset, long length, int exists, Pointer arg);
    }

    /** {@code rbd_snap_info_t}: uint64_t id, uint64_t size, const char *name (LP64). */
    static final int SNAP_INFO_BYTES = 24;

    /** RBD_FEATURE_LAYERING: what Cinder's RBD driver and this agent's CLI calls give every image. */
    static final long FEATURE_LAYERING = 1;

    static Rados rados() {
        return Native.load("librados.so.2", Rados.class);
    }

    static Rbd rbd() {
        return Native.load("librbd.so.1", Rbd.class);
    }
}
