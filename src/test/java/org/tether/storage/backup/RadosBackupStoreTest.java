package org.tether.storage.backup;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code rados} store's decisions against a scripted librados (the real one, a lab Ceph's backup pool, is
 * {@code RbdAgentIT}'s): object names and namespace, the cluster joined once with the store's own user, conf,
 * keyring and timeouts, a missing object as absence, a large object read in parts, a cut connection made again
 * by the next call, and every failure as {@code backup_store_unavailable} naming the pool, the user and what
 * the errno means.
 */
class RadosBackupStoreTest {
    private static final String SHA = "ab" + "0".repeat(62);

    /** An in-memory pool; {@code fail} makes the next calls answer that errno. */
    static final class FakeRados implements RadosObjects.Objects {
        final Map<String, byte[]> objects = new TreeMap<>();
        final List<String> calls = new ArrayList<>();
        final Map<String, String> conf = new TreeMap<>();
        int joins;
        int shutdowns;
        int fail;
        int failJoin;
        int readLimit = Integer.MAX_VALUE;
        String namespace;

        @Override
        public int rados_create2(PointerByReference cluster, String clusterName, String userName, long flags) {
            calls.add("create " + clusterName + " " + userName);
            cluster.setValue(new Pointer(1));
            return 0;
        }

        @Override
        public int rados_conf_read_file(Pointer cluster, String path) {
            conf.put("conf", path);
            return 0;
        }

        @Override
        public int rados_conf_set(Pointer cluster, String option, String value) {
            conf.put(option, value);
            return 0;
        }

        @Override
        public int rados_connect(Pointer cluster) {
            joins++;
            return failJoin != 0 ? -failJoin : 0;
        }

        @Override
        public void rados_shutdown(Pointer cluster) {
            shutdowns++;
        }

        @Override
        public int rados_ioctx_create(Pointer cluster, String poolName, PointerByReference ioctx) {
            calls.add("ioctx " + poolName);
            ioctx.setValue(new Pointer(2));
            return 0;
        }

        @Override
        public void rados_ioctx_destroy(Pointer ioctx) {
        }

        @Override
        public void rados_ioctx_set_namespace(Pointer ioctx, String nspace) {
            namespace = nspace;
        }

        @Override
        public int rados_write_full(Pointer ioctx, String oid, byte[] buf, long len) {
            if (fail != 0) {
                return -fail;
            }
            objects.put(oid, java.util.Arrays.copyOf(buf, (int) len));
            return 0;
        }

        @Override
        public int rados_read(Pointer ioctx, String oid, byte[] buf, long len, long offset) {
            byte[] o = objects.get(oid);
            if (o == null) {
                return -2;
            }
            int n = (int) Math.min(Math.min(len, readLimit), o.length - offset);
            System.arraycopy(o, (int) offset, buf, 0, n);
            return n;
        }

        @Override
        public int rados_stat(Pointer ioctx, String oid, LongByReference size, LongByReference mtime) {
            if (fail != 0) {
                return -fail;
            }
            byte[] o = objects.get(oid);
            if (o == null) {
                return -2;
            }
            size.setValue(o.length);
            return 0;
        }

        @Override
        public int rados_remove(Pointer ioctx, String oid) {
            return objects.remove(oid) == null ? -2 : 0;
        }

        private Iterator<String> listing;
        private Memory entry;

        @Override
        public int rados_nobjects_list_open(Pointer ioctx, PointerByReference ctx) {
            listing = new ArrayList<>(objects.keySet()).iterator();
            ctx.setValue(new Pointer(3));
            return 0;
        }

        @Override
        public int rados_nobjects_list_next(Pointer ctx, PointerByReference entryOut, Pointer key, Pointer nspace) {
            if (!listing.hasNext()) {
                return -2;
            }
            byte[] name = listing.next().getBytes(StandardCharsets.UTF_8);
            entry = new Memory(name.length + 1);
            entry.write(0, name, 0, name.length);
            entry.setByte(name.length, (byte) 0);
            entryOut.setValue(entry);
            return 0;
        }

        @Override
        public void rados_nobjects_list_close(Pointer ctx) {
            listing = null;
        }
    }

    private final FakeRados rados = new FakeRados();
    private final RadosBackupStore store = new RadosBackupStore("offsite", "site-a/", new RadosObjects(
            new RadosObjects.Target(new org.tether.storage.rbd.LibRados.Login("ceph2", "cinder-backup",
                    Path.of("/etc/ceph/ceph2.conf"), Path.of("/etc/ceph/ceph2.client.cinder-backup.keyring"),
                    Duration.ofSeconds(20)), "backups", RadosBackupStore.NAMESPACE), () -> rados));

    @Test
    void chunksAndManifestsAreObjectsOfTheStoresNamespaceJoinedOnceAsItsOwnUser() {
        byte[] frame = {1, 2, 3};
        UUID backup = UUID.randomUUID();
        assertThat(store.hasChunk(SHA)).isFalse();
        store.putChunk(SHA, frame);
        store.putManifest(backup, "{}".getBytes(StandardCharsets.UTF_8));
        rados.objects.put("site-b/manifests/" + UUID.randomUUID() + ".json", new byte[1]); // another prefix
        rados.objects.put("site-a/manifests/notes.txt", new byte[1]);

        assertThat(rados.objects).containsKeys("site-a/chunks/" + SHA, "site-a/manifests/" + backup + ".json");
        assertThat(rados.namespace).isEqualTo("tether-backups");
        assertThat(rados.calls).containsExactly("create ceph2 client.cinder-backup", "ioctx backups");
        assertThat(rados.conf).containsEntry("conf", "/etc/ceph/ceph2.conf")
                .containsEntry("keyring", "/etc/ceph/ceph2.client.cinder-backup.keyring")
                .containsEntry("rados_osd_op_timeout", "20").containsEntry("rados_mon_op_timeout", "20")
                .containsEntry("client_mount_timeout", "20");
        assertThat(store.hasChunk(SHA)).isTrue();
        assertThat(store.chunk(SHA)).contains(frame);
        assertThat(store.chunks()).containsExactly(SHA);
        assertThat(store.manifests()).containsExactly(backup);
        assertThat(store.manifest(UUID.randomUUID())).isEmpty();
        store.deleteChunk(SHA);
        store.deleteChunk(SHA); // absent already: nothing to do
        assertThat(store.chunk(SHA)).isEmpty();
        assertThat(rados.joins).isEqualTo(1);
    }

    @Test
    void anObjectLargerThanOneReadIsReadInParts() {
        byte[] big = new byte[10_000];
        new java.util.Random(1).nextBytes(big);
        store.putManifest(new UUID(0, 1), big);
        rados.readLimit = 4096;
        assertThat(store.manifest(new UUID(0, 1))).hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
    }

    @Test
    void aClusterThatCannotBeJoinedIsUnavailableAndTriedAgainAtTheNextCall() {
        rados.failJoin = 110;
        assertThatThrownBy(() -> store.putChunk(SHA, new byte[1])).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_STORE_UNAVAILABLE);
            assertThat(e.getMessage()).contains("offsite", "write chunk " + SHA, "pool backups",
                    "client.cinder-backup", "(110) timed out");
        });
        assertThat(rados.shutdowns).isEqualTo(1);
        rados.failJoin = 0;
        store.putChunk(SHA, new byte[1]);
        assertThat(rados.joins).isEqualTo(2);
    }

    @Test
    void aConnectionCutIsMadeAgainByTheNextCallAndOtherErrorsKeepIt() {
        store.putChunk(SHA, new byte[1]);
        rados.fail = 108; // blocklisted: ESHUTDOWN
        assertThatThrownBy(() -> store.hasChunk(SHA)).isInstanceOf(TetherException.class)
                .hasMessageContaining("(108) not connected");
        assertThat(rados.shutdowns).isEqualTo(1);
        rados.fail = 13;
        assertThatThrownBy(() -> store.putChunk(SHA, new byte[1])).isInstanceOf(TetherException.class)
                .hasMessageContaining("permission denied");
        assertThat(rados.joins).as("joined again after the cut").isEqualTo(2);
        assertThat(rados.shutdowns).as("a refusal keeps the connection").isEqualTo(1);
        rados.fail = 0;
        assertThat(store.hasChunk(SHA)).isTrue();
        assertThat(rados.joins).isEqualTo(2);
    }

    @Test
    void aLibraryThatCannotBeLoadedIsNamed() {
        RadosBackupStore without = new RadosBackupStore("offsite", "", new RadosObjects(new RadosObjects.Target(
                new org.tether.storage.rbd.LibRados.Login("ceph", "u", Path.of("c"), Path.of("k"),
                        Duration.ofSeconds(1)), "backups", "n"), () -> {
                    throw new UnsatisfiedLinkError("librados.so.2: cannot open shared object file");
                }));
        assertThatThrownBy(without::manifests).isInstanceOf(TetherException.class)
                .hasMessageContaining("librados2 cannot be loaded");
    }
}
