package org.tether.storage.target;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.error.TetherException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The LIO driver's configfs decisions on a tree that behaves like configfs; the real kernel run is the test-host VM. */
class LioDriverTest {
    private static final String IQN = "iqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private static final String NAME = "volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private static final String DEV = "/dev/cinder-volumes/" + NAME;
    private static final String HOST_A = "iqn.1993-08.org.debian:01:a41db8382266";
    private static final String HOST_B = "iqn.1994-05.com.redhat:compute-2";

    @TempDir
    Path dir;
    private Path root;
    private Path saved;
    private LioDriver driver;

    @BeforeEach
    void setUp() throws Exception {
        root = dir.resolve("target");
        Files.createDirectories(root.resolve("core"));
        Files.createDirectories(root.resolve("iscsi"));
        saved = dir.resolve("etc/target/saveconfig.json");
        driver = new LioDriver(new KernelLikeConfigfs(root), List.of("0.0.0.0:3260"));
    }

    private ExportSpec spec(String initiator) {
        return new ExportSpec(IQN, NAME, DEV, initiator, "nE9PY8juynmmZ95F7Xb7", "YZ2Hceyh7VySh5HY");
    }

    private Path tpg() {
        return root.resolve("iscsi").resolve(IQN).resolve("tpgt_1");
    }

    private static String read(Path p) throws Exception {
        return Files.readString(p).strip();
    }

    @Test
    void exportBuildsWhatRtslibBuilds() throws Exception {
        driver.export(spec(HOST_A));

        Path so = root.resolve("core/iblock_0/" + NAME);
        assertThat(read(so.resolve("control"))).isEqualTo("udev_path=" + DEV);
        assertThat(read(so.resolve("enable"))).isEqualTo("1");
        assertThat(read(so.resolve("wwn/vpd_unit_serial"))).as("a unit serial per LUN, so each has its own WWID")
                .isEqualTo(LioDriver.unitSerial(NAME)).isNotEmpty().doesNotStartWith("volume-");
        assertThat(read(tpg().resolve("attrib/authentication"))).isEqualTo("1");
        assertThat(read(tpg().resolve("attrib/generate_node_acls"))).isEqualTo("0");
        assertThat(read(tpg().resolve("enable"))).isEqualTo("1");
        assertThat(tpg().resolve("np/0.0.0.0:3260")).isDirectory();
        assertThat(Files.readSymbolicLink(tpg().resolve("lun/lun_0/" + NAME))).isEqualTo(so);
        Path acl = tpg().resolve("acls/" + HOST_A);
        assertThat(read(acl.resolve("auth/userid"))).isEqualTo("nE9PY8juynmmZ95F7Xb7");
        assertThat(read(acl.resolve("auth/password"))).isEqualTo("YZ2Hceyh7VySh5HY");
        assertThat(Files.readSymbolicLink(acl.resolve("lun_0/lun_0"))).isEqualTo(tpg().resolve("lun/lun_0"));
        assertThat(driver.initiators(IQN)).containsExactly(HOST_A);
    }

    @Test
    void aTargetClearedHalfWayShowsItsGapsAndTheNextExportCompletesIt() throws Exception {
        assertThat(driver.gaps(spec(HOST_A))).containsExactly("target " + IQN);
        driver.export(spec(HOST_A));
        assertThat(driver.gaps(spec(HOST_A))).isEmpty();
        assertThat(driver.gaps(spec(HOST_B))).containsExactly("ACL for " + HOST_B);
        assertThat(driver.liveTargets()).containsExactly(IQN);

        // what a targetctl clear racing a repair leaves: the ACL is there, the portal and the LUN are not
        Files.delete(tpg().resolve("acls/" + HOST_A + "/lun_0/lun_0"));
        Files.delete(tpg().resolve("lun/lun_0/" + NAME));
        Files.delete(tpg().resolve("np/0.0.0.0:3260"));
        Files.writeString(tpg().resolve("enable"), "0");
        assertThat(driver.initiators(IQN)).as("an ACL check alone sees nothing wrong").containsExactly(HOST_A);
        assertThat(driver.gaps(spec(HOST_A))).containsExactly("LUN 0", "portal 0.0.0.0:3260",
                "mapped LUN for " + HOST_A, "enabled TPG");

        driver.export(spec(HOST_A));
        assertThat(driver.gaps(spec(HOST_A))).isEmpty();
        assertThat(Files.readSymbolicLink(tpg().resolve("acls/" + HOST_A + "/lun_0/lun_0")))
                .isEqualTo(tpg().resolve("lun/lun_0"));
    }

    /**
     * A backstore made but never enabled (a call that failed or died between the two, as when a repair pass met a
     * device not there yet) is configured by the next export instead of failing it: the kernel refuses a LUN on it.
     */
    @Test
    void aBackstoreNeverEnabledIsConfiguredByTheNextExport() throws Exception {
        Path so = root.resolve("core/iblock_0").resolve(NAME);
        new KernelLikeConfigfs(root).mkdir(so.getParent());
        new KernelLikeConfigfs(root).mkdir(so);
        Files.writeString(so.resolve("udev_path"), DEV);
        driver.export(spec(HOST_A));
        assertThat(read(so.resolve("enable"))).isEqualTo("1");
        assertThat(read(so.resolve("control"))).isEqualTo("udev_path=" + DEV);
        assertThat(driver.gaps(spec(HOST_A))).isEmpty();
    }

    @Test
    void saveconfigIsLeftToTheToolsThatOwnIt() throws Exception {
        // a targetcli-made file, with a fileio backstore, two LUNs and parameters Tether would not write faithfully
        Files.createDirectories(saved.getParent());
        String foreign = "{\"storage_objects\": [{\"plugin\": \"fileio\", \"name\": \"f1\", \"dev\": \"/srv/f1.img\", "
                + "\"size\": 1048576}], \"targets\": [{\"wwn\": \"iqn.2003-01.org.example:other\", \"tpgs\": [{\"tag\": 1, "
                + "\"luns\": [{\"index\": 3, \"storage_object\": \"/backstores/fileio/f1\"}], \"parameters\": "
                + "{\"MaxRecvDataSegmentLength\": \"262144\"}}]}]}";
        Files.writeString(saved, foreign);
        driver.export(spec(HOST_A));
        driver.export(spec(HOST_B));
        driver.unexport(IQN, NAME, HOST_A, "nE9PY8juynmmZ95F7Xb7", false);
        driver.unexport(IQN, NAME, HOST_B, "nE9PY8juynmmZ95F7Xb7", true);
        assertThat(Files.readString(saved)).isEqualTo(foreign);
        assertThat(saved.getParent().toFile().list()).containsExactly("saveconfig.json");
    }

    @Test
    void aSecondInitiatorAddsAnAclAndTheTargetGoesWithTheLast() throws Exception {
        driver.export(spec(HOST_A));
        driver.export(spec(HOST_B));
        driver.export(spec(HOST_B));
        assertThat(driver.initiators(IQN)).containsExactly(HOST_A, HOST_B);
        assertThat(root.resolve("core").toFile().list()).containsExactly("iblock_0");

        driver.unexport(IQN, NAME, HOST_A, "nE9PY8juynmmZ95F7Xb7", false);
        assertThat(driver.initiators(IQN)).containsExactly(HOST_B);
        assertThat(tpg().resolve("lun/lun_0")).exists();

        driver.unexport(IQN, NAME, HOST_B, "nE9PY8juynmmZ95F7Xb7", true);
        assertThat(root.resolve("iscsi").resolve(IQN)).doesNotExist();
        assertThat(root.resolve("core/iblock_0")).doesNotExist();
    }

    @Test
    void anotherTargetOnTheHostIsNeverTouched() throws Exception {
        String other = "iqn.2003-01.org.example:other";
        KernelLikeConfigfs fs = new KernelLikeConfigfs(root);
        fs.mkdir(root.resolve("iscsi").resolve(other));
        fs.mkdir(root.resolve("iscsi").resolve(other).resolve("tpgt_1"));
        driver.export(spec(HOST_A));
        driver.unexport(IQN, NAME, HOST_A, "nE9PY8juynmmZ95F7Xb7", true);
        assertThat(root.resolve("iscsi").resolve(other).resolve("tpgt_1")).isDirectory();
    }

    @Test
    void withoutLioLoadedTheErrorSaysWhatIsMissing() throws Exception {
        LioDriver none = new LioDriver(new KernelLikeConfigfs(dir.resolve("absent")),
                List.of("0.0.0.0:3260"));
        assertThatThrownBy(() -> none.export(spec(HOST_A))).isInstanceOf(TetherException.class)
                .hasMessageContaining("load target_core_mod and mount configfs");
    }

    @Test
    void unexportOfWhatIsNotThereIsSuccess() {
        driver.unexport(IQN, NAME, HOST_A, "nE9PY8juynmmZ95F7Xb7", true);
        assertThat(driver.initiators(IQN)).isEmpty();
    }

    /**
     * Different volumes export and unexport at once (the caller serialises per volume only): every storage object
     * gets an HBA of its own while they race for new ones, and nothing is left when all are gone. The fabric
     * directory is absent at the start, so the first exports also race to make it.
     */
    @Test
    void exportsOfDifferentVolumesRunSideBySideEachInItsOwnHba() throws Exception {
        Files.delete(root.resolve("iscsi"));
        int volumes = 12;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(volumes);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(volumes);
        java.util.Set<String> hbasSeenTogether = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int v = 0; v < volumes; v++) {
                String name = "volume-00000000-0000-0000-0000-0000000000" + String.format("%02d", v);
                String iqn = "iqn.2010-10.org.openstack:" + name;
                String user = "user" + v;
                ExportSpec s = new ExportSpec(iqn, name, "/dev/cinder-volumes/" + name, HOST_A, user, "pass" + v);
                done.add(pool.submit(() -> {
                    start.await();
                    for (int round = 0; round < 10; round++) {
                        driver.export(s);
                        try (var hbas = Files.list(root.resolve("core"))) {
                            hbas.forEach(h -> {
                                try (var sos = Files.list(h)) {
                                    if (sos.count() > 1) {
                                        hbasSeenTogether.add(h.getFileName().toString());
                                    }
                                } catch (java.io.IOException e) {
                                    // removed meanwhile by another volume's unexport
                                }
                            });
                        }
                        assertThat(driver.gaps(s)).isEmpty();
                        driver.unexport(iqn, name, HOST_A, user, true);
                    }
                    return null;
                }));
            }
            for (var f : done) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(hbasSeenTogether).as("HBAs that held two storage objects").isEmpty();
        try (var left = Files.list(root.resolve("core"))) {
            assertThat(left.toList()).isEmpty();
        }
        try (var left = Files.list(root.resolve("iscsi"))) {
            assertThat(left.toList()).isEmpty();
        }
    }
}
