package org.tether.testhost;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reboot of the test host on the same PVs and state disk: the agent restores its LIO and nvmet exports from
 * its own state, reconciliation logs the iSCSI attachment's session in again from the kept node record and
 * connects the NVMe attachment's controllers again with the kept host NQN, the domain starts on both disks with
 * the data written before, and both volumes detach cleanly afterwards.
 */
class RebootIT {
    private final Path pv = Path.of("target/testhost/reboot-pv.img").toAbsolutePath();
    private final Path state = Path.of("target/testhost/reboot-state.img").toAbsolutePath();
    private final Path nvmePv = Path.of("target/testhost/reboot-nvme-pv.img").toAbsolutePath();
    private TestHostVm vm;

    @AfterEach
    void shutdown() throws Exception {
        if (vm != null) {
            vm.close();
        }
        Files.deleteIfExists(pv);
        Files.deleteIfExists(state);
        Files.deleteIfExists(nvmePv);
    }

    private static void truncate(Path p, long bytes) throws Exception {
        Files.createDirectories(p.getParent());
        Files.deleteIfExists(p);
        try (var f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
    }

    /** The volume's attachment is attached, and the pass repaired {@code drift} and left nothing unrepaired. */
    private void assertAttachedAfterRepair(String vol, String drift) throws Exception {
        JsonNode attachment = null;
        for (JsonNode x : vm.json(vm.get("/v1/attachments"))) {
            if (x.get("volume_id").asText().equals(vol)) {
                attachment = x;
            }
        }
        assertThat(attachment).as("attachment of " + vol).isNotNull();
        assertThat(attachment.get("state").asText()).isEqualTo("attached");
        assertThat(attachment.get("drift").toString()).contains(drift).doesNotContain("\"repaired\":false");
    }

    @Test
    void afterARebootExportsAreRestoredSessionsReloggedAndTheVolumeDetachesCleanly() throws Exception {
        truncate(pv, 8L << 30);
        truncate(state, 256L << 20);
        truncate(nvmePv, 3L << 30);
        vm = TestHostVm.boot("-reboot-a", List.of(pv, state, nvmePv));
        JsonNode connector = vm.json(vm.get("/v1/connector"));
        String initiator = connector.get("initiator").asText();
        String vol = UUID.randomUUID().toString();
        assertThat(vm.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1, \"thin\": true}").statusCode())
                .isEqualTo(201);
        HttpResponse<String> e = vm.put("/v1/volumes/" + vol + "/exports/" + initiator, connector.toString());
        assertThat(e.statusCode()).as(e.body()).isEqualTo(200);
        String iqn = vm.json(e).get("data").get("target_iqn").asText();
        HttpResponse<String> a = vm.put("/v1/instances/testdom/volumes/" + vol, "{\"connection_info\": "
                + e.body() + ", \"bus\": \"scsi\", \"attach_path\": \"kernel\"}");
        assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
        vm.probe("what=write&vol=" + vol + "&pat=0x77&off=65536");
        assertThat(vm.probe("what=sessions")).contains(iqn);

        String hostNqn = connector.get("nqn").asText();
        String nvol = UUID.randomUUID().toString();
        String nqn = "nqn.2010-10.org.openstack:volume-" + nvol;
        assertThat(vm.post("/v1/volumes", "{\"id\": \"" + nvol + "\", \"size_gb\": 1, \"pool\": \"nvme\"}")
                .statusCode()).isEqualTo(201);
        HttpResponse<String> ne = vm.put("/v1/volumes/" + nvol + "/exports/" + hostNqn, connector.toString());
        assertThat(ne.statusCode()).as(ne.body()).isEqualTo(200);
        HttpResponse<String> na = vm.put("/v1/instances/testdom/volumes/" + nvol, "{\"connection_info\": "
                + ne.body() + ", \"bus\": \"scsi\", \"attach_path\": \"kernel\"}");
        assertThat(na.statusCode()).as(na.body()).isEqualTo(200);
        vm.probe("what=write&vol=" + nvol + "&pat=0x79&off=65536");

        vm.close();
        vm = TestHostVm.boot("-reboot-b", List.of(pv, state, nvmePv));

        assertThat(vm.probe("what=lio")).as("export restored from the agent's state")
                .contains(iqn + "/tpgt_1/acls/" + initiator);
        assertThat(vm.probe("what=sessions")).as("session logged in again").contains(iqn);
        assertAttachedAfterRepair(vol, "session_relogged");
        assertThat(vm.probe("what=bypath")).contains("ip-127.0.0.1:3260-iscsi-" + iqn + "-lun-0 -> ../../sd");

        // NVMe: the same host NQN (kept, not made again), the subsystem back with it as its one allowed host, both
        // controllers connected again by reconciliation
        assertThat(vm.probe("what=hostnqn").strip()).isEqualTo(hostNqn);
        assertThat(vm.probe("what=nvmet")).as("nvmet export restored from the agent's state")
                .contains("subsystems/" + nqn + "/allowed_hosts/" + hostNqn)
                .contains("subsystems/" + nqn + "/attr_allow_any_host=0");
        assertThat(vm.probe("what=nvmectl").lines().filter(l -> l.contains(nqn + " live")).count()).isEqualTo(2);
        assertAttachedAfterRepair(nvol, "controller_reconnected");

        assertThat(vm.probe("what=startdom")).contains("started");
        assertThat(vm.probe("what=readlv&vol=" + vol + "&off=65536").strip()).startsWith("77 77 77 77");
        vm.probe("what=write&vol=" + vol + "&pat=0x78&off=131072");
        assertThat(vm.probe("what=readlv&vol=" + vol + "&off=131072").strip()).startsWith("78 78 78 78");
        assertThat(vm.probe("what=readlv&vg=cinder-nvme&vol=" + nvol + "&off=65536").strip()).startsWith("79 79 79 79");
        vm.probe("what=write&vol=" + nvol + "&pat=0x7a&off=131072");
        assertThat(vm.probe("what=readlv&vg=cinder-nvme&vol=" + nvol + "&off=131072").strip()).startsWith("7a 7a 7a 7a");

        assertThat(vm.delete("/v1/instances/testdom/volumes/" + nvol).statusCode()).isEqualTo(204);
        assertThat(vm.probe("what=nvmectl")).doesNotContain(nqn);
        assertThat(vm.delete("/v1/volumes/" + nvol + "/exports/" + hostNqn).statusCode()).isEqualTo(204);
        assertThat(vm.delete("/v1/volumes/" + nvol).statusCode()).isEqualTo(204);
        assertThat(vm.probe("what=nvmet")).doesNotContain(nqn).doesNotContain(hostNqn);

        assertThat(vm.delete("/v1/instances/testdom/volumes/" + vol).statusCode()).isEqualTo(204);
        assertThat(vm.probe("what=sessions")).doesNotContain(iqn);
        assertThat(vm.probe("what=nodes")).doesNotContain(iqn);
        assertThat(vm.probe("what=domxml")).doesNotContain(vol);
        assertThat(vm.delete("/v1/volumes/" + vol + "/exports/" + initiator).statusCode()).isEqualTo(204);
        assertThat(vm.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
        assertThat(vm.probe("what=lio")).doesNotContain(vol);
        assertThat(vm.probe("what=lvs")).doesNotContain(vol);
    }
}
