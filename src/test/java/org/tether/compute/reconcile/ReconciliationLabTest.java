package org.tether.compute.reconcile;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * Reconciliation against real libvirt: what is changed behind the agent's back is reported per
 * attachment and counted, what the agent does not own is reported and left alone.
 */
@QuarkusTest
class ReconciliationLabTest {
    private Path dir;
    private TestDomain dom;
    private TgtTarget tgt;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-reconcile");
        dom = TestDomain.create(TestDomain.Kind.RUNNING);
        tgt = TgtTarget.create(dir, true);
    }

    @AfterEach
    void tearDown() throws Exception {
        given().delete("/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId);
        dom.close();
        tgt.close();
        Files.deleteIfExists(dir);
    }

    private String url() {
        return "/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId;
    }

    private String key() {
        return tgt.volumeId + "@" + dom.name;
    }

    @Test
    void changesBehindTheAgentsBackAreReportedCountedAndNothingForeignIsRemoved() throws Exception {
        given().contentType(ContentType.JSON).body("{\"connection_info\": " + tgt.connectionInfo()
                + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}").put(url()).then().statusCode(200);
        given().post("/v1/reconciliation").then().statusCode(200)
                .body("drift", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey(key())));

        // someone removes the disk and the CHAP secret with virsh
        String disk = Host.virsh("dumpxml", dom.name).replaceAll("(?s).*(<disk type='network'.*?</disk>).*", "$1");
        Path diskFile = Files.writeString(dir.resolve("disk.xml"), disk);
        Host.virsh("detach-device", dom.name, diskFile.toString(), "--live", "--config");
        String secret = Host.run("virsh", "-c", "qemu:///system", "secret-list").lines()
                .filter(l -> l.contains(tgt.volumeId.toString())).map(l -> l.strip().split("\\s+")[0])
                .findFirst().orElseThrow();
        Host.virsh("secret-undefine", secret);

        // and plugs in a disk with a volume alias that Tether never attached
        UUID foreign = UUID.randomUUID();
        Path img = dir.resolve("foreign.img");
        Host.run("truncate", "-s", "1M", img.toString());
        Path foreignXml = Files.writeString(dir.resolve("foreign.xml"), "<disk type='file' device='disk'>"
                + "<driver name='qemu' type='raw'/><source file='" + img + "'/><target dev='sdz' bus='scsi'/>"
                + "<alias name='ua-" + foreign + "'/></disk>");
        Host.virsh("attach-device", dom.name, foreignXml.toString(), "--live");

        given().post("/v1/reconciliation").then().statusCode(200)
                .body("drift.'" + key() + "'.kind", hasItem("disk_missing"))
                .body("drift.'" + key() + "'.kind", hasItem("secret_missing"))
                .body("unowned_disks", hasItem(dom.name + " sdz volume " + foreign));
        given().get("/v1/reconciliation").then().statusCode(200)
                .body("unowned_disks", hasItem(dom.name + " sdz volume " + foreign));
        given().get("/v1/attachments").then()
                .body("find { it.volume_id == '" + tgt.volumeId + "' }.drift.kind", hasItem("disk_missing"));
        String metrics = given().get("/q/metrics").asString();
        assertThat(metrics.lines().filter(l -> l.startsWith("tether_drift ")).findFirst().orElseThrow())
                .matches("tether_drift [1-9][0-9]*\\.0");
        given().get("/q/health/ready").then().body("checks.find { it.name == 'reconciliation' }.status",
                equalTo("UP"));

        // reported, not removed
        assertThat(Host.virsh("dumpxml", dom.name)).contains("ua-" + foreign);
        // the attachment the disk was taken from can still be detached cleanly
        given().delete(url()).then().statusCode(204);
        given().post("/v1/reconciliation").then().statusCode(200)
                .body("drift", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey(key())));
        Host.virsh("detach-device", dom.name, foreignXml.toString(), "--live");
        Files.deleteIfExists(foreignXml);
        Files.deleteIfExists(diskFile);
        Files.deleteIfExists(img);
    }
}
