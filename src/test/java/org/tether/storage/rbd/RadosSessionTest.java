package org.tether.storage.rbd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import org.junit.jupiter.api.Test;
import org.tether.config.RbdConfig;
import org.tether.error.ErrorCode;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's librados session around a recording librados/librbd: what it asks of the cluster, how errno
 * answers read (the same as the rbd program's exit codes), when the connection is made again, and the CLI
 * when the libraries are missing or turned off. The real libraries against a real Ceph: RbdAgentIT.
 */
class RadosSessionTest {
    private final List<String> calls = new ArrayList<>();
    private final List<Command> commands = new ArrayList<>();
    private int connectAnswer;
    private int createAnswer;

    private static RbdConfig config(boolean librbd) {
        Map<String, Object> values = Map.of("pool", "volumes", "user", "cinder", "keyring", Path.of("/k/keyring"),
                "conf", Path.of("/k/ceph.conf"), "clusterName", "ceph", "timeout", Duration.ofSeconds(300),
                "connectTimeout", Duration.ofSeconds(7), "librbd", librbd);
        return (RbdConfig) Proxy.newProxyInstance(RadosSessionTest.class.getClassLoader(),
                new Class<?>[] {RbdConfig.class}, (p, m, a) -> values.get(m.getName()));
    }

    private final LibRados.Rados rados = new LibRados.Rados() {
        public int rados_create2(PointerByReference cluster, String clusterName, String userName, long flags) {
            calls.add("create2 " + clusterName + " " + userName);
            cluster.setValue(new Pointer(0x1000));
            return 0;
        }

        public int rados_conf_read_file(Pointer cluster, String path) {
            calls.add("read " + path);
            return 0;
        }

        public int rados_conf_set(Pointer cluster, String option, String value) {
            calls.add("set " + option + "=" + value);
            return 0;
        }

        public int rados_connect(Pointer cluster) {
            calls.add("connect");
            return connectAnswer;
        }

        public void rados_shutdown(Pointer cluster) {
            calls.add("shutdown");
        }

        public int rados_ioctx_create(Pointer cluster, String poolName, PointerByReference ioctx) {
            calls.add("ioctx " + poolName);
            ioctx.setValue(new Pointer(0x2000));
            return 0;
        }

        public void rados_ioctx_destroy(Pointer ioctx) {
            calls.add("ioctx-destroy");
        }
    };

    private final LibRados.Rbd rbd = new LibRados.Rbd() {
        public int rbd_create2(Pointer ioctx, String name, long size, long features, IntByReference order) {
            calls.add("rbd_create2 " + name + " " + size + " features=" + features);
            return createAnswer;
        }

        public int rbd_remove(Pointer ioctx, String name) {
            calls.add("rbd_remove " + name);
            return 0;
        }

        // images are read and written against the real librbd (RbdAgentIT); here only opened and closed
        public int rbd_open_read_only(Pointer ioctx, String name, PointerByReference image, String snapName) {
            throw new UnsupportedOperationException();
        }

        public int rbd_open(Pointer ioctx, String name, PointerByReference image, String snapName) {
            calls.add("rbd_open " + name);
            image.setValue(new Pointer(0x3000));
            return 0;
        }

        public int rbd_close(Pointer image) {
            calls.add("rbd_close");
            return 0;
        }

        public int rbd_get_size(Pointer image, com.sun.jna.ptr.LongByReference size) {
            throw new UnsupportedOperationException();
        }

        public long rbd_read(Pointer image, long offset, long length, byte[] buf) {
            throw new UnsupportedOperationException();
        }

        public long rbd_write(Pointer image, long offset, long length, byte[] buf) {
            throw new UnsupportedOperationException();
        }

        public int rbd_flush(Pointer image) {
            throw new UnsupportedOperationException();
        }

        public int rbd_diff_iterate2(Pointer image, String fromSnap, long offset, long length, byte includeParent,
                                     byte wholeObject, LibRados.DiffCallback callback, Pointer arg) {
            throw new UnsupportedOperationException();
        }

        public int rbd_snap_create(Pointer image, String snapName) {
            throw new UnsupportedOperationException();
        }

        public int rbd_snap_remove(Pointer image, String snapName) {
            throw new UnsupportedOperationException();
        }

        public int rbd_snap_list(Pointer image, Pointer snaps, IntByReference maxSnaps) {
            throw new UnsupportedOperationException();
        }

        public void rbd_snap_list_end(Pointer snaps) {
            throw new UnsupportedOperationException();
        }
    };

    private RbdCli cli(RadosSession session) {
        return new RbdCli(c -> {
            commands.add(c);
            return new CommandResult(c, 0, "", "", Duration.ofMillis(90));
        }, config(true), "volumes", new ObjectMapper(), session);
    }

    @Test
    void oneConnectionAsTheAgentsUserServesEveryCallAndAnswersAsTheCliWould() {
        RadosSession session = new RadosSession(config(true), () -> rados, () -> rbd);
        RbdCli cli = cli(session);
        assertThat(cli.create("volume-a", 1L << 30).succeeded()).isTrue();
        assertThat(cli.remove("volume-b").succeeded()).isTrue();
        createAnswer = -RbdCli.EEXIST;
        CommandResult exists = cli.create("volume-a", 1L << 30);
        assertThat(exists.exitCode()).isEqualTo(RbdCli.EEXIST);
        assertThat(exists.summary()).isEqualTo("librbd create volumes/volume-a exited 17: librbd: (17) File exists");

        assertThat(calls).containsExactly("create2 ceph client.cinder", "read /k/ceph.conf", "set keyring=/k/keyring",
                "set client_mount_timeout=7", "set rados_mon_op_timeout=7", "set rados_osd_op_timeout=7",
                "set log_to_stderr=false", "set err_to_stderr=false", "set admin_socket=", "connect", "ioctx volumes",
                "rbd_create2 volume-a 1073741824 features=1", "rbd_remove volume-b",
                "rbd_create2 volume-a 1073741824 features=1");
        assertThat(commands).isEmpty();
    }

    @Test
    void aThreadHoldingAnImageOpenOpensAnotherInAPoolNotOpenedYetAndOtherThreadsCallMeanwhile() {
        RadosSession session = new RadosSession(config(true), () -> rados, () -> rbd);
        // a move of a volume between two RBD pools holds the source open while it opens the target: the second
        // pool's I/O context is made while this thread holds the session's read lock (it once asked for the write
        // lock there, and waited for itself)
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (var in = session.writer("volumes", "volume-a"); var out = session.writer("backups", "volume-a")) {
                Thread other = new Thread(() -> session.create("images", "volume-c", 1L << 20));
                other.start();
                other.join();
            }
        });
        assertThat(calls).containsSubsequence("ioctx volumes", "rbd_open volume-a", "ioctx backups",
                "rbd_open volume-a", "ioctx images", "rbd_create2 volume-c 1048576 features=1", "rbd_close",
                "rbd_close");
    }

    @Test
    void aTimedOutCallIsA503AndTheNextCallJoinsTheClusterAgain() {
        RadosSession session = new RadosSession(config(true), () -> rados, () -> rbd);
        RbdCli cli = cli(session);
        cli.create("volume-a", 1L << 30);
        createAnswer = -RbdCli.ETIMEDOUT;
        CommandResult timedOut = cli.create("volume-b", 1L << 30);
        assertThat(RbdCli.failure(timedOut, "create image volume-b").code()).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
        assertThat(calls.subList(calls.size() - 2, calls.size())).containsExactly("ioctx-destroy", "shutdown");

        calls.clear();
        createAnswer = 0;
        assertThat(cli.create("volume-b", 1L << 30).succeeded()).isTrue();
        assertThat(calls).contains("connect", "ioctx volumes", "rbd_create2 volume-b 1073741824 features=1");
    }

    @Test
    void monitorsThatDoNotLetItJoinAre503AndLeaveNoHandleBehind() {
        RadosSession session = new RadosSession(config(true), () -> rados, () -> rbd);
        connectAnswer = -RbdCli.ETIMEDOUT;
        CommandResult r = cli(session).create("volume-a", 1L << 30);
        assertThat(RbdCli.failure(r, "create image volume-a").code()).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE);
        assertThat(calls).endsWith("connect", "shutdown").doesNotContain("ioctx volumes");
        assertThat(session.enabled()).isTrue();
    }

    @Test
    void librariesThatCannotBeLoadedOrAreTurnedOffLeaveEveryCallToTheRbdProgram() {
        int[] loads = {0};
        RadosSession missing = new RadosSession(config(true), () -> {
            loads[0]++;
            throw new UnsatisfiedLinkError("librados.so.2: cannot open shared object file");
        }, () -> rbd);
        RbdCli cli = cli(missing);
        assertThat(cli.create("volume-a", 1L << 30).succeeded()).isTrue();
        assertThat(cli.remove("volume-a").succeeded()).isTrue();
        assertThat(missing.enabled()).isFalse();
        assertThat(loads[0]).isEqualTo(1);
        assertThat(commands).extracting(c -> String.join(" ", c.argv())).satisfiesExactly(
                c -> assertThat(c).startsWith("rbd -c /k/ceph.conf --name client.cinder --keyring=/k/keyring")
                        .endsWith(" create --size 1073741824B --image-format 2 --image-feature layering volumes/volume-a"),
                c -> assertThat(c).startsWith("rbd ").endsWith(" rm --no-progress volumes/volume-a"));

        commands.clear();
        RadosSession off = new RadosSession(config(false), () -> rados, () -> rbd);
        cli(off).create("volume-c", 1L << 30);
        assertThat(commands).hasSize(1);
        assertThat(calls).isEmpty();
    }
}
