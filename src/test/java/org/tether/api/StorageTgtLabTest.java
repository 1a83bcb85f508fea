package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * Storage mode on the file backend and real tgtd, consumed by the compute API's qemu path: the all-in-one
 * flow a controller would drive, with QEMU logging in to the export with the returned CHAP credentials.
 */
@QuarkusTest
class StorageTgtLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @jakarta.inject.Inject
    org.tether.storage.target.ExportService exportService;
    private static final Path FILES = Path.of("target/test-files").toAbsolutePath();
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<String> volumes = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        String initiator = TgtTarget.hostInitiator();
        for (String v : volumes) {
            given().delete("/v1/volumes/" + v + "/exports/" + initiator);
            JsonNode vol = JSON.readTree(given().get("/v1/volumes/" + v).asString());
            vol.path("snapshots").forEach(s -> given().delete("/v1/snapshots/" + s.get("id").asText()));
            given().delete("/v1/volumes/" + v);
        }
    }

    private String createVolume(int gb, String extra) {
        String id = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + id + "\", \"size_gb\": " + gb + extra + "}")
                .post("/v1/volumes").then().statusCode(201).body("state", equalTo("available"));
        volumes.add(id);
        return id;
    }

    private static JsonNode export(String volume) throws Exception {
        String connector = given().get("/v1/connector").asString();
        Response r = given().contentType(ContentType.JSON).body(connector)
                .put("/v1/volumes/" + volume + "/exports/" + TgtTarget.hostInitiator());
        r.then().statusCode(200);
        return JSON.readTree(r.asString());
    }

    private static Response attach(TestDomain dom, String volume, JsonNode connectionInfo) {
        return given().contentType(ContentType.JSON)
                .body("{\"connection_info\": " + connectionInfo + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}")
                .put("/v1/instances/" + dom.name + "/volumes/" + volume);
    }

    private static boolean targetExists(String iqn) {
        return Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target").contains(iqn);
    }

    private static byte[] read(String volume, long offset, int n) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(FILES.resolve("volume-" + volume).toFile(), "r")) {
            byte[] b = new byte[n];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }

    private static void write(String volumeOrSnapshotFile, long offset, byte value, int n) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(FILES.resolve(volumeOrSnapshotFile).toFile(), "rw")) {
            f.seek(offset);
            byte[] b = new byte[n];
            java.util.Arrays.fill(b, value);
            f.write(b);
        }
    }

    @Test
    void exportAnswersCinderConnectionInfoThatQemuLogsInWithAndUnexportEndsAccess() throws Exception {
        TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
        cleanup.add(dom);
        String vol = createVolume(1, ", \"qos_specs\": {\"total_iops_sec\": \"300\"}");

        JsonNode info = export(vol);
        JsonNode data = info.get("data");
        assertThat(info.get("driver_volume_type").asText()).isEqualTo("iscsi");
        assertThat(data.get("target_iqn").asText()).isEqualTo("iqn.2010-10.org.openstack:volume-" + vol);
        assertThat(data.get("target_portal").asText()).isEqualTo("127.0.0.1:3260");
        assertThat(data.get("target_lun").asInt()).isEqualTo(1);
        assertThat(data.get("auth_method").asText()).isEqualTo("CHAP");
        assertThat(data.get("auth_username").asText()).hasSize(20);
        assertThat(data.get("auth_password").asText()).hasSize(16);
        assertThat(data.get("volume_id").asText()).isEqualTo(vol);
        assertThat(data.get("qos_specs").get("total_iops_sec").asText()).isEqualTo("300");
        assertThat(export(vol)).isEqualTo(info);
        assertThat(given().get("/v1/volumes/" + vol).asString()).doesNotContain(data.get("auth_password").asText());

        attach(dom, vol, info).then().statusCode(200);
        assertThat(Host.virsh("blkdeviotune", dom.name, "sda")).containsPattern("total_iops_sec\\s*: 300");
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x3c 65536 8192\"");
        assertThat(read(vol, 65536, 8192)).containsOnly((byte) 0x3c);

        given().delete("/v1/volumes/" + vol).then().statusCode(409).body("code", equalTo("volume_busy"));
        given().delete("/v1/instances/" + dom.name + "/volumes/" + vol).then().statusCode(204);
        given().delete("/v1/volumes/" + vol + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(204);
        assertThat(targetExists(data.get("target_iqn").asText())).isFalse();
        // the target is gone: QEMU cannot tell that from a target not there yet (a restart), so it is the
        // retryable 503 of a target that is away, and nothing is plugged
        attach(dom, vol, info).then().statusCode(503).body("code", equalTo("target_unavailable"));
        assertThat(dom.liveXml()).doesNotContain(vol);

        given().delete("/v1/volumes/" + vol).then().statusCode(204);
        assertThat(FILES.resolve("volume-" + vol)).doesNotExist();
        given().get("/v1/volumes/" + vol).then().statusCode(404).body("code", equalTo("volume_not_found"));
    }

    @Test
    void theTargetRefusesAWrongPassword() throws Exception {
        TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
        cleanup.add(dom);
        String vol = createVolume(1, "");
        ObjectNode info = (ObjectNode) export(vol);
        ((ObjectNode) info.get("data")).put("auth_password", "not-the-password");
        attach(dom, vol, info).then().statusCode(502).body("detail",
                org.hamcrest.Matchers.containsString("rolled back"));
        assertThat(dom.liveXml()).doesNotContain(vol);
    }

    @Test
    void snapshotAndCloneKeepDataFromBeforeTheSnapshotOnly() throws Exception {
        String vol = createVolume(1, "");
        write("volume-" + vol, 0, (byte) 0x11, 4096);
        String snap = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + snap + "\"}")
                .post("/v1/volumes/" + vol + "/snapshots").then().statusCode(201).body("id", equalTo(snap));
        write("volume-" + vol, 0, (byte) 0x22, 4096);

        String clone = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON)
                .body("{\"id\": \"" + clone + "\", \"size_gb\": 2, \"source\": {\"snapshot_id\": \"" + snap + "\"}}")
                .post("/v1/volumes").then().statusCode(201).body("source.type", equalTo("snapshot"));
        volumes.add(clone);
        assertThat(read(clone, 0, 4096)).containsOnly((byte) 0x11);
        assertThat(Files.size(FILES.resolve("volume-" + clone))).isEqualTo(2L << 30);

        given().delete("/v1/volumes/" + vol).then().statusCode(409).body("detail",
                org.hamcrest.Matchers.containsString("snapshot"));
        given().contentType(ContentType.JSON).body("{\"snapshot_id\": \"" + snap + "\"}")
                .post("/v1/volumes/" + vol + "/revert").then().statusCode(200);
        assertThat(read(vol, 0, 4096)).containsOnly((byte) 0x11);

        String copy = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON)
                .body("{\"id\": \"" + copy + "\", \"size_gb\": 1, \"source\": {\"volume_id\": \"" + vol + "\"}}")
                .post("/v1/volumes").then().statusCode(201);
        volumes.add(copy);
        assertThat(read(copy, 0, 4096)).containsOnly((byte) 0x11);
        // the copy is sparse: only the written block is allocated
        long blocks = Long.parseLong(Host.run("stat", "-c", "%b", FILES.resolve("volume-" + copy).toString()).strip());
        assertThat(blocks * 512).isLessThan(1L << 20);
    }

    @Test
    void extendOfAnAttachedVolumeReachesTheRunningGuestThroughTgt() throws Exception {
        TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
        cleanup.add(dom);
        String vol = createVolume(1, "");
        JsonNode info = export(vol);
        attach(dom, vol, info).then().statusCode(200);
        String url = "/v1/instances/" + dom.name + "/volumes/" + vol;

        given().contentType(ContentType.JSON).body("{\"new_size_gb\": 2}").post("/v1/volumes/" + vol + "/extend")
                .then().statusCode(200).body("size_gb", equalTo(2));
        assertThat(Files.size(FILES.resolve("volume-" + vol))).isEqualTo(2L << 30);
        given().contentType(ContentType.JSON).body("{}").post(url + "/extend")
                .then().statusCode(400).body("code", equalTo("missing_field")).body("field", equalTo("new_size"));
        given().contentType(ContentType.JSON).body("{\"new_size\": " + (2L << 30) + "}").post(url + "/extend")
                .then().statusCode(200).body("size_bytes", equalTo(2L << 30))
                .body("previous_size_bytes", equalTo(1 << 30)); // JSON numbers within int come back as Integer
        assertThat(Host.virsh("domblkinfo", dom.name, "sda")).containsPattern("Capacity:\\s+" + (2L << 30));

        // the same session carries data past the old end
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x7e " + ((1L << 30) + 4096) + " 4096\"");
        assertThat(read(vol, (1L << 30) + 4096, 4096)).containsOnly((byte) 0x7e);

        given().contentType(ContentType.JSON).body("{\"new_size_gb\": 1}").post("/v1/volumes/" + vol + "/extend")
                .then().statusCode(400).body("field", equalTo("new_size_gb"));
        given().contentType(ContentType.JSON).body("{\"new_size\": " + (1L << 30) + "}").post(url + "/extend")
                .then().statusCode(409).body("code", equalTo("attachment_conflict"));
        given().delete(url).then().statusCode(204);
    }

    @Test
    void repeatCreateIsIdempotentAndADifferentOneConflicts() {
        String vol = createVolume(2, "");
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 2}")
                .post("/v1/volumes").then().statusCode(201);
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 3}")
                .post("/v1/volumes").then().statusCode(409).body("code", equalTo("volume_conflict"));
    }

    @Test
    void poolReportsCapacityAndAnOversizedCreateIsRefusedWithNothingCreated() {
        given().get("/v1/pool").then().statusCode(200).body("backend", equalTo("file"))
                .body("max_over_subscription_ratio", equalTo(20.0f));
        String id = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + id + "\", \"size_gb\": 16384}")
                .post("/v1/volumes").then().statusCode(507).body("code", equalTo("insufficient_capacity"));
        given().get("/v1/volumes/" + id).then().statusCode(404);
        assertThat(FILES.resolve("volume-" + id)).doesNotExist();
    }

    @Test
    void restoreAtStartPutsBackExportsTheTargetLostAndTouchesNoOtherTarget() throws Exception {
        String vol = createVolume(1, "");
        JsonNode info = export(vol);
        String iqn = info.get("data").get("target_iqn").asText();
        String shown = Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target");
        String tid = shown.lines().filter(l -> l.endsWith(": " + iqn)).findFirst().orElseThrow()
                .replaceAll("Target (\\d+):.*", "$1");
        // as after a tgtd restart: the target is gone, the agent's state still has the export
        Host.run("tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", tid, "--force");
        try (TgtTarget foreign = TgtTarget.create(Files.createTempDirectory("foreign"), false)) {
            assertThat(exportService.restore()).isGreaterThanOrEqualTo(1);
            assertThat(targetExists(iqn)).isTrue();
            assertThat(targetExists(foreign.iqn)).isTrue();
            assertThat(export(vol)).isEqualTo(info);
            TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
            cleanup.add(dom);
            attach(dom, vol, info).then().statusCode(200);
            given().delete("/v1/instances/" + dom.name + "/volumes/" + vol).then().statusCode(204);
        }
    }

    /** A run that died between creating the tgt target and its LUN (kill -9, found by the soak): the next export completes it. */
    @Test
    void anExportFinishesATargetAnEarlierRunLeftWithoutItsLun() throws Exception {
        String vol = createVolume(1, "");
        String iqn = "iqn.2010-10.org.openstack:volume-" + vol;
        String tid = Integer.toString(3900 + (int) (System.nanoTime() % 90));
        Host.run("tgtadm", "--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", tid, "-T", iqn);
        JsonNode info = export(vol);
        assertThat(info.get("data").get("target_iqn").asText()).isEqualTo(iqn);
        String shown = Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target");
        assertThat(shown.substring(shown.indexOf("Target " + tid + ": " + iqn)))
                .contains("Backing store path: " + FILES.resolve("volume-" + vol));
        given().delete("/v1/volumes/" + vol + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(204);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
        assertThat(targetExists(iqn)).isFalse();
    }

    /** tgtadm's listing of one target, from its header to the next target's. */
    private static String section(String iqn) {
        String shown = Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target");
        int at = shown.indexOf(": " + iqn + "\n");
        if (at < 0) {
            return "";
        }
        int next = shown.indexOf("\nTarget ", at);
        return shown.substring(at, next < 0 ? shown.length() : next);
    }

    private static String tid(String iqn) {
        return Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target").lines()
                .filter(l -> l.endsWith(": " + iqn)).findFirst().orElseThrow().replaceAll("Target (\\d+):.*", "$1");
    }

    /**
     * An ACL no export records (as a saveconfig.json of an earlier Tether, restored by target.service, leaves it)
     * still lets its initiator in with the volume's CHAP: the next pass takes it away, and the whole target of a
     * volume Tether has but no longer exports; the recorded export stays, and a target of the same naming for a
     * volume Tether does not have (Cinder's helpers name theirs so) is never touched, ACL and all.
     */
    @Test
    void whatATargetAdmitsBeyondTheRecordsGoesAtTheNextPassAndOthersTargetsStay() throws Exception {
        String vol = createVolume(1, "");
        String iqn = export(vol).get("data").get("target_iqn").asText();
        String stale = "iqn.1994-05.com.example:stale-" + UUID.randomUUID().toString().substring(0, 8);
        Host.run("tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", tid(iqn), "--initiator-name",
                stale);
        // a volume of Tether's that is not exported, whose target came back with an ACL
        String unexported = createVolume(1, "");
        String left = "iqn.2010-10.org.openstack:volume-" + unexported;
        String leftTid = Integer.toString(3800 + (int) (System.nanoTime() % 90));
        Host.run("tgtadm", "--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", leftTid, "-T", left);
        Host.run("tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", leftTid, "--initiator-name",
                stale);
        try (TgtTarget foreign = TgtTarget.create(Files.createTempDirectory("foreign"), false)) {
            Host.run("tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", tid(foreign.iqn),
                    "--initiator-name", stale);
            assertThat(section(iqn)).contains(stale);
            exportService.restore();
            assertThat(section(iqn)).as("the recorded export stays, the stray ACL goes")
                    .contains(TgtTarget.hostInitiator()).doesNotContain(stale);
            assertThat(targetExists(left)).as("the target of a volume of Tether's with no export").isFalse();
            assertThat(section(foreign.iqn)).as("a target of a volume Tether does not have, ACL and all")
                    .contains(stale);
        } finally {
            Host.exec("tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", leftTid, "--force");
        }
    }
}
