package org.tether.storage.target;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.connection.Portal;
import org.tether.error.TetherException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The nvmet driver's configfs decisions on a tree that behaves like nvmet's; the real kernel run is the test-host VM. */
class NvmetDriverTest {
    private static final UUID ID = UUID.fromString("8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2");
    private static final String NQN = "nqn.2010-10.org.openstack:volume-" + ID;
    private static final String NAME = "volume-" + ID;
    private static final String DEV = "/dev/cinder-volumes/" + NAME;
    private static final String HOST_A = "nqn.2014-08.org.nvmexpress:uuid:6a4f5b39-bd6e-4a42-9a4e-0e0b1a1b2c3d";
    private static final String HOST_B = "nqn.2014-08.org.nvmexpress:uuid:0d9a1b7e-8f0c-4f4e-9a55-3f0c0b1a2b3c";

    @TempDir
    Path dir;
    private Path root;
    private NvmetDriver driver;

    @BeforeEach
    void setUp() throws Exception {
        root = dir.resolve("nvmet");
        for (String g : new String[] {"subsystems", "hosts", "ports"}) {
            Files.createDirectories(root.resolve(g));
        }
        driver = new NvmetDriver(new NvmetLikeConfigfs(root), "nqn.2010-10.org.openstack:",
                List.of(new Portal("192.0.2.10", 4420), new Portal("198.51.100.10", 4420)), 10);
    }

    private ExportSpec spec(String host) {
        return new ExportSpec(NQN, NAME, DEV, host, "unused", "unused");
    }

    private static String read(Path p) throws Exception {
        return Files.readString(p).strip();
    }

    @Test
    void anExportAdmitsExactlyItsHostOnEveryPortal() throws Exception {
        driver.export(spec(HOST_A));
        Path sub = root.resolve("subsystems").resolve(NQN);
        assertThat(read(sub.resolve("attr_allow_any_host"))).isEqualTo("0");
        assertThat(read(sub.resolve("namespaces/10/device_path"))).isEqualTo(DEV);
        assertThat(read(sub.resolve("namespaces/10/device_uuid"))).isEqualTo(ID.toString());
        assertThat(read(sub.resolve("namespaces/10/enable"))).isEqualTo("1");
        assertThat(Files.readSymbolicLink(sub.resolve("allowed_hosts").resolve(HOST_A)))
                .isEqualTo(root.resolve("hosts").resolve(HOST_A));
        assertThat(driver.initiators(NQN)).containsExactly(HOST_A);
        assertThat(root.resolve("ports").toFile().list()).containsExactlyInAnyOrder("1", "2");
        assertThat(read(root.resolve("ports/1/addr_traddr"))).isEqualTo("192.0.2.10");
        assertThat(read(root.resolve("ports/1/addr_trtype"))).isEqualTo("tcp");
        assertThat(read(root.resolve("ports/2/addr_trsvcid"))).isEqualTo("4420");
        assertThat(Files.isSymbolicLink(root.resolve("ports/2/subsystems").resolve(NQN))).isTrue();
        assertThat(driver.gaps(spec(HOST_A))).isEmpty();
        assertThat(driver.gaps(spec(HOST_B))).containsExactly("allowed host " + HOST_B);

        driver.export(spec(HOST_A)); // a repeat changes nothing
        assertThat(driver.gaps(spec(HOST_A))).isEmpty();
    }

    @Test
    void unexportsTakeTheHostThenEverythingWithTheLast() throws Exception {
        driver.export(spec(HOST_A));
        driver.export(spec(HOST_B));
        driver.unexport(NQN, NAME, HOST_A, null, false);
        assertThat(driver.initiators(NQN)).containsExactly(HOST_B);
        assertThat(root.resolve("hosts").toFile().list()).containsExactly(HOST_B);

        driver.unexport(NQN, NAME, HOST_B, null, true);
        assertThat(root.resolve("subsystems").toFile().list()).isEmpty();
        assertThat(root.resolve("hosts").toFile().list()).isEmpty();
        assertThat(root.resolve("ports").toFile().list()).as("ports of the configured portals no one uses").isEmpty();
        driver.unexport(NQN, NAME, HOST_B, null, true); // absent is success
    }

    @Test
    void aPortSomeoneElseMadeForThePortalIsSharedAndKept() throws Exception {
        Configfs fs = new NvmetLikeConfigfs(root);
        Path theirs = root.resolve("ports/7");
        fs.mkdir(theirs);
        fs.write(theirs.resolve("addr_trtype"), "tcp");
        fs.write(theirs.resolve("addr_traddr"), "192.0.2.10");
        fs.write(theirs.resolve("addr_trsvcid"), "4420");
        String other = "nqn.2003-01.org.example:other";
        fs.mkdir(root.resolve("subsystems").resolve(other));
        fs.symlink(theirs.resolve("subsystems").resolve(other), root.resolve("subsystems").resolve(other));

        driver.export(spec(HOST_A));
        assertThat(Files.isSymbolicLink(theirs.resolve("subsystems").resolve(NQN))).isTrue();
        driver.unexport(NQN, NAME, HOST_A, null, true);
        assertThat(theirs.resolve("subsystems").toFile().list()).containsExactly(other);
    }

    @Test
    void aNamespaceServingAnotherDeviceIsRefusedAndLeftAlone() throws Exception {
        driver.export(spec(HOST_A));
        ExportSpec other = new ExportSpec(NQN, NAME, "/dev/other/disk", HOST_B, "unused", "unused");
        assertThatThrownBy(() -> driver.export(other)).isInstanceOf(TetherException.class).hasMessageContaining(DEV);
        assertThat(driver.initiators(NQN)).containsExactly(HOST_A);
    }

    @Test
    void aFailedFirstExportLeavesNoSubsystem() throws Exception {
        Files.delete(root.resolve("ports"));
        Files.writeString(root.resolve("ports"), "not a directory"); // every port write fails
        assertThatThrownBy(() -> driver.export(spec(HOST_A))).isInstanceOf(RuntimeException.class);
        assertThat(root.resolve("subsystems").toFile().list()).isEmpty();
    }

    @Test
    void connectionInfoIsCindersVersionTwo() {
        Map<String, Object> info = driver.connectionInfo(ID, driver.targetName(ID).orElseThrow(), Map.of("total_iops_sec", "500")).orElseThrow();
        assertThat(info.get("driver_volume_type")).isEqualTo("nvmeof");
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) info.get("data");
        assertThat(data.get("target_nqn")).isEqualTo(NQN);
        assertThat(data.get("vol_uuid")).isEqualTo(ID.toString());
        assertThat(data.get("ns_id")).isEqualTo(10);
        assertThat(data.get("portals")).isEqualTo(List.of(List.of("192.0.2.10", "4420", "tcp"),
                List.of("198.51.100.10", "4420", "tcp")));
        assertThat(data.get("qos_specs")).isEqualTo(Map.of("total_iops_sec", "500"));
    }
}
