package org.tether.testhost;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Multipath on the real kernel path: in the test-host VM one LIO target listens on two portals (127.0.0.1 and
 * 10.0.2.15), multipathd runs, and the agent reports {@code multipath: true} in its connector. An attach logs
 * in through both portals and gives the domain the dm-multipath map; I/O survives the loss of a leg; extend
 * resizes the map; detach flushes the map and logs out of every leg.
 */
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
@org.junit.jupiter.api.parallel.ResourceLock(TestHostVm.LOCK)
@org.junit.jupiter.api.Order(2)
class MultipathIT {
    private static TestHostVm vm;
    private static JsonNode connector;
    private static String initiator;

    @BeforeAll
    static void boot() throws Exception {
        // KernelPathsIT's VM when it ran before in this JVM (one boot less), else a VM of its own
        vm = TestHostVm.takeOrBoot("-multipath", "multipath");
        connector = vm.connector();
        initiator = connector.get("initiator").asText();
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (vm != null) {
            vm.close();
        }
    }

    private static String repeat(String hex, int n) {
        return (hex + " ").repeat(n).strip();
    }

    @Test
    void twoPortalsGiveTwoSessionsAndOneMapThatSurvivesMultipathdRestartAndALostLegAndResizesAndDetachFlushesIt() throws Exception {
        assertThat(connector.get("multipath").asBoolean()).isTrue();
        String vol = UUID.randomUUID().toString();
        HttpResponse<String> created = vm.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1, \"thin\": true}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        HttpResponse<String> exported = vm.put("/v1/volumes/" + vol + "/exports/" + initiator, connector.toString());
        assertThat(exported.statusCode()).as(exported.body()).isEqualTo(200);
        JsonNode info = vm.json(exported);
        String iqn = info.get("data").get("target_iqn").asText();
        assertThat(info.get("data").get("target_portals").toString())
                .contains("127.0.0.1:3260").contains("10.0.2.15:3260");

        HttpResponse<String> r = vm.put("/v1/instances/testdom/volumes/" + vol, "{\"connection_info\": " + info
                + ", \"bus\": \"scsi\", \"attach_path\": \"kernel\"}");
        if (r.statusCode() != 200) {
            throw new AssertionError(r.body() + "\n" + vm.probe("what=multipath") + vm.probe("what=multipathlog"));
        }
        JsonNode attachment = vm.json(r);
        String device = attachment.get("host_device").asText();
        assertThat(device).startsWith("/dev/mapper/");
        assertThat(attachment.get("paths")).hasSize(2);
        String sessions = vm.probe("what=sessions");
        assertThat(sessions).contains("127.0.0.1:3260,1 " + iqn).contains("10.0.2.15:3260,1 " + iqn);
        String maps = vm.probe("what=multipath");
        assertThat(maps).contains(device.substring("/dev/mapper/".length()));
        assertThat(maps.lines().filter(l -> l.contains("active ready")).count()).as(maps).isEqualTo(2);
        assertThat(vm.probe("what=domxml")).contains("<source dev='" + device + "'");

        vm.probe("what=write&vol=" + vol + "&pat=0x71&off=131072");
        assertThat(vm.probe("what=readlv&vol=" + vol + "&off=131072").strip()).startsWith(repeat("71", 64));

        // multipathd restarted under the map (an upgrade): the map stays, both paths active, I/O goes on
        assertThat(vm.probe("what=restartmultipathd")).contains("restarted");
        String after = vm.probe("what=multipath");
        assertThat(after).contains(device.substring("/dev/mapper/".length()));
        assertThat(after.lines().filter(l -> l.contains("active ready")).count()).as(after).isEqualTo(2);
        vm.probe("what=write&vol=" + vol + "&pat=0x70&off=196608");
        assertThat(vm.probe("what=readlv&vol=" + vol + "&off=196608").strip()).startsWith(repeat("70", 64));

        // one leg lost: the map keeps the other and I/O goes on
        assertThat(vm.probe("what=dropleg&vol=" + vol)).contains("exit=0");
        assertThat(vm.probe("what=sessions")).doesNotContain("10.0.2.15:3260,1 " + iqn).contains(iqn);
        vm.probe("what=write&vol=" + vol + "&pat=0x72&off=262144");
        assertThat(vm.probe("what=readlv&vol=" + vol + "&off=262144").strip()).startsWith(repeat("72", 64));

        // extend: the remaining path rescans, multipathd resizes the map, QEMU sees the new size
        HttpResponse<String> grown = vm.post("/v1/volumes/" + vol + "/extend", "{\"new_size_gb\": 2}");
        assertThat(grown.statusCode()).as(grown.body()).isEqualTo(200);
        HttpResponse<String> ext = vm.post("/v1/instances/testdom/volumes/" + vol + "/extend",
                "{\"new_size\": " + (2L << 30) + "}");
        assertThat(ext.statusCode()).as(ext.body()).isEqualTo(200);
        assertThat(vm.json(ext).get("size_bytes").asLong()).isEqualTo(2L << 30);

        assertThat(vm.delete("/v1/instances/testdom/volumes/" + vol).statusCode()).isEqualTo(204);
        assertThat(vm.probe("what=domxml")).doesNotContain(vol);
        assertThat(vm.probe("what=multipath")).doesNotContain(device.substring("/dev/mapper/".length()));
        assertThat(vm.probe("what=sessions")).doesNotContain(iqn);
        assertThat(vm.probe("what=nodes")).doesNotContain(iqn);
        assertThat(vm.delete("/v1/volumes/" + vol + "/exports/" + initiator).statusCode()).isEqualTo(204);
        assertThat(vm.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
        assertThat(vm.probe("what=lvs")).doesNotContain(vol);
    }
}
