package org.tether.api;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * The qemu attach path end to end against the real programs: libvirtd + QEMU (TCG) and tgtd on 127.0.0.1,
 * through the agent's REST API. The README's test command starts the daemons.
 */
@QuarkusTest
class AttachQemuPathLabTest {
    @jakarta.inject.Inject
    org.tether.compute.libvirt.DeviceRemovals removals;

    @jakarta.inject.Inject
    org.tether.compute.stats.DiskIoMetrics diskIo;

    private Path dir;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-lab");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        Files.deleteIfExists(dir);
    }

    private <T extends AutoCloseable> T keep(T t) {
        cleanup.add(t);
        return t;
    }

    private static String url(TestDomain d, TgtTarget t) {
        return "/v1/instances/" + d.name + "/volumes/" + t.volumeId;
    }

    private static Response attach(TestDomain d, TgtTarget t, String connectionInfo, String extra) {
        return given().contentType(ContentType.JSON)
                .body("{\"connection_info\": " + connectionInfo + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"" + extra + "}")
                .put(url(d, t));
    }

    private static void detach(TestDomain d, TgtTarget t) {
        given().delete(url(d, t)).then().statusCode(204);
    }

    @Test
    void attachedDiskIsLiveWithQosAndBytesReachTheTargetThenDetachLeavesNothing() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        String qos = "{\"total_iops_sec\": \"500\", \"total_iops_sec_max\": \"1000\", \"read_bytes_sec\": \"2097152\","
                + " \"consumer\": \"front-end\"}";

        Response r = attach(dom, tgt, tgt.connectionInfo(tgt.password, qos), ", \"device\": \"sdc\"");
        r.then().statusCode(200)
                .body("volume_id", equalTo(tgt.volumeId.toString()))
                .body("domain", equalTo(dom.name))
                .body("device", equalTo("sdc"))
                .body("attach_path", equalTo("qemu"))
                .body("state", equalTo("attached"))
                .body("ignored_qos_keys", equalTo(List.of("consumer")));
        assertThat(r.asString()).doesNotContain(tgt.password);

        String live = dom.liveXml();
        assertThat(live).contains("<alias name='ua-" + tgt.volumeId + "'/>")
                .contains("<serial>" + tgt.volumeId + "</serial>")
                .contains("protocol='iscsi' name='" + tgt.iqn + "/1'")
                .doesNotContain(tgt.password);
        assertThat(dom.persistentXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        String tune = Host.virsh("blkdeviotune", dom.name, "sdc");
        assertThat(tune).containsPattern("total_iops_sec\\s*: 500").containsPattern("total_iops_sec_max\\s*: 1000")
                .containsPattern("read_bytes_sec\\s*: 2097152");

        dom.hmp("qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x5a 1048576 4096\"");
        assertThat(tgt.read(1048576, 4096)).containsOnly((byte) 0x5a);

        long eventsBefore = removals.eventsReceived();
        detach(dom, tgt);
        assertThat(dom.liveXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(dom.persistentXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
        assertThat(removals.eventsReceived()).as("libvirt's device-removed event reached the agent")
                .isGreaterThan(eventsBefore);
        given().get("/v1/attachments").then().statusCode(200);
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(tgt.volumeId.toString());
    }

    @Test
    void repeatingTheSameAttachChangesNothingAndADifferentOneConflicts() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        Response first = attach(dom, tgt, tgt.connectionInfo(), "");
        first.then().statusCode(200);
        Response again = attach(dom, tgt, tgt.connectionInfo(), "");
        again.then().statusCode(200)
                .body("device", equalTo(first.path("device")))
                .body("created_at", equalTo(first.path("created_at")));
        assertThat(dom.liveXml().split("<serial>" + tgt.volumeId, -1)).hasSize(2);

        attach(dom, tgt, tgt.connectionInfo(), ", \"device\": \"sdq\"").then().statusCode(409)
                .contentType("application/problem+json").body("code", equalTo("attachment_conflict"));
        detach(dom, tgt);
    }

    @Test
    void wrongChapPasswordFailsAndLeavesNoDiskSecretOrRecord() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        Response r = attach(dom, tgt, tgt.connectionInfo("wrong-password1", null), "");
        r.then().statusCode(502).contentType("application/problem+json").body("code", equalTo("hypervisor_error"));
        assertThat(r.asString()).doesNotContain("wrong-password1").contains("rolled back");
        assertThat(dom.liveXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(dom.persistentXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
        assertThat(given().get("/v1/attachments").asString()).doesNotContain(tgt.volumeId.toString());
    }

    @Test
    void twentyParallelAttachesOfDifferentVolumesAllSucceed() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        List<TgtTarget> targets = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            targets.add(keep(TgtTarget.create(dir, i % 2 == 0)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<Response>> attaches = new ArrayList<>();
            for (TgtTarget t : targets) {
                attaches.add(pool.submit(() -> attach(dom, t, t.connectionInfo(), "")));
            }
            List<String> devices = new ArrayList<>();
            for (Future<Response> f : attaches) {
                Response r = f.get();
                assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
                devices.add(r.path("device"));
            }
            assertThat(devices).doesNotHaveDuplicates().hasSize(20);
            String live = dom.liveXml();
            targets.forEach(t -> assertThat(live).contains("<serial>" + t.volumeId + "</serial>"));

            List<Future<Integer>> detaches = new ArrayList<>();
            for (TgtTarget t : targets) {
                detaches.add(pool.submit(() -> given().delete(url(dom, t)).statusCode()));
            }
            for (Future<Integer> f : detaches) {
                assertThat(f.get()).isEqualTo(204);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(dom.liveXml()).doesNotContain("<serial>");
        targets.forEach(t -> assertThat(Host.secretUsages()).noneMatch(u -> u.contains(t.volumeId.toString())));
    }

    @Test
    void shutOffDomainGetsTheDiskInItsConfigOnly() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.SHUT_OFF));
        TgtTarget tgt = keep(TgtTarget.create(dir, false));
        attach(dom, tgt, tgt.connectionInfo(), "").then().statusCode(200);
        assertThat(dom.persistentXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        detach(dom, tgt);
        assertThat(dom.persistentXml()).doesNotContain(tgt.volumeId.toString());
    }

    @Test
    void transientDomainGetsTheDiskLiveOnly() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.TRANSIENT));
        TgtTarget tgt = keep(TgtTarget.create(dir, false));
        attach(dom, tgt, tgt.connectionInfo(), "").then().statusCode(200);
        assertThat(dom.liveXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        detach(dom, tgt);
        assertThat(dom.liveXml()).doesNotContain(tgt.volumeId.toString());
    }

    @Test
    void virtioDiskThatTheGuestNeverReleasesTimesOutAndStaysConsistent() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        given().contentType(ContentType.JSON)
                .body("{\"connection_info\": " + tgt.connectionInfo() + ", \"bus\": \"virtio\", \"attach_path\": \"qemu\"}")
                .put(url(dom, tgt)).then().statusCode(200).body("device", equalTo("vda"));

        // no guest OS acknowledges the ACPI unplug: the detach must give up, not tear the disk's backend down
        given().delete(url(dom, tgt)).then().statusCode(504).body("code", equalTo("detach_timeout"));
        assertThat(dom.liveXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        assertThat(dom.persistentXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        assertThat(Host.secretUsages()).anyMatch(u -> u.contains(tgt.volumeId.toString()));
        given().get("/v1/attachments").then().body("find { it.volume_id == '" + tgt.volumeId + "' }.state",
                equalTo("attached"));

        // once the domain is off, the detach completes from the config alone
        Host.virsh("destroy", dom.name);
        detach(dom, tgt);
        assertThat(dom.persistentXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
    }

    @Test
    void qosChangesLiveAndPersistentWithoutDetachingAsQemuReportsIt() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        attach(dom, tgt, tgt.connectionInfo(tgt.password, "{\"total_iops_sec\": \"500\"}"), "")
                .then().statusCode(200);
        String alias = "ua-" + tgt.volumeId;
        assertThat(dom.qemuBlock(alias).get("iops").asLong()).isEqualTo(500);

        given().contentType(ContentType.JSON)
                .body("{\"qos_specs\": {\"read_iops_sec\": \"100\", \"write_iops_sec\": 200,"
                        + " \"total_bytes_sec\": \"1048576\", \"total_bytes_sec_max\": \"2097152\", \"consumer\": \"x\"}}")
                .put(url(dom, tgt) + "/qos").then().statusCode(200)
                .body("live.read_iops_sec", equalTo(100))
                .body("live.total_iops_sec", equalTo(0))
                .body("persistent.write_iops_sec", equalTo(200))
                .body("ignored_qos_keys", equalTo(List.of("consumer")));

        var block = dom.qemuBlock(alias);
        assertThat(block.get("iops").asLong()).isZero();
        assertThat(block.get("iops_rd").asLong()).isEqualTo(100);
        assertThat(block.get("iops_wr").asLong()).isEqualTo(200);
        assertThat(block.get("bps").asLong()).isEqualTo(1048576);
        assertThat(block.get("bps_max").asLong()).isEqualTo(2097152);
        assertThat(dom.persistentXml()).contains("<read_iops_sec>100</read_iops_sec>")
                .contains("<total_bytes_sec>1048576</total_bytes_sec>").doesNotContain("<total_iops_sec>500");
        assertThat(dom.liveXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        assertThat(given().get("/v1/attachments").asString()).contains("read_iops_sec>100");

        // QEMU's own rule (total with read/write) is refused before libvirt is asked; nothing changes
        given().contentType(ContentType.JSON)
                .body("{\"qos_specs\": {\"total_iops_sec\": \"10\", \"read_iops_sec\": \"5\"}}")
                .put(url(dom, tgt) + "/qos").then().statusCode(400).body("code", equalTo("invalid_qos"));
        assertThat(dom.qemuBlock(alias).get("iops_rd").asLong()).isEqualTo(100);
        detach(dom, tgt);
    }

    @Test
    void qosChangeOfAnUnknownAttachmentIs404() {
        given().contentType(ContentType.JSON).body("{\"qos_specs\": {\"total_iops_sec\": \"10\"}}")
                .put("/v1/instances/whatever/volumes/0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11/qos")
                .then().statusCode(404).body("code", equalTo("attachment_not_found"));
    }

    @Test
    void unknownDomainIs404AndCreatesNothing() throws Exception {
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        List<String> secretsBefore = Host.secretUsages();
        given().contentType(ContentType.JSON).body("{\"connection_info\": " + tgt.connectionInfo() + "}")
                .put("/v1/instances/no-such-domain/volumes/" + tgt.volumeId)
                .then().statusCode(404).contentType("application/problem+json")
                .body("code", equalTo("domain_not_found"));
        assertThat(Host.secretUsages()).isEqualTo(secretsBefore);
    }

    @Test
    void detachOfAnUnknownAttachmentIs204() {
        given().delete("/v1/instances/whatever/volumes/0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11").then().statusCode(204);
    }

    @Test
    void anAttachedIscsiDiskIsBackedUpFromTheRunningDomainOverQemusOwnSession() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(tgt.file.toFile(), "rw")) {
            byte[] b = new byte[3 << 20];
            new java.util.Random(tgt.volumeId.getLeastSignificantBits()).nextBytes(b); // no chunk seen before
            f.seek(10L << 20);
            f.write(b);
        }
        String sha = org.tether.lab.Digests.contentSha256(tgt.file, 4 << 20);
        attach(dom, tgt, tgt.connectionInfo(), "").then().statusCode(200);

        Response accepted = given().contentType(ContentType.JSON).body("{\"quiesce\": false}")
                .post(url(dom, tgt) + "/backups");
        accepted.then().statusCode(202);
        com.fasterxml.jackson.databind.JsonNode made = org.tether.lab.Operations.await(accepted.header("Location"),
                "succeeded", java.time.Duration.ofSeconds(60)).path("result");
        // what QEMU read through its own iSCSI session, with CHAP: the target's bytes
        assertThat(made.path("content_sha256").asText()).isEqualTo(sha);
        assertThat(made.path("origin").path("disk").asText()).isEqualTo("sda");
        assertThat(made.path("origin").path("quiesced").asBoolean()).isFalse();
        assertThat(made.path("size_bytes").asLong()).isEqualTo(64L << 20);

        detach(dom, tgt); // the backup's job is over: nothing holds the disk
        assertThat(dom.liveXml()).doesNotContain(tgt.volumeId.toString());
        given().delete("/v1/backups/" + made.path("id").asText()).then().statusCode(204);
    }

    /** The value of a metric line in the Prometheus scrape for this volume, or -1 when there is none. */
    private static double metric(String name, TgtTarget t) {
        return given().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(l -> l.startsWith(name + "{") && l.contains("volume=\"" + t.volumeId + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
    }

    /**
     * Per-disk I/O counters from libvirt's bulk statistics, what Nova's volume usage reads, under the volume and the
     * domain: the guest's own I/O, which QEMU accounts for (writes by qemu-io through the monitor are not). The
     * disk holds a boot sector that writes 16 sectors to it through the BIOS: the write counter rises by exactly
     * those 8192 bytes, which are on the target after; the firmware's reads show too. A detached disk's counters go.
     */
    @Test
    void anAttachedDisksIoIsCountedPerVolumeAndGoesWithTheDisk() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.SHUT_OFF));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        byte[] sector = org.tether.lab.BootSector.writing(2048, 16);
        try (var f = new java.io.RandomAccessFile(tgt.file.toFile(), "rw")) {
            f.write(sector);
        }
        attach(dom, tgt, tgt.connectionInfo(), "").then().statusCode(200);
        org.tether.lab.Host.virsh("start", dom.name); // SeaBIOS boots the disk's sector, which writes
        long end = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        double written = -1;
        while (System.nanoTime() < end && written < 8192) {
            assertThat(diskIo.refresh()).isPositive();
            written = metric("tether_disk_write_bytes_total", tgt);
            Thread.sleep(200);
        }
        assertThat(written).as("the guest's 16 sectors, counted once").isEqualTo(8192);
        assertThat(metric("tether_disk_write_requests_total", tgt)).isGreaterThanOrEqualTo(1);
        byte[] landed = new byte[512];
        try (var f = new java.io.RandomAccessFile(tgt.file.toFile(), "r")) {
            f.seek(2048L * 512);
            f.readFully(landed);
        }
        assertThat(landed).as("what the guest wrote is on the target: its boot sector, the first of the 16")
                .isEqualTo(sector);
        assertThat(metric("tether_disk_read_bytes_total", tgt)).as("the firmware read the boot sector")
                .isGreaterThanOrEqualTo(512);
        assertThat(metric("tether_disk_read_requests_total", tgt)).isGreaterThanOrEqualTo(1);
        assertThat(given().get("/q/metrics").asString()).contains("tether_disk_write_bytes_total{domain=\""
                + dom.name + "\",volume=\"" + tgt.volumeId + "\"}");
        org.tether.lab.Host.virsh("destroy", dom.name);
        detach(dom, tgt);
        diskIo.refresh();
        assertThat(metric("tether_disk_write_bytes_total", tgt)).isEqualTo(-1);
    }

    /** The problem a move's operation ended with: the move is always asynchronous, its refusals are its result. */
    private static com.fasterxml.jackson.databind.JsonNode moveFails(TestDomain d, TgtTarget t, String body)
            throws Exception {
        Response accepted = given().contentType(ContentType.JSON).body(body).post(url(d, t) + "/move");
        accepted.then().statusCode(202);
        return org.tether.lab.Operations.await(accepted.header("Location"), "failed", java.time.Duration.ofSeconds(60))
                .path("result");
    }

    /**
     * Moves refused before anything changes (no connection_info, no such attachment, a domain that does not run)
     * and one that QEMU fails (a volume of another size): each names its code, and the guest keeps its disk, its
     * secret and its record, with nothing of the new volume left.
     */
    @Test
    void aMoveRefusedOrFailedChangesNothing() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        TgtTarget larger = keep(TgtTarget.create(dir, true, 128L << 20));
        attach(dom, tgt, tgt.connectionInfo(), "").then().statusCode(200);
        String before = dom.liveXml();
        List<String> secrets = org.tether.lab.Host.secretUsages();

        assertThat(moveFails(dom, tgt, "{}").path("code").asText()).isEqualTo("missing_field");
        assertThat(moveFails(dom, larger, "{\"connection_info\": " + larger.connectionInfo() + "}").path("code")
                .asText()).as("no such attachment").isEqualTo("attachment_not_found");
        com.fasterxml.jackson.databind.JsonNode sized = moveFails(dom, tgt, "{\"connection_info\": "
                + larger.connectionInfo() + ", \"attach_path\": \"qemu\"}");
        assertThat(sized.path("code").asText()).as(sized.toString()).isEqualTo("move_failed");
        assertThat(dom.liveXml()).isEqualTo(before);
        assertThat(org.tether.lab.Host.secretUsages()).containsExactlyInAnyOrderElementsOf(secrets);
        given().get("/v1/attachments").then().statusCode(200).body("find { it.volume_id == '" + tgt.volumeId
                + "' }.state", equalTo("attached"));
        given().get(url(dom, tgt) + "/move").then().statusCode(404).body("code", equalTo("operation_not_found"));

        TestDomain off = keep(TestDomain.create(TestDomain.Kind.SHUT_OFF));
        TgtTarget offDisk = keep(TgtTarget.create(dir, true));
        attach(off, offDisk, offDisk.connectionInfo(), "").then().statusCode(200);
        assertThat(moveFails(off, offDisk, "{\"connection_info\": " + tgt.connectionInfo() + "}").path("code")
                .asText()).isEqualTo("move_unsupported");
        detach(off, offDisk);
        detach(dom, tgt);
    }

    @Test
    void aDiskSomeoneElsePutAtTheVolumesTargetIsNeverDetached() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget tgt = keep(TgtTarget.create(dir, true));
        String dev = attach(dom, tgt, tgt.connectionInfo(), "").then().statusCode(200).extract().path("device");
        // the operator takes the volume's disk out behind the agent's back and puts another disk at its target
        String alias = "ua-" + tgt.volumeId;
        Host.virsh("detach-device-alias", dom.name, alias, "--live", "--config");
        for (int i = 0; i < 50 && dom.liveXml().contains(alias); i++) {
            Thread.sleep(100);
        }
        Path other = Files.createTempFile(dir, "other", ".raw");
        keep(() -> Files.deleteIfExists(other));
        Files.write(other, new byte[1 << 20]);
        Host.virsh("attach-disk", dom.name, other.toString(), dev, "--driver", "qemu", "--subdriver", "raw",
                "--targetbus", "scsi", "--live", "--config");

        detach(dom, tgt); // the volume's attachment ends; the other disk is not the volume's
        assertThat(dom.liveXml()).contains(other.toString());
        assertThat(dom.persistentXml()).contains(other.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
    }

    /**
     * An attach takes its device name from what the agent knows of the domain (no read of it), and libvirt checks
     * that guess: a disk the operator put into the definition only ({@code --config}: libvirt sends no event) at
     * the name the agent would pick makes libvirt refuse the plug, and the attach is made from a fresh read at the
     * next free name. Neither disk is disturbed.
     */
    @Test
    void aNameTakenBehindTheAgentsBackWithoutAnEventIsSteppedOverFromLibvirtsRefusal() throws Exception {
        TestDomain dom = keep(TestDomain.create(TestDomain.Kind.RUNNING));
        TgtTarget first = keep(TgtTarget.create(dir, true));
        TgtTarget second = keep(TgtTarget.create(dir, true));
        String dev = attach(dom, first, first.connectionInfo(), "").then().statusCode(200).extract().path("device");
        String next = "sd" + (char) (dev.charAt(2) + 1);
        Path other = Files.createTempFile(dir, "other", ".raw");
        keep(() -> Files.deleteIfExists(other));
        Files.write(other, new byte[1 << 20]);
        Host.virsh("attach-disk", dom.name, other.toString(), next, "--driver", "qemu", "--subdriver", "raw",
                "--targetbus", "scsi", "--config");

        String got = attach(dom, second, second.connectionInfo(), "").then().statusCode(200).extract().path("device");

        assertThat(got).as("the name the operator took is stepped over").isNotEqualTo(next).isNotEqualTo(dev);
        assertThat(dom.persistentXml()).contains(other.toString()).contains("<serial>" + second.volumeId + "</serial>");
        assertThat(dom.liveXml()).contains("<serial>" + second.volumeId + "</serial>");
        detach(dom, second);
        detach(dom, first);
        assertThat(dom.persistentXml()).contains(other.toString());
    }
}
