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
 * A reboot of the test host on the same PV and state disk: the agent restores its LIO export from its own
 * state, reconciliation logs the attachment's session in again from the kept node record, the domain starts
 * on it with the data written before, and the volume detaches cleanly afterwards.
 */
class RebootIT {
    private final Path pv = Path.of("target/testhost/reboot-pv.img").toAbsolutePath();
    private final Path state = Path.of("target/testhost/reboot-state.img").toAbsolutePath();
    private TestHostVm vm;

    @AfterEach
    void shutdown() throws Exception {
        if (vm != null) {
            vm.close();
        }
        Files.deleteIfExists(pv);
        Files.deleteIfExists(state);
    }

    private static void truncate(Path p, long bytes) throws Exception {
        Files.createDirectories(p.getParent());
        Files.deleteIfExists(p);
        try (var f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
    }

    @Test
    void afterARebootExportsAreRestoredSessionsReloggedAndTheVolumeDetachesCleanly() throws Exception {
        truncate(pv, 8L << 30);
        truncate(state, 256L << 20);
        vm = TestHostVm.boot("-reboot-a", List.of(pv, state));
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

        vm.close();
        vm = TestHostVm.boot("-reboot-b", List.of(pv, state));

        assertThat(vm.probe("what=lio")).as("export restored from the agent's state")
                .contains(iqn + "/tpgt_1/acls/" + initiator);
        assertThat(vm.probe("what=sessions")).as("session logged in again").contains(iqn);
        JsonNode attachment = vm.json(vm.get("/v1/attachments")).get(0);
        assertThat(attachment.get("volume_id").asText()).isEqualTo(vol);
        assertThat(attachment.get("state").asText()).isEqualTo("attached");
        assertThat(attachment.get("drift").toString()).contains("session_relogged").doesNotContain("\"repaired\":false");
        assertThat(vm.probe("what=bypath")).contains("ip-127.0.0.1:3260-iscsi-" + iqn + "-lun-0 -> ../../sd");

        assertThat(vm.probe("what=startdom")).contains("started");
        assertThat(vm.probe("what=readlv&vol=" + vol + "&off=65536").strip()).startsWith("77 77 77 77");
        vm.probe("what=write&vol=" + vol + "&pat=0x78&off=131072");
        assertThat(vm.probe("what=readlv&vol=" + vol + "&off=131072").strip()).startsWith("78 78 78 78");

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
