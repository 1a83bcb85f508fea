package org.tether.compute.nvme;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.connection.Portal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** sysfs as Debian 12's 6.1 kernel lays it out for NVMe/TCP with native multipath (host-lab 4c). */
class NvmeSysfsTest {
    private static final String NQN = "nqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private static final UUID NS = UUID.fromString("8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2");

    @TempDir
    Path sys;
    private NvmeSysfs sysfs;

    @BeforeEach
    void setUp() {
        sysfs = new NvmeSysfs(sys);
    }

    private void controller(String name, String nqn, String address, String state) throws Exception {
        Path c = Files.createDirectories(sys.resolve("class/nvme-fabrics/ctl").resolve(name));
        Files.writeString(c.resolve("subsysnqn"), nqn + "\n");
        Files.writeString(c.resolve("transport"), "tcp\n");
        Files.writeString(c.resolve("address"), address + "\n");
        Files.writeString(c.resolve("state"), state + "\n");
    }

    private void head(String name, String nqn, String uuid, String nsid, String wwid) throws Exception {
        Path b = Files.createDirectories(sys.resolve("block").resolve(name));
        Files.createDirectories(b.resolve("device"));
        Files.writeString(b.resolve("device/subsysnqn"), nqn + "\n");
        Files.writeString(b.resolve("uuid"), uuid + "\n");
        Files.writeString(b.resolve("nsid"), nsid + "\n");
        Files.writeString(b.resolve("wwid"), wwid + "\n");
        Files.writeString(b.resolve("size"), "2097152\n");
    }

    @Test
    void theAddressIsReadByKeyWhateverItsOrderAndExtras() throws Exception {
        controller("nvme0", NQN, "traddr=127.0.0.1,trsvcid=4420,src_addr=127.0.0.1", "live");
        controller("nvme1", NQN, "trsvcid=4421,traddr=10.0.2.15", "connecting");
        controller("nvme2", "nqn.2003-01.org.example:other", "traddr=127.0.0.1,trsvcid=4420", "live");
        assertThat(sysfs.controller(NQN, new Portal("127.0.0.1", 4420)).orElseThrow().name()).isEqualTo("nvme0");
        assertThat(sysfs.controller(NQN, new Portal("10.0.2.15", 4421)).orElseThrow().live()).isFalse();
        assertThat(sysfs.controller(NQN, new Portal("127.0.0.1", 4421))).isEmpty();
    }

    @Test
    void theNamespaceIsTheHeadWithItsUuidNeverAPerPathNodeOrAnotherSubsystemsNamespace() throws Exception {
        head("nvme0n1", "nqn.2003-01.org.example:other", NS.toString(), "10", "uuid." + NS); // same uuid, not ours
        head("nvme1c1n1", NQN, NS.toString(), "10", "uuid." + NS); // a path, no device node
        head("nvme1n1", NQN, NS.toString(), "10", "uuid." + NS);
        head("nvme1n2", NQN, UUID.randomUUID().toString(), "11", "uuid.x");
        assertThat(sysfs.namespace(NQN, NS, 10L)).contains("nvme1n1");
        assertThat(sysfs.namespace(NQN, null, 11L)).contains("nvme1n2");
        assertThat(sysfs.namespace(NQN, UUID.randomUUID(), null)).isEmpty();
        assertThat(sysfs.sizeBytes("nvme1n1")).isEqualTo(1L << 30);
    }

    @Test
    void aTargetThatReportsNoUuidIsFoundByNguidThenById() throws Exception {
        head("nvme3n1", NQN, "", "7", "eui." + NS.toString().replace("-", ""));
        assertThat(sysfs.namespace(NQN, NS, 99L)).contains("nvme3n1");
        head("nvme4n1", NQN + "-2", "", "5", "nvme.0000-3131-00000005");
        assertThat(sysfs.namespace(NQN + "-2", NS, 5L)).contains("nvme4n1");
    }
}
