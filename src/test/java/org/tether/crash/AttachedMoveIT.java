package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.CephCluster;
import org.tether.lab.GuestWriter;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Moving an attached volume while the guest runs, through the packaged agent: a CHAP iSCSI volume (QEMU's own
 * client, iotune set) moves onto a cephx RBD image and back onto another iSCSI target while a writer keeps writing
 * numbered blocks through QEMU; every write lands on the volume the guest ends on (its content equals a shadow copy
 * kept by the writer), device, serial and QoS stay, and each old connection's secret is gone. A move that fails,
 * is cancelled, or whose agent is killed leaves the guest on its volume with nothing of the new one on the host.
 */
class AttachedMoveIT {
    private static final int PORT = 18193;
    private static final int SIZE = 64 << 20;
    private static final int BLOCK = 64 << 10;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static CephCluster ceph;

    private Path dir;
    private TestDomain dom;
    private TgtTarget tgt;
    private AgentProcess agent;

    @BeforeAll
    static void startCeph() throws Exception {
        ceph = CephCluster.start(6795);
    }

    @AfterAll
    static void stopCeph() throws Exception {
        if (ceph != null) {
            ceph.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-move");
        dom = TestDomain.create(TestDomain.Kind.RUNNING);
        tgt = TgtTarget.create(dir, true);
        agent = new AgentProcess(PORT, dir.resolve("state"), Path.of("target/attached-move.log").toAbsolutePath());
        agent.start();
        AgentProcess.json(agent.put(volumePath(), "{\"connection_info\": " + tgt.connectionInfo(tgt.password,
                "{\"total_iops_sec\": \"900\"}") + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}"), 200);
    }

    @AfterEach
    void tearDown() throws Exception {
        agent.close();
        dom.close();
        tgt.close();
        for (String line : Host.virsh("secret-list").lines().skip(2).toList()) {
            if (line.contains(tgt.volumeId.toString())) {
                Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", line.strip().split("\\s+")[0]);
            }
        }
    }

    private String volumePath() {
        return "/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId;
    }

    private String rbdInfo(UUID image) throws Exception {
        // the RBD image stands in for the iSCSI volume: Cinder's migration names the new volume in its own
        // connection_info; the attachment keeps the id the guest knows
        return ceph.connectionInfo(image, "\"keyring\": " + JSON.writeValueAsString(ceph.keyringText()), null);
    }

    private HttpResponse<String> move(String info, String extra) throws Exception {
        return agent.post(volumePath() + "/move", "{\"connection_info\": " + info + extra + "}");
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static String sha256(Path p) throws Exception {
        return sha256(Files.readAllBytes(p));
    }

    /** Runs a move while the writer writes; returns the attachment it answers and how many writes overlapped it. */
    private JsonNode moveWhileWriting(GuestWriter w, String info) throws Exception {
        long before = w.written.get();
        HttpResponse<String> accepted = move(info, ", \"bandwidth_mib_s\": 32");
        JsonNode moved = agent.succeeded(accepted, Duration.ofMinutes(2));
        assertThat(w.written.get() - before).as("writes during the move").isGreaterThan(5);
        return moved;
    }

    @Test
    void anIscsiVolumeMovesOntoRbdAndBackOntoIscsiWhileTheGuestWritesAndNoWriteIsLost() throws Exception {
        byte[] shadow = new byte[SIZE];
        dom.hmp("qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x5a " + (SIZE - BLOCK) + " " + BLOCK + "\"");
        java.util.Arrays.fill(shadow, SIZE - BLOCK, SIZE, (byte) 0x5a);
        UUID image = ceph.createVolume(SIZE >> 20);
        TgtTarget back = TgtTarget.create(dir, true);
        try {
            try (GuestWriter w = new GuestWriter(dom, "ua-" + tgt.volumeId, shadow, 0)) {
                JsonNode onRbd = moveWhileWriting(w, rbdInfo(image));
                assertThat(onRbd.path("driver_volume_type").asText()).as(onRbd.toString()).isEqualTo("rbd");
                assertThat(onRbd.path("state").asText()).isEqualTo("attached");
            }
            assertThat(sha256(ceph.read("volume-" + image, 0, SIZE))).as("the RBD image holds every write")
                    .isEqualTo(sha256(shadow));
            String live = dom.liveXml();
            assertThat(live).contains("protocol='rbd'").contains("volume-" + image).doesNotContain(tgt.iqn)
                    .contains("<total_iops_sec>900</total_iops_sec>").contains("<serial>" + tgt.volumeId)
                    .contains("ua-" + tgt.volumeId).contains("dev='sda'");
            assertThat(dom.persistentXml()).as("the definition names the new volume too").contains("volume-" + image)
                    .doesNotContain(tgt.iqn).contains("<total_iops_sec>900</total_iops_sec>");
            assertThat(Host.secretUsages()).as("the CHAP secret of the old connection is gone")
                    .noneMatch(u -> u.endsWith("tether/" + tgt.volumeId + "@" + dom.name));

            try (GuestWriter w = new GuestWriter(dom, "ua-" + tgt.volumeId, shadow, 100_000)) {
                JsonNode onIscsi = moveWhileWriting(w, back.connectionInfo() + ", \"attach_path\": \"qemu\"");
                assertThat(onIscsi.path("driver_volume_type").asText()).isEqualTo("iscsi");
            }
            assertThat(sha256(back.file)).as("the second iSCSI volume holds every write, before and during both moves")
                    .isEqualTo(sha256(shadow));
            assertThat(dom.liveXml()).contains(back.iqn).doesNotContain("volume-" + image)
                    .contains("<total_iops_sec>900</total_iops_sec>").contains("username='" + back.user + "'");
            assertThat(Host.secretUsages()).as("one secret left, the new target's CHAP").filteredOn(u -> u.contains(
                    tgt.volumeId.toString())).hasSize(1);
            assertThat(Files.list(dir.resolve("state/moves")).toList()).isEmpty();
        } finally {
            back.close();
        }
    }

    @Test
    void aMoveThatFailsIsCancelledOrLosesItsAgentLeavesTheGuestOnItsVolume() throws Exception {
        UUID missing = UUID.randomUUID(); // no such image: QEMU cannot open the copy
        JsonNode failed = agent.finished(move(rbdInfo(missing), "").headers().firstValue("Location").orElseThrow(),
                Duration.ofMinutes(1));
        assertThat(failed.path("result").path("code").asText()).as(failed.toString()).isEqualTo("move_failed");
        guestStaysOnIscsi();

        UUID image = ceph.createVolume(SIZE >> 20);
        String op = slowMoveUnderWay(image);
        assertThat(agent.delete(volumePath()).statusCode()).as("no detach while moving").isEqualTo(409);
        assertThat(agent.delete(volumePath() + "/move").statusCode()).isEqualTo(202);
        JsonNode cancelled = agent.finished(op, Duration.ofMinutes(1));
        assertThat(cancelled.path("result").path("code").asText()).as(cancelled.toString()).isEqualTo("move_failed");
        guestStaysOnIscsi();

        slowMoveUnderWay(image);
        agent.kill();
        agent.start(); // its recovery abandons the copy and takes the new connection down
        guestStaysOnIscsi();
        assertThat(Host.run("virsh", "-c", "qemu:///system", "blockjob", dom.name, "sda", "--info"))
                .as("no copy left running").doesNotContain("Block Copy");
    }

    /** A move capped at 1 MiB/s (64 s for the volume), returned once libvirt copies: its operation's location. */
    private String slowMoveUnderWay(UUID image) throws Exception {
        HttpResponse<String> accepted = move(rbdInfo(image), ", \"bandwidth_mib_s\": 1");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> seen = new java.util.ArrayList<>();
        while (System.nanoTime() < end) {
            HttpResponse<String> p = agent.get(volumePath() + "/move");
            seen.add(p.statusCode() + " " + p.body());
            if (p.statusCode() == 200 && JSON.readTree(p.body()).path("copied_bytes").asLong() > 0) {
                assertThat(JSON.readTree(p.body()).path("total_bytes").asLong()).isEqualTo(SIZE);
                return accepted.headers().firstValue("Location").orElseThrow();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the move never showed progress: " + new java.util.LinkedHashSet<>(seen));
    }

    /** The guest writes to the iSCSI volume it had; the agent holds it attached there and nothing of a move. */
    private void guestStaysOnIscsi() throws Exception {
        JsonNode attachments = AgentProcess.json(agent.get("/v1/attachments"), 200);
        assertThat(attachments).hasSize(1);
        assertThat(attachments.get(0).path("state").asText()).isEqualTo("attached");
        assertThat(attachments.get(0).path("driver_volume_type").asText()).isEqualTo("iscsi");
        assertThat(dom.liveXml()).contains(tgt.iqn).doesNotContain("protocol='rbd'");
        assertThat(Host.secretUsages()).filteredOn(u -> u.contains(tgt.volumeId.toString()))
                .singleElement().satisfies(u -> assertThat(u).endsWith("tether/" + tgt.volumeId + "@" + dom.name));
        assertThat(Files.list(dir.resolve("state/moves")).toList()).isEmpty();
        dom.hmp("qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x44 0 4096\"");
        assertThat(tgt.read(0, 4096)).containsOnly((byte) 0x44);
    }

    /**
     * Move throughput against its floor in the same run: {@code virsh blockcopy --reuse-external --transient-job
     * --wait --pivot} of the same 256 MiB disk (random data) onto the same prepared target (its CHAP secret defined
     * beforehand), beside Tether's move from a keep-alive client (POST to the operation's end: connect, copy, pivot,
     * disconnect), iSCSI onto iSCSI and iSCSI onto RBD. Run by {@code lab/bench-move.sh}; prints figures, asserts
     * nothing about them.
     */
    @Test
    @org.junit.jupiter.api.Tag("benchmark")
    void benchAgainstVirshBlockcopy() throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 7);
        long size = 256L << 20;
        TgtTarget from = TgtTarget.create(dir, true, size);
        TgtTarget onto = TgtTarget.create(dir, true, size);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(from.file.toFile(), "rw")) {
            byte[] mib = new byte[1 << 20];
            java.util.SplittableRandom random = new java.util.SplittableRandom(5);
            for (long off = 0; off < size; off += mib.length) {
                random.nextBytes(mib);
                f.write(mib);
            }
        }
        UUID image = ceph.createVolume((int) (size >> 20));
        String path = "/v1/instances/" + dom.name + "/volumes/" + from.volumeId;
        AgentProcess.json(agent.put(path, "{\"connection_info\": " + from.connectionInfo() + ", \"bus\": \"scsi\", "
                + "\"attach_path\": \"qemu\"}"), 200);
        String dev = "sdb";
        assertThat(dom.liveXml()).contains("ua-" + from.volumeId);
        // the floor's targets, reached with secrets defined beforehand (outside its time)
        String ontoSecret = onto.defineSecret(dir, "bench-onto");
        Path secretXml = dir.resolve("onto-secret.xml");
        String cephSecret = UUID.randomUUID().toString();
        Files.writeString(secretXml, "<secret ephemeral='no' private='yes'><uuid>" + cephSecret + "</uuid><usage "
                + "type='ceph'><name>bench-ceph</name></usage></secret>");
        Host.run("virsh", "-c", "qemu:///system", "secret-define", secretXml.toString());
        Host.run("virsh", "-c", "qemu:///system", "secret-set-value", cephSecret, "--base64", ceph.key());
        Path toIscsi = dir.resolve("to-iscsi.xml");
        Files.writeString(toIscsi, onto.diskXml("bench-onto"));
        Path toRbd = dir.resolve("to-rbd.xml");
        Files.writeString(toRbd, "<disk type='network' device='disk'><driver name='qemu' type='raw'/><source "
                + "protocol='rbd' name='volumes/volume-" + image + "'><host name='127.0.0.1' port='" + ceph.port
                + "'/></source><auth username='cinder'><secret type='ceph' uuid='" + cephSecret + "'/></auth></disk>");
        String fromInfo = from.connectionInfo() + ", \"attach_path\": \"qemu\"";
        String[][] kinds = {
                {"iSCSI -> iSCSI", toIscsi.toString(), onto.connectionInfo() + ", \"attach_path\": \"qemu\""},
                {"iSCSI -> RBD", toRbd.toString(), rbdInfo(image)}};
        try {
            System.out.printf("move of an attached 256 MiB disk (random data) on QEMU's client, p50 of %d (ms):%n",
                    rounds);
            for (String[] kind : kinds) {
                List<Long> floor = new java.util.ArrayList<>();
                List<Long> tether = new java.util.ArrayList<>();
                for (int i = 0; i < 2 * rounds; i++) {
                    // alternately, so that neither always follows the other's writes into the first volume
                    if (i % 2 == 0) {
                        floor.add(floorMove(kind[1], dev, from));
                    } else {
                        tether.add(tetherMove(path, kind[2], fromInfo));
                    }
                }
                long f = p50(floor);
                long t = p50(tether);
                long fMin = java.util.Collections.min(floor);
                long tMin = java.util.Collections.min(tether);
                // the copy's own time is bimodal on this machine (~2.1 s or ~2.7 s for virsh alike): the best of
                // each is printed beside the median
                System.out.printf("  %-15s virsh blockcopy %5d (%4d MiB/s), Tether %5d (%4d MiB/s): throughput %.2fx;"
                        + " best %d vs %d: %.2fx  [floor %s, Tether %s]%n", kind[0], f, 256_000 / f, t, 256_000 / t,
                        (double) f / t, fMin, tMin, (double) fMin / tMin, floor, tether);
            }
            System.out.println("  Tether's steps, all moves (s): " + agent.get("/q/metrics").body().lines()
                    .filter(l -> l.startsWith("tether_move_step_seconds_sum") || l.startsWith("tether_move_seconds_sum")
                            || l.startsWith("tether_move_seconds_count")).map(l -> l.replaceAll(
                            ".*step=\"([a-z_]+)\".*} (.*)", "$1 $2")).toList());
        } finally {
            Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", ontoSecret);
            Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", cephSecret);
            agent.delete(path);
            from.close();
            onto.close();
        }
    }

    /** virsh blockcopy onto {@code destination} (timed), then back onto {@code from} (not timed): ms. */
    private long floorMove(String destination, String dev, TgtTarget from) throws Exception {
        long t0 = System.nanoTime();
        Host.run("virsh", "-c", "qemu:///system", "blockcopy", dom.name, dev, "--xml", destination,
                "--reuse-external", "--transient-job", "--wait", "--pivot");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // back onto the first volume, with the agent's secret for it: the agent still holds it attached there
        Host.run("virsh", "-c", "qemu:///system", "blockcopy", dom.name, dev, "--xml", backXml(from).toString(),
                "--reuse-external", "--transient-job", "--wait", "--pivot");
        return ms;
    }

    /** Tether's move onto {@code info} from a keep-alive client (timed), then back onto {@code fromInfo}: ms. */
    private long tetherMove(String path, String info, String fromInfo) throws Exception {
        long t1 = System.nanoTime();
        HttpResponse<String> accepted = agent.post(path + "/move", "{\"connection_info\": " + info + "}");
        JsonNode op = pollFast(accepted.headers().firstValue("Location").orElseThrow());
        long ms = (System.nanoTime() - t1) / 1_000_000;
        assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("succeeded");
        JsonNode back = pollFast(agent.post(path + "/move", "{\"connection_info\": " + fromInfo + "}")
                .headers().firstValue("Location").orElseThrow());
        assertThat(back.path("state").asText()).as(back.toString()).isEqualTo("succeeded");
        return ms;
    }

    /** The disk element by which the floor goes back onto {@code t} with the agent's own CHAP secret for it. */
    private Path backXml(TgtTarget t) throws Exception {
        Path p = dir.resolve("back.xml");
        java.util.regex.Matcher usage = java.util.regex.Pattern.compile("usage='(tether/" + t.volumeId + "@[^']+)'")
                .matcher(agent.get("/v1/attachments").body().replace("\\\"", "'").replace("\"", "'"));
        String secretUsage = usage.find() ? usage.group(1) : "tether/" + t.volumeId + "@" + dom.name;
        Files.writeString(p, t.diskXml(secretUsage));
        return p;
    }

    private JsonNode pollFast(String location) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        JsonNode op;
        do {
            op = JSON.readTree(agent.get(location).body());
            if (!op.path("state").asText().equals("running")) {
                return op;
            }
            Thread.sleep(5);
        } while (System.nanoTime() < end);
        return op;
    }

    private static long p50(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
