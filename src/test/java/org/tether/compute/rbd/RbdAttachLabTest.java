package org.tether.compute.rbd;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tether.lab.BootSector;
import org.tether.lab.CephCluster;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RBD volumes end to end against a real single-node Ceph (started once for the class), libvirtd and QEMU's
 * own librbd: the bytes written in the guest's disk are read back from Ceph with {@code rbd export}.
 */
@QuarkusTest
class RbdAttachLabTest {
    private static final int MON_PORT = 6791;
    private static CephCluster ceph;

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeAll
    static void startCeph() throws Exception {
        ceph = CephCluster.start(MON_PORT);
    }

    @AfterAll
    static void stopCeph() throws Exception {
        if (ceph != null) {
            ceph.close();
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T t) {
        cleanup.add(t);
        return t;
    }

    private static String url(TestDomain d, UUID volume) {
        return "/v1/instances/" + d.name + "/volumes/" + volume;
    }

    private static Response attach(TestDomain d, UUID volume, String connectionInfo) {
        return given().contentType(ContentType.JSON)
                .body("{\"connection_info\": " + connectionInfo + ", \"bus\": \"scsi\"}").put(url(d, volume));
    }

    private static String keyringJson() throws Exception {
        return "\"keyring\": " + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(ceph.keyringText());
    }

    private static List<String> tetherCephSecrets() {
        return Host.secretUsages().stream().filter(u -> u.contains("tether-ceph/")).toList();
    }

    @Test
    void aKeyringSentAlongAttachesThroughQemuWithQosAndDetachLeavesNoSecret() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        UUID vol = ceph.createVolume(64);
        List<String> before = tetherCephSecrets();

        Response r = attach(dom, vol, ceph.connectionInfo(vol, keyringJson(), "{\"total_iops_sec\": \"300\"}"));
        r.then().statusCode(200);
        assertThat(r.path("attach_path").toString()).as("RBD goes through QEMU without being asked").isEqualTo("qemu");
        assertThat(r.asString()).doesNotContain(ceph.key());
        String dev = r.path("device");
        String live = dom.liveXml();
        assertThat(live).contains("protocol='rbd' name='volumes/volume-" + vol + "'")
                .contains("<host name='127.0.0.1' port='" + MON_PORT + "'/>")
                .contains("<secret type='ceph' uuid=").doesNotContain(ceph.key());
        assertThat(tetherCephSecrets()).hasSize(before.size() + 1);
        assertThat(Host.virsh("blkdeviotune", dom.name, dev)).containsPattern("total_iops_sec\\s*: 300");

        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x7e 1048576 65536\"");
        assertThat(ceph.read("volume-" + vol, 1048576, 65536)).containsOnly((byte) 0x7e);

        // live QoS change on the RBD disk
        given().contentType(ContentType.JSON).body("{\"qos_specs\": {\"total_iops_sec\": \"700\"}}")
                .put(url(dom, vol) + "/qos").then().statusCode(200);
        assertThat(Host.virsh("blkdeviotune", dom.name, dev)).containsPattern("total_iops_sec\\s*: 700");

        given().delete(url(dom, vol)).then().statusCode(204);
        assertThat(dom.liveXml()).doesNotContain(vol.toString());
        assertThat(tetherCephSecrets()).isEqualTo(before);
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(vol.toString());
    }

    @Test
    void theHostsOwnSecretIsUsedByUuidExtendIsSeenAndTheSecretStaysAtDetach() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        UUID vol = ceph.createVolume(64);
        UUID secret = UUID.randomUUID();
        keep(defineSecret(secret, ceph.key()));

        Response r = attach(dom, vol, ceph.connectionInfo(vol, "\"secret_uuid\": \"" + secret + "\"", null));
        r.then().statusCode(200);
        assertThat(dom.liveXml()).contains("<secret type='ceph' uuid='" + secret + "'/>");
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x42 0 4096\"");
        assertThat(ceph.read("volume-" + vol, 0, 4096)).containsOnly((byte) 0x42);

        ceph.rbd("resize", "--size", "128", "volumes/volume-" + vol);
        given().contentType(ContentType.JSON).body("{\"new_size\": " + (128L << 20) + "}")
                .post(url(dom, vol) + "/extend").then().statusCode(200);
        assertThat(Host.virsh("domblkinfo", dom.name, r.path("device").toString()))
                .containsPattern("Capacity:\\s+" + (128L << 20));

        given().delete(url(dom, vol)).then().statusCode(204);
        assertThat(Host.virsh("secret-list")).as("a shared secret stays for the others").contains(secret.toString());
    }

    @Test
    void aWrongKeyFailsCleanlyAndLeavesNothingBehind() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        UUID vol = ceph.createVolume(64);
        List<String> before = tetherCephSecrets();
        String otherKey = Host.run("ceph-authtool", "--gen-print-key").strip();
        String keyring = "\"keyring\": \"[client.cinder]\\n\\tkey = " + otherKey + "\\n\"";

        Response r = attach(dom, vol, ceph.connectionInfo(vol, keyring, null));
        assertThat(r.statusCode()).as(r.asString()).isBetween(400, 599);
        assertThat(r.asString()).doesNotContain(otherKey);
        assertThat(dom.liveXml()).doesNotContain(vol.toString());
        assertThat(tetherCephSecrets()).isEqualTo(before);
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(vol.toString());
    }

    @Test
    void noKeyAnywhereIsAClearConflictBeforeAnythingIsTouched() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        UUID vol = ceph.createVolume(64);
        UUID nowhere = UUID.randomUUID();
        Response r = attach(dom, vol, ceph.connectionInfo(vol, "\"secret_uuid\": \"" + nowhere + "\"", null));
        r.then().statusCode(409);
        assertThat(r.asString()).contains("\"code\":\"ceph_secret_missing\"").contains(nowhere.toString());
        assertThat(dom.liveXml()).doesNotContain(vol.toString());
    }

    @Test
    void theMonitorGoingAwayAndComingBackDoesNotLoseTheDisk() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        UUID vol = ceph.createVolume(64);
        attach(dom, vol, ceph.connectionInfo(vol, keyringJson(), null)).then().statusCode(200);
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x11 0 4096\"");

        ceph.stopMonitor();
        try {
            // the OSD still serves the client that holds the maps: a write now lands
            dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x22 65536 4096\"");
        } finally {
            ceph.startMonitor();
        }
        dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x33 131072 4096\"");
        assertThat(ceph.read("volume-" + vol, 0, 4096)).containsOnly((byte) 0x11);
        assertThat(ceph.read("volume-" + vol, 65536, 4096)).containsOnly((byte) 0x22);
        assertThat(ceph.read("volume-" + vol, 131072, 4096)).containsOnly((byte) 0x33);
        given().delete(url(dom, vol)).then().statusCode(204);
    }

    @Test
    void aDomainBootsFromAnRbdVolumeAndDeletingItLeavesNoSecret() throws Exception {
        String line = "TETHER-RBD-BOOT-" + UUID.randomUUID().toString().substring(0, 8);
        UUID vol = UUID.randomUUID();
        Path image = Files.createTempFile("boot", ".img");
        try {
            Files.write(image, BootSector.printing(line));
            try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
                f.setLength(64L << 20);
            }
            ceph.rbd("import", "--no-progress", "--image-format", "2", "--image-feature", "layering",
                    image.toString(), "volumes/volume-" + vol);
        } finally {
            Files.deleteIfExists(image);
        }
        String name = "tether-bfv-" + UUID.randomUUID().toString().substring(0, 8);
        Response r = given().contentType(ContentType.JSON).body("{\"name\": \"" + name + "\", \"vcpus\": 1, "
                + "\"memory_mb\": 64, \"boot_volume\": {\"volume_id\": \"" + vol + "\", \"connection_info\": "
                + ceph.connectionInfo(vol, keyringJson(), null) + "}}").post("/v1/instances");
        try {
            r.then().statusCode(201);
            assertThat(r.asString()).doesNotContain(ceph.key());
            assertThat(Host.virsh("dumpxml", name)).contains("protocol='rbd' name='volumes/volume-" + vol + "'")
                    .contains("<boot order='1'/>");
            BootSector.awaitConsole(Path.of(r.path("console_log").toString()), line);
        } finally {
            given().delete("/v1/instances/" + name).then().statusCode(204);
        }
        assertThat(Host.exec("virsh", "-c", "qemu:///system", "dominfo", name).exit()).isNotZero();
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(vol.toString()));
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(vol.toString());
    }

    /** A ceph secret made the way an operator makes Nova's rbd_secret_uuid. */
    private static AutoCloseable defineSecret(UUID uuid, String key) throws Exception {
        Path xml = Files.createTempFile("secret", ".xml");
        Files.writeString(xml, "<secret ephemeral='no' private='yes'><uuid>" + uuid + "</uuid><usage type='ceph'>"
                + "<name>client.cinder secret " + uuid + "</name></usage></secret>");
        Host.virsh("secret-define", xml.toString());
        Files.delete(xml);
        Host.virsh("secret-set-value", uuid.toString(), "--base64", key);
        return () -> Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", uuid.toString());
    }
}
