package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Live migration between two hosts on one machine: host A is the machine's libvirtd, host B a second libvirtd in
 * its own UTS and mount namespaces ({@code lab/host-b.sh}), each with its own packaged agent. A running domain
 * with a CHAP iSCSI volume on QEMU's own client (iotune set) moves A → B and back; the destination connects it
 * with its own initiator and CHAP account, the guest reads what it wrote before each move, and each host shows
 * only what it should (domain, libvirt secret, journal record). Failures leave the guest on the source.
 */
class LiveMigrationIT {
    private static final int PORT_A = 18191;
    private static final int PORT_B = 18192;
    private static final int LIBVIRT_B = 16510;
    private static final String INITIATOR_B = "iqn.2026-12.org.tether:host-b";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path hostB;
    private static String uriB;
    private static org.tether.lab.CephCluster ceph;
    /** Keystone and Barbican, for the LUKS passphrase each host fetches itself. */
    private static com.github.tomakehurst.wiremock.WireMockServer openstack;
    private static final byte[] LUKS_KEY = new byte[32];
    private static final String KEY_ID = UUID.randomUUID().toString();

    private Path dir;
    private TestDomain dom;
    private TgtTarget tgt;
    private String userB;
    private String passwordB;
    private AgentProcess a;
    private AgentProcess b;
    private String tokenB;

    @BeforeAll
    static void startHosts() throws Exception {
        hostB = Path.of("target/host-b").toAbsolutePath();
        uriB = Host.run("bash", "lab/host-b.sh", "start", hostB.toString(), "" + LIBVIRT_B).strip();
        ceph = org.tether.lab.CephCluster.start(6793);
        openstack = org.tether.openstack.OpenStackStubs.start();
        openstack.stubFor(org.tether.openstack.OpenStackStubs.keystone().willReturn(org.tether.openstack.OpenStackStubs
                .token(openstack, "svc-" + UUID.randomUUID(), java.time.Instant.now().plusSeconds(7200))));
        new java.util.Random(11).nextBytes(LUKS_KEY);
        openstack.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(com.github.tomakehurst.wiremock.client
                .WireMock.urlEqualTo("/barbican/v1/secrets/" + KEY_ID + "/payload")).willReturn(
                com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(200).withBody(LUKS_KEY)));
    }

    @AfterAll
    static void stopHosts() throws Exception {
        Host.exec("bash", "lab/host-b.sh", "stop", hostB.toString());
        if (ceph != null) {
            ceph.close();
        }
        if (openstack != null) {
            openstack.stop();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-migration");
        Path memory = dir.resolve("memory.bin");
        byte[] random = new byte[32 << 20];
        new java.util.Random(7).nextBytes(random);
        Files.write(memory, random);
        dom = TestDomain.create(TestDomain.Kind.RUNNING, 96, memory);
        tgt = TgtTarget.create(dir, true);
        // host B's own initiator and CHAP account, as Cinder's export for B's connector would make them
        Host.run("tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "" + tgt.tid,
                "--initiator-name", INITIATOR_B);
        userB = "b" + tgt.user;
        passwordB = "q" + UUID.randomUUID().toString().replace("-", "").substring(0, 15);
        Host.run("tgtadm", "--lld", "iscsi", "--op", "new", "--mode", "account", "--user", userB, "--password",
                passwordB);
        Host.run("tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "account", "--tid", "" + tgt.tid, "--user",
                userB);
        Path initiatorB = dir.resolve("initiatorname-b.iscsi");
        Files.writeString(initiatorB, "InitiatorName=" + INITIATOR_B + "\n");
        tokenB = UUID.randomUUID().toString();
        Path tokenFile = dir.resolve("token-b");
        Files.writeString(tokenFile, tokenB + "\n");
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        a = new AgentProcess(PORT_A, dir.resolve("state-a"), Path.of("target/migration-a.log").toAbsolutePath())
                .with("-Dtether.migration.peers.b.url=http://127.0.0.1:" + PORT_B,
                        "-Dtether.migration.peers.b.token-file=" + tokenFile,
                        "-Dtether.migration.peers.b.libvirt-uri=" + uriB,
                        "-Dtether.migration.peers.b.migrate-uri=tcp://127.0.0.1",
                        "-Dtether.migration.peers.b.listen-address=127.0.0.1",
                        "-Dtether.migration.peers.a.url=http://127.0.0.1:" + PORT_A,
                        "-Dtether.migration.peers.a.libvirt-uri=qemu:///system");
        b = new AgentProcess(PORT_B, dir.resolve("state-b"), Path.of("target/migration-b.log").toAbsolutePath())
                .properties("-Dtether.api.token-file=" + tokenFile)
                .with("-Dtether.libvirt.uri=" + uriB,
                        "-Dtether.iscsi.initiator-name-file=" + initiatorB,
                        "-Dtether.migration.peers.a.url=http://127.0.0.1:" + PORT_A,
                        "-Dtether.migration.peers.a.libvirt-uri=qemu+unix:///system?socket=" + hostB
                                .resolve("a-run/libvirt-sock"),
                        "-Dtether.migration.peers.a.migrate-uri=tcp://127.0.0.1",
                        "-Dtether.migration.peers.a.listen-address=127.0.0.1");
        List<String> keys = new java.util.ArrayList<>();
        org.tether.openstack.OpenStackStubs.credentials(openstack, dir.resolve("keystone-password"))
                .forEach((k, v) -> keys.add("-D" + k + "=" + v));
        keys.add("-Dtether.keymanager.endpoint=" + openstack.baseUrl() + "/barbican");
        a.with(keys.toArray(String[]::new));
        b.with(keys.toArray(String[]::new));
        a.spawn(); // both JVMs start at once
        b.spawn();
        a.awaitReady();
        b.awaitReady();
    }

    @AfterEach
    void tearDown() throws Exception {
        a.close();
        b.close();
        Host.exec("virsh", "-c", uriB, "destroy", dom.name);
        Host.exec("virsh", "-c", uriB, "undefine", dom.name);
        dom.close();
        tgt.close();
        Host.exec("tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "account", "--user", userB);
        for (String uuid : secretsOn(uriB)) {
            Host.exec("virsh", "-c", uriB, "secret-undefine", uuid);
        }
        // the attachments A's agent still held when it stopped keep their secrets on this host: theirs go too
        for (String line : Host.virsh("secret-list").lines().skip(2).toList()) {
            if (line.contains("@" + dom.name)) {
                Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", line.strip().split("\\s+")[0]);
            }
        }
    }

    private String infoA() {
        return tgt.connectionInfo(tgt.password, "{\"total_iops_sec\": \"900\"}");
    }

    private String infoB(String iqn) {
        return infoA().replace(tgt.iqn, iqn).replace("\"" + tgt.user + "\"", "\"" + userB + "\"")
                .replace("\"" + tgt.password + "\"", "\"" + passwordB + "\"");
    }

    private void attachOnA() throws Exception {
        AgentProcess.json(a.put("/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId,
                "{\"connection_info\": " + infoA() + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}"), 200);
    }

    private HttpResponse<String> migrate(AgentProcess from, String to, String info) throws Exception {
        return migrate(from, to, info, "");
    }

    private HttpResponse<String> migrate(AgentProcess from, String to, String info, String extra) throws Exception {
        return from.post("/v1/instances/" + dom.name + "/migrations", "{\"destination\": \"" + to + "\", "
                + "\"max_downtime_ms\": 300, \"volumes\": {\"" + tgt.volumeId + "\": {\"connection_info\": " + info
                + "}}" + extra + "}");
    }

    /**
     * A migration from A to B capped at 8 MiB/s (the guest's 32 MiB take ~4 s), returned once libvirt has begun
     * copying memory: its operation's location.
     */
    private String slowMigrationUnderWay() throws Exception {
        attachOnA();
        HttpResponse<String> accepted = migrate(a, "b", infoB(tgt.iqn), ", \"bandwidth_mib_s\": 8");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> seen = new java.util.ArrayList<>();
        while (System.nanoTime() < end) {
            HttpResponse<String> p = a.get("/v1/instances/" + dom.name + "/migrations");
            seen.add(p.statusCode() + " " + p.body());
            if (p.statusCode() == 200) {
                JsonNode progress = JSON.readTree(p.body());
                if (progress.path("phase").asText().equals("migrating") && progress.path("memory_processed").asLong() > 0) {
                    assertThat(progress.path("memory_remaining").asLong()).isPositive();
                    return accepted.headers().firstValue("Location").orElseThrow();
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the migration never showed progress: " + new java.util.LinkedHashSet<>(seen));
    }

    /** The guest runs on A with its disk, which A's agent holds attached; B holds nothing of it. */
    private void guestStayedOnA() throws Exception {
        assertThat(runs("qemu:///system", dom.name)).isTrue();
        assertThat(Host.virsh("dumpxml", dom.name)).contains("ua-" + tgt.volumeId);
        assertThat(attachmentsOn(a).get(0).path("state").asText()).isEqualTo("attached");
        assertThat(Files.list(dir.resolve("state-a/migrations")).toList()).isEmpty();
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (defined(uriB, dom.name) && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertThat(defined(uriB, dom.name)).isFalse();
        assertThat(attachmentsOn(b, authB())).isEmpty();
        assertThat(secretsOn(uriB)).isEmpty();
        hmp("qemu:///system", dom.name, "qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x44 0 4096\"");
        assertThat(tgt.read(0, 4096)).containsOnly((byte) 0x44);
    }

    /** The guest runs on B with its disk, which B's agent holds attached; A holds nothing of it. */
    private void guestMovedToB() throws Exception {
        assertThat(runs(uriB, dom.name)).isTrue();
        assertThat(defined("qemu:///system", dom.name)).isFalse();
        assertThat(attachmentsOn(a)).isEmpty();
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
        assertThat(Files.list(dir.resolve("state-a/migrations")).toList()).isEmpty();
        JsonNode onB = attachmentsOn(b, authB());
        assertThat(onB).hasSize(1);
        assertThat(onB.get(0).path("state").asText()).isEqualTo("attached");
        assertThat(secretsOn(uriB)).hasSize(1);
        hmp(uriB, dom.name, "qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x55 0 4096\"");
        assertThat(tgt.read(0, 4096)).containsOnly((byte) 0x55);
    }

    @Test
    void aCancelMidTransferLeavesTheGuestOnTheSource() throws Exception {
        String op = slowMigrationUnderWay();
        assertThat(a.delete("/v1/instances/" + dom.name + "/migrations").statusCode()).isEqualTo(202);
        JsonNode done = a.finished(op, Duration.ofMinutes(1));
        assertThat(done.path("result").path("code").asText()).as(done.toString()).isEqualTo("migration_failed");
        guestStayedOnA();
    }

    @Test
    void theDestinationQemuKilledMidTransferLeavesTheGuestOnTheSource() throws Exception {
        String op = slowMigrationUnderWay();
        Path pid = hostB.resolve("run/libvirt/qemu/" + dom.name + ".pid");
        Host.run("kill", "-9", Files.readString(pid).strip());
        JsonNode done = a.finished(op, Duration.ofMinutes(1));
        assertThat(done.path("result").path("code").asText()).as(done.toString()).isEqualTo("migration_failed");
        guestStayedOnA();
    }

    @Test
    void theSourceAgentKilledMidTransferIsFinishedAtItsStart() throws Exception {
        slowMigrationUnderWay();
        a.kill();
        // a peer-to-peer migration is driven by the source's libvirtd, which goes on without the agent; at its start
        // the agent's recovery waits for that job to end, asks where the guest runs, and releases its side here
        a.start();
        long end = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (System.nanoTime() < end && !attachmentsOn(b, authB()).path(0).path("state").asText().equals("attached")) {
            Thread.sleep(200); // B completes by itself: A told it, or B's settle pass found the guest running there
        }
        guestMovedToB();
    }

    @Test
    void theDestinationAgentKilledMidTransferCompletesAtItsStart() throws Exception {
        String op = slowMigrationUnderWay();
        b.kill();
        JsonNode done = a.finished(op, Duration.ofMinutes(1));
        // libvirt moved the guest without B's agent; A released its side, B was not there to be told
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("succeeded");
        b.start();
        guestMovedToB();
    }

    private static String hmp(String uri, String domain, String command) {
        return Host.run("virsh", "-c", uri, "qemu-monitor-command", domain, "--hmp", command);
    }

    private static List<String> secretsOn(String uri) {
        return Host.run("virsh", "-c", uri, "secret-list").lines().skip(2).map(String::strip)
                .filter(l -> !l.isEmpty()).map(l -> l.split("\\s+")[0]).toList();
    }

    private static boolean runs(String uri, String domain) {
        Host.Result r = Host.exec("virsh", "-c", uri, "domstate", domain);
        return r.exit() == 0 && r.out().strip().equals("running");
    }

    private static boolean defined(String uri, String domain) {
        return Host.exec("virsh", "-c", uri, "dominfo", domain).exit() == 0;
    }

    private JsonNode attachmentsOn(AgentProcess agent, String... auth) throws Exception {
        return AgentProcess.json(agent.get("/v1/attachments", auth), 200);
    }

    private String[] authB() {
        return new String[] {"Authorization", "Bearer " + tokenB};
    }

    /** The log of QEMU on host B (stdio_handler = file) or A (virtlogd), where HMP qemu-io prints. */
    private Path qemuLog(boolean onB) {
        return onB ? hostB.resolve("log/libvirt/qemu/" + dom.name + ".log")
                : Path.of("/var/log/libvirt/qemu/" + dom.name + ".log");
    }

    /** Reads through the domain's disk with qemu-io and checks the pattern; true when it matched. */
    private boolean guestReads(String uri, boolean onB, int pattern, long offset) throws Exception {
        return guestReads(uri, onB, "ua-" + tgt.volumeId, pattern, offset);
    }

    private boolean guestReads(String uri, boolean onB, String device, int pattern, long offset) throws Exception {
        Path log = qemuLog(onB);
        long before = Files.exists(log) ? Files.size(log) : 0;
        hmp(uri, dom.name, "qemu-io -d " + device + " \"read -P 0x" + Integer.toHexString(pattern) + " "
                + offset + " 65536\"");
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < end) {
            String added = Files.exists(log) ? new String(Files.readAllBytes(log)).substring((int) before) : "";
            if (added.contains("Pattern verification failed")) {
                return false;
            }
            if (added.contains("read 65536/65536 bytes")) {
                return true;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("qemu-io printed nothing into " + log);
    }

    @Test
    void migratesThereAndBackWithItsIscsiAndRbdVolumesAndEachHostHoldsOnlyItsOwn() throws Exception {
        attachOnA();
        UUID rbd = ceph.createVolume(64);
        String rbdInfo = ceph.connectionInfo(rbd, "\"keyring\": " + JSON.writeValueAsString(ceph.keyringText()), null);
        AgentProcess.json(a.put("/v1/instances/" + dom.name + "/volumes/" + rbd, "{\"connection_info\": " + rbdInfo
                + ", \"bus\": \"scsi\"}"), 200);
        hmp("qemu:///system", dom.name, "qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x5a 0 65536\"");
        hmp("qemu:///system", dom.name, "qemu-io -d ua-" + rbd + " \"write -P 0x7e 1048576 65536\"");
        String both = ", \"" + rbd + "\": {\"connection_info\": " + rbdInfo + "}";

        HttpResponse<String> thereAccepted = a.post("/v1/instances/" + dom.name + "/migrations", "{\"destination\": "
                + "\"b\", \"max_downtime_ms\": 300, \"volumes\": {\"" + tgt.volumeId + "\": {\"connection_info\": "
                + infoB(tgt.iqn) + "}" + both + "}}");
        JsonNode there = a.succeeded(thereAccepted, Duration.ofMinutes(2));
        assertThat(there.path("volumes")).hasSize(2);
        assertThat(there.path("destination").asText()).isEqualTo("b");
        assertThat(there.path("downtime_ms").isNumber()).as(there.toString()).isTrue();
        assertThat(runs(uriB, dom.name)).isTrue();
        assertThat(defined("qemu:///system", dom.name)).as("the source's definition is gone").isFalse();
        String xmlB = Host.run("virsh", "-c", uriB, "dumpxml", dom.name);
        assertThat(xmlB).contains("username='" + userB + "'").contains("<total_iops_sec>900</total_iops_sec>")
                .contains("initiator").contains(INITIATOR_B);
        assertThat(Host.run("virsh", "-c", uriB, "dumpxml", "--inactive", dom.name)).contains("username='" + userB + "'");
        assertThat(guestReads(uriB, true, 0x5a, 0)).as("the guest reads on B what it wrote on A").isTrue();
        assertThat(guestReads(uriB, true, "ua-" + rbd, 0x7e, 1048576)).isTrue();
        assertThat(attachmentsOn(a)).isEmpty();
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()) || u.contains(rbd.toString()));
        JsonNode onB = attachmentsOn(b, authB());
        assertThat(onB).hasSize(2);
        assertThat(onB.findValuesAsText("state")).containsOnly("attached");
        assertThat(secretsOn(uriB)).as("B's CHAP and cephx secrets").hasSize(2);

        hmp(uriB, dom.name, "qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x6b 65536 65536\"");
        HttpResponse<String> back = b.send("POST", "/v1/instances/" + dom.name + "/migrations", "{\"destination\": "
                + "\"a\", \"volumes\": {\"" + tgt.volumeId + "\": {\"connection_info\": " + infoA() + "}" + both
                + "}}", authB());
        assertThat(back.statusCode()).as(back.body()).isEqualTo(202);
        JsonNode op = finishedOn(b, back.headers().firstValue("Location").orElseThrow());
        assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("succeeded");
        assertThat(runs("qemu:///system", dom.name)).isTrue();
        assertThat(defined(uriB, dom.name)).isFalse();
        assertThat(guestReads("qemu:///system", false, 0x6b, 65536)).as("the guest reads on A what it wrote on B")
                .isTrue();
        assertThat(guestReads("qemu:///system", false, 0x5a, 0)).isTrue();
        assertThat(guestReads("qemu:///system", false, "ua-" + rbd, 0x7e, 1048576)).isTrue();
        assertThat(ceph.read("volume-" + rbd, 1048576, 65536)).containsOnly((byte) 0x7e);
        assertThat(attachmentsOn(b, authB())).isEmpty();
        assertThat(secretsOn(uriB)).isEmpty();
        assertThat(attachmentsOn(a).findValuesAsText("state")).containsExactly("attached", "attached");
        assertThat(Host.virsh("dumpxml", dom.name)).contains("username='" + tgt.user + "'");
    }

    private JsonNode finishedOn(AgentProcess agent, String location) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        JsonNode op;
        do {
            op = JSON.readTree(agent.get(location, authB()).body());
            Thread.sleep(50);
        } while (op.path("state").asText().equals("running") && System.nanoTime() < end);
        return op;
    }

    @Test
    void anInstanceBootedFromItsVolumeMigratesWithItsRecord() throws Exception {
        String line = "TETHER-MIGRATE-" + UUID.randomUUID().toString().substring(0, 8);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(tgt.file.toFile(), "rw")) {
            f.write(org.tether.lab.BootSector.printing(line));
        }
        String name = "tether-bfv-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode created = AgentProcess.json(a.post("/v1/instances", "{\"name\": \"" + name + "\", \"vcpus\": 1, "
                + "\"memory_mb\": 64, \"boot_volume\": {\"volume_id\": \"" + tgt.volumeId + "\", \"connection_info\": "
                + infoA() + ", \"attach_path\": \"qemu\"}}"), 201);
        try {
            Path console = Path.of(created.path("console_log").asText());
            org.tether.lab.BootSector.awaitConsole(console, line);
            HttpResponse<String> accepted = a.post("/v1/instances/" + name + "/migrations", "{\"destination\": \"b\", "
                    + "\"volumes\": {\"" + tgt.volumeId + "\": {\"connection_info\": " + infoB(tgt.iqn) + "}}}");
            JsonNode moved = a.succeeded(accepted, Duration.ofMinutes(2));
            assertThat(moved.path("domain").asText()).isEqualTo(name);
            assertThat(AgentProcess.json(a.get("/v1/instances"), 200)).isEmpty();
            JsonNode onB = AgentProcess.json(b.get("/v1/instances/" + name, authB()), 200);
            assertThat(onB.path("state").asText()).as(onB.toString()).isEqualTo("active");
            assertThat(onB.path("running").asBoolean()).isTrue();
            assertThat(attachmentsOn(b, authB()).findValuesAsText("state")).containsExactly("attached");
            // the boot volume stays the instance's there: a detach of it is refused as on its first host
            HttpResponse<String> detach = b.send("DELETE", "/v1/instances/" + name + "/volumes/" + tgt.volumeId, null,
                    authB());
            assertThat(detach.statusCode()).as(detach.body()).isEqualTo(409);
            assertThat(b.send("DELETE", "/v1/instances/" + name, null, authB()).statusCode()).isEqualTo(204);
            assertThat(defined(uriB, name)).isFalse();
            assertThat(secretsOn(uriB)).isEmpty();
        } finally {
            a.send("DELETE", "/v1/instances/" + name, null);
            Host.exec("virsh", "-c", uriB, "destroy", name);
            Host.exec("virsh", "-c", uriB, "undefine", name);
        }
    }

    @Test
    void aLuksVolumeMigratesEachHostHoldingItsOwnPassphraseSecret() throws Exception {
        String hex = java.util.HexFormat.of().formatHex(LUKS_KEY); // Nova's passphrase: the key's hex
        Host.run("qemu-img", "create", "-q", "-f", "luks", "--object", "secret,id=k,data=" + hex, "-o",
                "key-secret=k", tgt.file.toString(), "60M");
        String encryption = "{\"provider\": \"luks\", \"cipher\": \"aes-xts-plain64\", \"key_size\": 256, "
                + "\"control_location\": \"front-end\", \"encryption_key_id\": \"" + KEY_ID + "\"}";
        String encA = infoA().replace("\"encrypted\": false", "\"encrypted\": true");
        String encB = infoB(tgt.iqn).replace("\"encrypted\": false", "\"encrypted\": true");
        AgentProcess.json(a.put("/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId, "{\"connection_info\": "
                + encA + ", \"encryption\": " + encryption + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}"), 200);
        hmp("qemu:///system", dom.name, "qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x5c 0 65536\"");
        assertThat(Host.secretUsages()).anyMatch(u -> u.contains(tgt.volumeId.toString()));

        HttpResponse<String> accepted = a.post("/v1/instances/" + dom.name + "/migrations", "{\"destination\": \"b\", "
                + "\"volumes\": {\"" + tgt.volumeId + "\": {\"connection_info\": " + encB + ", \"encryption\": "
                + encryption + "}}}");
        a.succeeded(accepted, Duration.ofMinutes(2));
        assertThat(guestReads(uriB, true, 0x5c, 0)).as("the guest reads its plaintext through LUKS on B").isTrue();
        assertThat(Host.run("virsh", "-c", uriB, "dumpxml", dom.name)).contains("<encryption format='luks'");
        assertThat(secretsOn(uriB)).as("B's CHAP secret and its own passphrase secret").hasSize(2);
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
        assertThat(attachmentsOn(a)).isEmpty();
        // the target holds ciphertext only
        assertThat(new String(tgt.read(0, 4), java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("LUKS");
        byte[] body = Files.readAllBytes(tgt.file);
        byte[] plain = new byte[4096];
        java.util.Arrays.fill(plain, (byte) 0x5c);
        assertThat(holds(body, plain)).as("plaintext on the target").isFalse();
    }

    private static boolean holds(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void aVolumeTheDestinationCannotReachLeavesTheGuestOnTheSourceAndNothingOnTheDestination() throws Exception {
        attachOnA();
        HttpResponse<String> accepted = migrate(a, "b", infoB(tgt.iqn + "-missing"));
        assertThat(accepted.statusCode()).isEqualTo(202);
        JsonNode op = a.finished(accepted.headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(2));
        assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("failed");
        assertThat(op.path("result").path("code").asText()).isEqualTo("migration_failed");
        assertThat(runs("qemu:///system", dom.name)).isTrue();
        assertThat(Host.virsh("dumpxml", dom.name)).contains("ua-" + tgt.volumeId);
        assertThat(attachmentsOn(a).get(0).path("state").asText()).isEqualTo("attached");
        assertThat(defined(uriB, dom.name)).isFalse();
        assertThat(attachmentsOn(b, authB())).isEmpty();
        assertThat(secretsOn(uriB)).isEmpty();
        assertThat(Files.list(dir.resolve("state-a/migrations")).toList()).isEmpty();
        // and the guest still writes through its disk here
        hmp("qemu:///system", dom.name, "qemu-io -d ua-" + tgt.volumeId + " \"write -P 0x33 0 4096\"");
        assertThat(tgt.read(0, 4096)).containsOnly((byte) 0x33);
    }

    @Test
    void aDestinationAgentThatIsDownIsRefusedAndNothingChanges() throws Exception {
        attachOnA();
        b.stop();
        HttpResponse<String> accepted = migrate(a, "b", infoB(tgt.iqn));
        JsonNode op = a.finished(accepted.headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(1));
        assertThat(op.path("result").path("code").asText()).as(op.toString()).isEqualTo("migration_peer_unavailable");
        assertThat(runs("qemu:///system", dom.name)).isTrue();
        assertThat(attachmentsOn(a).get(0).path("state").asText()).isEqualTo("attached");
        // a peer not configured is a clear refusal, before anything
        HttpResponse<String> elsewhere = a.post("/v1/instances/" + dom.name + "/migrations",
                "{\"destination\": \"elsewhere\"}");
        JsonNode refused = a.finished(elsewhere.headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(1));
        assertThat(refused.path("result").path("code").asText()).as(refused.toString())
                .isEqualTo("migration_peer_not_found");
        assertThat(Files.list(dir.resolve("state-a/migrations")).toList()).isEmpty();
    }

    /**
     * Migration against its floor, in the same run: {@code virsh migrate --live --p2p} of the same domain with the
     * same disk prepared by hand on the destination (its CHAP secret defined there, the disk XML rewritten), beside
     * Tether's migration seen from a keep-alive client (POST to the operation's end). Then the destination's prepare
     * of 1 and of 8 volumes. Run by {@code lab/bench-migration.sh}; prints figures, asserts nothing about them.
     */
    @Test
    @org.junit.jupiter.api.Tag("benchmark")
    void benchAgainstVirshMigrate() throws Exception {
        attachOnA();
        int rounds = Integer.getInteger("bench.rounds", 7);
        String xmlA = Host.virsh("dumpxml", "--migratable", dom.name);
        // Tether names its CHAP secrets by usage, tether/<volume>@<domain>: the floor defines the same usage on B
        java.util.regex.Matcher auth = java.util.regex.Pattern.compile("<secret type=.iscsi. usage=.([^'\"]+)")
                .matcher(xmlA);
        assertThat(auth.find()).as(xmlA).isTrue();
        String secretB = UUID.randomUUID().toString();
        Path secretXml = dir.resolve("secret-b.xml");
        Files.writeString(secretXml, "<secret ephemeral='no' private='yes'><uuid>" + secretB + "</uuid><usage type='iscsi'>"
                + "<target>" + auth.group(1) + "</target></usage></secret>");
        String xmlB = xmlA.replace("username='" + tgt.user + "'", "username='" + userB + "'")
                .replace(TgtTarget.hostInitiator(), INITIATOR_B);
        Path toB = dir.resolve("to-b.xml");
        Path toA = dir.resolve("to-a.xml");
        Files.writeString(toB, xmlB);
        Files.writeString(toA, xmlA);
        List<Long> floorWall = new java.util.ArrayList<>();
        List<Long> floorDown = new java.util.ArrayList<>();
        List<Long> tetherWall = new java.util.ArrayList<>();
        List<Long> tetherDown = new java.util.ArrayList<>();
        String aFromB = "qemu+unix:///system?socket=" + hostB.resolve("a-run/libvirt-sock");
        for (int i = 0; i < rounds; i++) {
            Host.run("virsh", "-c", uriB, "secret-define", secretXml.toString());
            Host.run("virsh", "-c", uriB, "secret-set-value", secretB, "--base64",
                    java.util.Base64.getEncoder().encodeToString(passwordB.getBytes()));
            long t0 = System.nanoTime();
            Host.run("virsh", "migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml", toB.toString(),
                    "--persistent-xml", toB.toString(), dom.name, uriB, "--migrateuri", "tcp://127.0.0.1",
                    "--listen-address", "127.0.0.1");
            floorWall.add((System.nanoTime() - t0) / 1_000_000);
            floorDown.add(downtime(Host.run("virsh", "-c", uriB, "domjobinfo", "--completed", dom.name)));
            Host.run("virsh", "-c", uriB, "migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--xml",
                    toA.toString(), "--persistent-xml", toA.toString(), dom.name, aFromB, "--migrateuri",
                    "tcp://127.0.0.1", "--listen-address", "127.0.0.1");
            Host.run("virsh", "-c", uriB, "secret-undefine", secretB);

            long t1 = System.nanoTime();
            HttpResponse<String> accepted = migrate(a, "b", infoB(tgt.iqn));
            JsonNode op = pollFast(a, accepted.headers().firstValue("Location").orElseThrow(), new String[0]);
            tetherWall.add((System.nanoTime() - t1) / 1_000_000);
            assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("succeeded");
            tetherDown.add(op.path("result").path("downtime_ms").asLong());
            HttpResponse<String> back = b.send("POST", "/v1/instances/" + dom.name + "/migrations", "{\"destination\": "
                    + "\"a\", \"volumes\": {\"" + tgt.volumeId + "\": {\"connection_info\": " + infoA() + "}}}", authB());
            assertThat(pollFast(b, back.headers().firstValue("Location").orElseThrow(), authB()).path("state").asText())
                    .isEqualTo("succeeded");
        }
        System.out.println("live migration of a 96 MiB guest (32 MiB of it written) with a CHAP iSCSI disk on QEMU's "
                + "client, A -> B, p50 of " + rounds + " (ms):");
        System.out.printf("  virsh migrate --live --p2p, disk prepared by hand: wall %d, downtime %d%n",
                p50(floorWall), p50(floorDown));
        System.out.printf("  Tether (POST to the operation's end):              wall %d, downtime %d%n",
                p50(tetherWall), p50(tetherDown));
        System.out.printf("  ratio: wall %.2fx, downtime %.2fx%n", (double) p50(tetherWall) / p50(floorWall),
                (double) p50(tetherDown) / Math.max(1, p50(floorDown)));
        benchPrepare(rounds);
    }

    private void benchPrepare(int rounds) throws Exception {
        List<TgtTarget> targets = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                TgtTarget t = TgtTarget.create(dir, true);
                Host.run("tgtadm", "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "" + t.tid,
                        "--initiator-name", INITIATOR_B);
                targets.add(t);
            }
            List<Long> one = new java.util.ArrayList<>();
            List<Long> eight = new java.util.ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                one.add(prepareOnB(targets.subList(0, 1)));
                eight.add(prepareOnB(targets));
            }
            System.out.printf("destination prepare (POST /v1/migrations/incoming, then DELETE), p50 of %d: 1 volume "
                    + "%d ms, 8 volumes %d ms (%.2fx)%n", rounds, p50(one), p50(eight), (double) p50(eight) / p50(one));
        } finally {
            for (TgtTarget t : targets) {
                t.close();
            }
        }
    }

    private long prepareOnB(List<TgtTarget> targets) throws Exception {
        StringBuilder volumes = new StringBuilder();
        for (int i = 0; i < targets.size(); i++) {
            TgtTarget t = targets.get(i);
            volumes.append(i == 0 ? "" : ", ").append("{\"volume_id\": \"").append(t.volumeId)
                    .append("\", \"connection_info\": ").append(t.connectionInfo()).append(", \"device\": \"sd")
                    .append((char) ('b' + i)).append("\", \"bus\": \"scsi\", \"path\": \"qemu\"}");
        }
        long t0 = System.nanoTime();
        HttpResponse<String> r = b.send("POST", "/v1/migrations/incoming", "{\"domain\": \"bench-prepare\", "
                + "\"volumes\": [" + volumes + "]}", authB());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(b.send("DELETE", "/v1/migrations/incoming/bench-prepare", null, authB()).statusCode()).isEqualTo(204);
        return ms;
    }

    private static JsonNode pollFast(AgentProcess agent, String location, String[] auth) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        JsonNode op;
        do {
            op = JSON.readTree(agent.get(location, auth).body());
            if (!op.path("state").asText().equals("running")) {
                return op;
            }
            Thread.sleep(5);
        } while (System.nanoTime() < end);
        return op;
    }

    private static long downtime(String jobInfo) {
        return jobInfo.lines().filter(l -> l.startsWith("Total downtime:")).map(l -> l.replaceAll("[^0-9]", ""))
                .mapToLong(Long::parseLong).findFirst().orElse(-1);
    }

    private static long p50(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
