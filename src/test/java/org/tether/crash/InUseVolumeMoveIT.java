package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.CephCluster;
import org.tether.lab.GuestWriter;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged agent in mode {@code both} with two file pools exported through tgt: a volume it exports to its
 * own host and a running domain uses (QEMU's iSCSI client, CHAP, iotune) moves to the other pool and back while
 * the guest keeps writing. The storage side exports the copy under a target of its own with its own CHAP account,
 * the compute side copies and pivots, the old copy and its target go. No write is lost (the volume equals the
 * writer's shadow), device, serial and QoS stay, and tgtd, the pools and libvirt's secrets hold only the volume's
 * current copy. A volume exported but attached to no domain here is refused, unchanged.
 */
class InUseVolumeMoveIT {
    private static final int PORT = 18112;
    private static final int SHADOW = 64 << 20;

    private Path dir;
    private Path fast;
    private Path slow;
    private TestDomain dom;
    private AgentProcess agent;
    private final java.util.List<String> created = new java.util.ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-inuse-move");
        fast = dir.resolve("fast");
        slow = dir.resolve("slow");
        dom = TestDomain.create(TestDomain.Kind.RUNNING);
    }

    private void start(String... extra) throws Exception {
        agent = new AgentProcess(PORT, dir.resolve("state"), Path.of("target/in-use-move.log").toAbsolutePath())
                .with(extra).with("-Dtether.mode=both", "-Dtether.storage.pools.fast.backend=file",
                        "-Dtether.storage.pools.fast.dir=" + fast, "-Dtether.storage.pools.slow.backend=file",
                        "-Dtether.storage.pools.slow.dir=" + slow, "-Dtether.storage.target.driver=tgt",
                        "-Dtether.storage.target.portals=127.0.0.1:3260",
                        "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve("tgt-conf.d"));
        agent.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            for (String id : created) {
                agent.delete("/v1/instances/" + dom.name + "/volumes/" + id);
                agent.delete("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator());
                agent.delete("/v1/volumes/" + id);
            }
            agent.close();
        }
        dom.close();
        // what a failed test (or a domain destroyed with its disk attached) leaves: secrets and targets of its volumes
        for (String id : created) {
            for (String line : Host.virsh("secret-list").lines().skip(2).toList()) {
                if (line.contains(id)) {
                    Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", line.strip().split("\\s+")[0]);
                }
            }
            for (String line : targets().lines().toList()) {
                if (line.startsWith("Target ") && line.contains(id)) {
                    Host.exec("tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "target", "--force", "--tid",
                            line.substring("Target ".length(), line.indexOf(':')));
                }
            }
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private String createVolume(String pool) throws Exception {
        String id = UUID.randomUUID().toString();
        created.add(id);
        AgentProcess.json(agent.post("/v1/volumes", "{\"id\": \"" + id + "\", \"size_gb\": 1, \"pool\": \"" + pool
                + "\", \"qos_specs\": {\"total_iops_sec\": \"900\"}}"), 201);
        return id;
    }

    private JsonNode export(String id) throws Exception {
        return AgentProcess.json(agent.put("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator(),
                agent.get("/v1/connector").body()), 200);
    }

    private static String targets() {
        return Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target");
    }

    @Test
    void anExportedVolumeInUseMovesToTheOtherPoolAndBackWhileTheGuestWritesAndNoWriteIsLost() throws Exception {
        start();
        String id = createVolume("fast");
        String plain = attached(id);
        String volume = "/v1/instances/" + dom.name + "/volumes/" + id;
        byte[] shadow = new byte[SHADOW];
        dom.hmp("qemu-io -d ua-" + id + " \"write -P 0x5a " + (SHADOW - GuestWriter.BLOCK) + " " + GuestWriter.BLOCK
                + "\"");
        Arrays.fill(shadow, SHADOW - GuestWriter.BLOCK, SHADOW, (byte) 0x5a);

        String first = moveWhileWriting(id, "slow", shadow, 0);
        assertThat(slow.resolve("volume-" + id)).exists();
        assertThat(fast.resolve("volume-" + id)).as("the old copy").doesNotExist();
        assertThat(first).startsWith(plain + "-m");
        assertThat(targets()).as("tgtd serves the copy only").contains(first).doesNotContain(plain + "\n");
        holdsExactly(slow.resolve("volume-" + id), shadow);

        String second = moveWhileWriting(id, "fast", shadow, 100_000);
        assertThat(second).startsWith(plain + "-m").isNotEqualTo(first);
        assertThat(targets()).contains(second).doesNotContain(first);
        assertThat(slow.resolve("volume-" + id)).doesNotExist();
        holdsExactly(fast.resolve("volume-" + id), shadow);
        assertThat(Host.secretUsages()).as("one secret for the volume: the current target's CHAP")
                .filteredOn(u -> u.contains(id)).hasSize(1);

        // it detaches and unexports as any volume: the target it has now goes, and with it the last of it on tgtd
        assertThat(agent.delete(volume).statusCode()).isEqualTo(204);
        assertThat(agent.delete("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator()).statusCode())
                .isEqualTo(204);
        assertThat(targets()).doesNotContain(id);
        assertThat(agent.delete("/v1/volumes/" + id).statusCode()).isEqualTo(204);
    }

    /**
     * Between transports: an exported volume in use moves from the file pool (tgt, CHAP) onto an RBD pool of the
     * lab Ceph (cephx, QEMU's librbd) and back, while the guest writes. The storage side makes the image, answers
     * the RBD connection_info as Cinder's RBD driver does, and once the guest reads the image removes the target,
     * its CHAP account and the file; back, the image goes. Nothing is lost either way.
     */
    @Test
    void anExportedVolumeInUseMovesOntoAnRbdPoolAndBackWhileTheGuestWrites() throws Exception {
        try (CephCluster ceph = CephCluster.start(6799, 3L << 30)) {
            UUID hostSecret = UUID.randomUUID();
            Path key = dir.resolve("cinder.key");
            Files.writeString(key, ceph.key() + "\n");
            Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            start("-Dtether.storage.pools.ceph.backend=rbd", "-Dtether.storage.pools.ceph.rbd-pool=" + CephCluster.POOL,
                    "-Dtether.storage.rbd.conf=" + ceph.conf, "-Dtether.storage.rbd.keyring=" + ceph.keyring,
                    "-Dtether.storage.rbd.secret-uuid=" + hostSecret, "-Dtether.ceph.secret-uuid=" + hostSecret,
                    "-Dtether.ceph.key-file=" + key);
            String id = createVolume("fast");
            try {
                String plain = attached(id);
                byte[] shadow = new byte[SHADOW];
                String image = CephCluster.POOL + "/volume-" + id;

                assertThat(moveWhileWriting(id, "ceph", shadow, 0)).isEqualTo(image);
                assertThat(dom.liveXml()).contains("protocol='rbd'").doesNotContain("protocol='iscsi' name='" + plain);
                assertThat(fast.resolve("volume-" + id)).as("the file").doesNotExist();
                assertThat(targets()).as("the target").doesNotContain(id);
                assertThat(Host.secretUsages()).as("no CHAP secret is left for it").noneMatch(u -> u.contains(id));
                Path exported = dir.resolve("image");
                ceph.rbd("export", "--no-progress", image, exported.toString());
                holdsExactly(exported, shadow);
                Files.delete(exported);

                String back = moveWhileWriting(id, "fast", shadow, 100_000);
                assertThat(back).startsWith(plain + "-m");
                assertThat(ceph.rbd("ls", CephCluster.POOL)).as("the image").doesNotContain(id);
                holdsExactly(fast.resolve("volume-" + id), shadow);
                assertThat(Host.secretUsages()).filteredOn(u -> u.contains(id)).hasSize(1);

                // detached and unexported, the agent moves it itself, through librbd: onto the RBD pool, then off
                // it onto the other file pool; what was never written is neither read nor written
                assertThat(agent.delete("/v1/instances/" + dom.name + "/volumes/" + id).statusCode()).isEqualTo(204);
                assertThat(agent.delete("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator()).statusCode())
                        .isEqualTo(204);
                JsonNode onto = agent.succeeded(agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \"ceph\"}"),
                        Duration.ofMinutes(3));
                assertThat(onto.path("pool").asText()).as(onto.toString()).isEqualTo("ceph");
                assertThat(onto.path("state").asText()).isEqualTo("available");
                assertThat(fast.resolve("volume-" + id)).as("the file").doesNotExist();
                ceph.rbd("export", "--no-progress", image, exported.toString());
                holdsExactly(exported, shadow);
                Files.delete(exported);
                long used = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ceph.rbd("du", "--format", "json", image)).path("images")
                        .get(0).path("used_size").asLong();
                assertThat(used).as("the image's objects: the shadow's, not the volume's size").isLessThanOrEqualTo(
                        SHADOW + (8L << 20));

                JsonNode off = agent.succeeded(agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \"slow\"}"),
                        Duration.ofMinutes(3));
                assertThat(off.path("pool").asText()).as(off.toString()).isEqualTo("slow");
                assertThat(ceph.rbd("ls", CephCluster.POOL)).as("the image").doesNotContain(id);
                holdsExactly(slow.resolve("volume-" + id), shadow);
            } finally {
                // while the cluster is up: the volume may be an image of it
                agent.delete("/v1/instances/" + dom.name + "/volumes/" + id);
                agent.delete("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator());
                agent.delete("/v1/volumes/" + id);
                agent.close();
                agent = null;
                Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", hostSecret.toString());
            }
        }
    }

    @Test
    void aVolumeExportedButAttachedToNoDomainHereIsRefusedUnchanged() throws Exception {
        start();
        String id = createVolume("fast");
        export(id);
        HttpResponse<String> accepted = agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \"slow\"}");
        JsonNode failed = agent.finished(accepted.headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(1));
        assertThat(failed.path("result").path("code").asText()).as(failed.toString()).isEqualTo("volume_busy");
        assertThat(failed.path("result").path("detail").asText()).contains("attached to no domain");
        JsonNode v = AgentProcess.json(agent.get("/v1/volumes/" + id), 200);
        assertThat(v.path("pool").asText()).isEqualTo("fast");
        assertThat(v.path("state").asText()).isEqualTo("available");
        assertThat(slow.resolve("volume-" + id)).doesNotExist();
        assertThat(agent.delete("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator()).statusCode())
                .isEqualTo(204);
        assertThat(agent.delete("/v1/volumes/" + id).statusCode()).isEqualTo(204);
    }

    /**
     * The copy capped at 1 MiB/s ({@code copy-bps-limit}) so that each fault lands mid-copy: the move cancelled
     * through the compute side's move, and the agent killed (SIGKILL) while QEMU copies. Each time the guest stays on
     * the volume where it was, which it goes on writing, and nothing of the copy is left: no file in the other pool,
     * no target on tgtd, no libvirt secret, no copy job.
     */
    @Test
    void aMoveCancelledOrWhoseAgentIsKilledLeavesTheGuestOnItsVolumeWhereItWas() throws Exception {
        start("-Dtether.storage.copy-bps-limit=1048576");
        String id = createVolume("fast");
        String plain = attached(id);
        dom.hmp("qemu-io -d ua-" + id + " \"write -P 0x11 0 32M\"");

        String op = moveUnderWay(id);
        assertThat(agent.delete("/v1/instances/" + dom.name + "/volumes/" + id + "/move").statusCode()).isEqualTo(202);
        JsonNode cancelled = agent.finished(op, Duration.ofMinutes(1));
        assertThat(cancelled.path("result").path("code").asText()).as(cancelled.toString()).isEqualTo("move_failed");
        staysWhereItWas(id, plain, (byte) 0x22);

        moveUnderWay(id);
        agent.kill();
        agent.start();
        staysWhereItWas(id, plain, (byte) 0x33);
        assertThat(Host.run("virsh", "-c", "qemu:///system", "blockjob", dom.name, "sda", "--info"))
                .as("no copy left running").doesNotContain("Block Copy");
    }

    /**
     * A storage agent and the compute agent of the host its volume is exported to, each its own process (mode
     * storage, mode compute): the storage agent has the compute agent move the guest onto the copy through its API.
     * With the compute agent down a move is refused (503) and changes nothing; the storage agent killed mid-copy
     * leaves the compute agent to finish its part: back while the compute agent still copies, the storage agent
     * waits for it, then finishes the move from what it says (the guest reads the copy).
     */
    @Test
    void aStorageAgentHasTheComputeAgentOfTheHostMoveTheGuestAndFinishesTheMoveAfterItsOwnCrash() throws Exception {
        Path computeState = dir.resolve("compute-state");
        try (AgentProcess compute = new AgentProcess(PORT + 2, computeState,
                Path.of("target/in-use-move-compute.log").toAbsolutePath())) {
            compute.start();
            agent = new AgentProcess(PORT, dir.resolve("state"), Path.of("target/in-use-move.log").toAbsolutePath())
                    .with("-Dtether.mode=storage", "-Dtether.storage.pools.fast.backend=file",
                            "-Dtether.storage.pools.fast.dir=" + fast, "-Dtether.storage.pools.slow.backend=file",
                            "-Dtether.storage.pools.slow.dir=" + slow, "-Dtether.storage.target.driver=tgt",
                            "-Dtether.storage.target.portals=127.0.0.1:3260",
                            "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve("tgt-conf.d"),
                            "-Dtether.storage.copy-bps-limit=67108864", "-Dtether.attach.settle-interval=2s",
                            "-Dtether.storage.compute-agents.host1.url=http://127.0.0.1:" + (PORT + 2),
                            "-Dtether.storage.compute-agents.host1.initiators=" + TgtTarget.hostInitiator());
            agent.start();
            String id = createVolume("fast");
            JsonNode info = AgentProcess.json(agent.put("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator(),
                    compute.get("/v1/connector").body()), 200);
            String plain = info.path("data").path("target_iqn").asText();
            AgentProcess.json(compute.put("/v1/instances/" + dom.name + "/volumes/" + id, "{\"connection_info\": "
                    + info + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}"), 200);
            dom.hmp("qemu-io -d ua-" + id + " \"write -P 0x11 0 32M\"");

            compute.stop();
            JsonNode refused = agent.finished(agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \"slow\"}")
                    .headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(1));
            assertThat(refused.path("result").path("code").asText()).as(refused.toString())
                    .isEqualTo("compute_agent_unavailable");
            assertThat(AgentProcess.json(agent.get("/v1/volumes/" + id), 200).path("state").asText())
                    .isEqualTo("available");
            assertThat(slow.resolve("volume-" + id)).doesNotExist();
            compute.start();

            HttpResponse<String> accepted = agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \"slow\"}");
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            NeighbourRestartIT.await(() -> copying(compute, id), 30, "the copy under way on the compute side");
            agent.kill();
            agent.start(); // while the compute agent still copies: it waits for it
            assertThat(AgentProcess.json(compute.get("/v1/attachments"), 200).get(0).path("state").asText())
                    .as("the compute agent still moving when the storage agent is back").isEqualTo("moving");
            NeighbourRestartIT.await(() -> {
                try {
                    // swapped (available in the new pool), then the old copy removed: a settle pass does both
                    JsonNode v = AgentProcess.json(agent.get("/v1/volumes/" + id), 200);
                    return v.path("state").asText().equals("available") && v.path("pool").asText().equals("slow")
                            && !Files.exists(fast.resolve("volume-" + id));
                } catch (Exception e) {
                    return false;
                }
            }, 120, "the storage agent's move finished once the compute agent's was");
            assertThat(Files.readString(Path.of("target/in-use-move.log"))).as("it waited for the compute agent")
                    .contains("compute agent host1 (http://127.0.0.1:" + (PORT + 2) + ") has not settled it yet");
            assertThat(fast.resolve("volume-" + id)).as("the old copy").doesNotExist();
            assertThat(targets()).contains(plain + "-m").doesNotContain(plain + "\n");
            String live = dom.liveXml();
            assertThat(live).contains(plain + "-m").contains("<total_iops_sec>900</total_iops_sec>");
            dom.hmp("qemu-io -d ua-" + id + " \"write -P 0x22 0 4096\"");
            try (var f = new java.io.RandomAccessFile(slow.resolve("volume-" + id).toFile(), "r")) {
                byte[] b = new byte[4096];
                f.readFully(b);
                assertThat(b).containsOnly((byte) 0x22);
                f.seek(16 << 20);
                f.readFully(b);
                assertThat(b).as("the data written before the move").containsOnly((byte) 0x11);
            }
            // and back, the storage agent following the compute agent's move to its end, while the guest writes
            byte[] shadow = new byte[SHADOW];
            try (var f = new java.io.RandomAccessFile(slow.resolve("volume-" + id).toFile(), "r")) {
                f.readFully(shadow);
            }
            try (GuestWriter w = new GuestWriter(dom, "ua-" + id, shadow, 0)) {
                JsonNode back = agent.succeeded(agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \"fast\"}"),
                        Duration.ofMinutes(3));
                assertThat(back.path("pool").asText()).isEqualTo("fast");
                assertThat(w.written.get()).as("writes during the move").isGreaterThan(5);
            }
            holdsExactly(fast.resolve("volume-" + id), shadow);
            assertThat(slow.resolve("volume-" + id)).doesNotExist();
            assertThat(compute.delete("/v1/instances/" + dom.name + "/volumes/" + id).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator()).statusCode())
                    .isEqualTo(204);
            assertThat(targets()).doesNotContain(id);
        }
    }

    private boolean copying(AgentProcess compute, String id) {
        try {
            HttpResponse<String> p = compute.get("/v1/instances/" + dom.name + "/volumes/" + id + "/move");
            return p.statusCode() == 200 && AgentProcess.json(p, 200).path("copied_bytes").asLong() > 0;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * The storage-driven move against its floor in the same run: {@code virsh blockcopy --reuse-external
     * --transient-job --wait --pivot} of the same attached 1 GiB volume (random data) onto a new empty target
     * (a sparse file behind tgt, as Tether's copy is) made and exported by hand beforehand (its CHAP secret defined
     * outside the time), beside {@code POST
     * /v1/volumes/{id}/migrate} to the other pool, to its operation's end: the copy made and exported under its own
     * target and account, the guest's block copy and pivot, the old connection, target, account and copy gone.
     * Run by {@code lab/bench-move.sh}; prints figures, asserts nothing about them.
     */
    @Test
    @org.junit.jupiter.api.Tag("benchmark")
    void benchAgainstVirshBlockcopy() throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 5);
        long size = 1L << 30;
        start();
        String id = UUID.randomUUID().toString();
        created.add(id);
        AgentProcess.json(agent.post("/v1/volumes", "{\"id\": \"" + id + "\", \"size_gb\": 1, \"pool\": \"fast\"}"),
                201);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(fast.resolve("volume-" + id).toFile(), "rw")) {
            byte[] mib = new byte[1 << 20];
            java.util.SplittableRandom random = new java.util.SplittableRandom(7);
            for (long off = 0; off < size; off += mib.length) {
                random.nextBytes(mib);
                f.write(mib);
            }
        }
        attached(id);
        try {
            java.util.List<Long> floor = new java.util.ArrayList<>();
            java.util.List<Long> tether = new java.util.ArrayList<>();
            String[] pools = {"slow", "fast"};
            for (int i = 0; i < 2 * rounds; i++) {
                if (i % 2 == 0) { // alternately, so that neither always follows the other's writes
                    // back afterwards onto the volume's own target as its export answers it now (not timed)
                    JsonNode now = export(id).path("data");
                    String usage = "bench-back-" + i;
                    String backSecret = TgtTarget.defineSecret(dir, usage, now.path("auth_password").asText());
                    Path back = dir.resolve("back.xml");
                    Files.writeString(back, TgtTarget.diskXml(now.path("target_iqn").asText(),
                            now.path("target_lun").asInt(), now.path("auth_username").asText(), usage));
                    // onto a new, empty target each time, as Tether's copy is: a new sparse file behind tgt
                    try (TgtTarget onto = TgtTarget.create(dir, true, size)) {
                        String ontoSecret = onto.defineSecret(dir, "bench-floor-" + i);
                        Path floorXml = dir.resolve("floor-disk.xml");
                        Files.writeString(floorXml, onto.diskXml("bench-floor-" + i));
                        long t0 = System.nanoTime();
                        blockcopy(floorXml);
                        floor.add((System.nanoTime() - t0) / 1_000_000);
                        blockcopy(back);
                        Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", ontoSecret);
                        Files.delete(onto.file);
                    }
                    Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", backSecret);
                } else {
                    long t0 = System.nanoTime();
                    JsonNode moved = agent.succeeded(agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \""
                            + pools[(i / 2) % 2] + "\"}"), Duration.ofMinutes(5));
                    tether.add((System.nanoTime() - t0) / 1_000_000);
                    assertThat(moved.path("pool").asText()).isEqualTo(pools[(i / 2) % 2]);
                }
            }
            long f = p50(floor);
            long t = p50(tether);
            System.out.printf("storage-driven move of an attached, exported 1 GiB volume (random data, tgt, QEMU's "
                            + "client), p50 of %d (ms):%n  virsh blockcopy %5d (%4d MiB/s), Tether %5d (%4d MiB/s): "
                            + "throughput %.2fx; best %d vs %d  [floor %s, Tether %s]%n", rounds, f, 1_024_000 / f, t,
                    1_024_000 / t, (double) f / t, java.util.Collections.min(floor), java.util.Collections.min(tether),
                    floor, tether);
            System.out.println("  the compute side's steps, all moves (s): " + agent.get("/q/metrics").body().lines()
                    .filter(l -> l.startsWith("tether_move_step_seconds_sum") || l.startsWith("tether_move_seconds_sum"))
                    .map(l -> l.replaceAll(".*step=\"([a-z_]+)\".*} (.*)", "$1 $2")).toList());
        } finally {
            agent.delete("/v1/instances/" + dom.name + "/volumes/" + id);
        }
    }

    private void blockcopy(Path destination) {
        Host.run("virsh", "-c", "qemu:///system", "blockcopy", dom.name, "sda", "--xml", destination.toString(),
                "--reuse-external", "--transient-job", "--wait", "--pivot");
    }

    private static long p50(java.util.List<Long> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    /** Exported to this host and attached to the domain on QEMU's client; returns the target's name. */
    private String attached(String id) throws Exception {
        JsonNode info = export(id);
        AgentProcess.json(agent.put("/v1/instances/" + dom.name + "/volumes/" + id, "{\"connection_info\": " + info
                + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}"), 200);
        return info.path("data").path("target_iqn").asText();
    }

    /** A move to the slow pool, returned once QEMU copies: its operation's location. */
    private String moveUnderWay(String id) throws Exception {
        HttpResponse<String> accepted = agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \"slow\"}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        NeighbourRestartIT.await(() -> {
            try {
                HttpResponse<String> p = agent.get("/v1/instances/" + dom.name + "/volumes/" + id + "/move");
                return p.statusCode() == 200 && AgentProcess.json(p, 200).path("copied_bytes").asLong() > 0;
            } catch (Exception e) {
                return false;
            }
        }, 30, "the copy under way");
        JsonNode v = AgentProcess.json(agent.get("/v1/volumes/" + id), 200);
        assertThat(v.path("state").asText()).isEqualTo("migrating");
        assertThat(targets()).contains(plain(id) + "-m");
        return accepted.headers().firstValue("Location").orElseThrow();
    }

    private static String plain(String id) {
        return "iqn.2010-10.org.openstack:volume-" + id;
    }

    /** The guest reads and writes the volume in the fast pool through its own target; nothing of the copy is left. */
    private void staysWhereItWas(String id, String plain, byte pattern) throws Exception {
        JsonNode v = AgentProcess.json(agent.get("/v1/volumes/" + id), 200);
        assertThat(v.path("state").asText()).as(v.toString()).isEqualTo("available");
        assertThat(v.path("pool").asText()).isEqualTo("fast");
        assertThat(slow.resolve("volume-" + id)).as("the copy").doesNotExist();
        assertThat(targets()).contains(plain).doesNotContain(plain + "-m");
        assertThat(dom.liveXml()).contains(plain + "/1");
        assertThat(Host.secretUsages()).filteredOn(u -> u.contains(id)).hasSize(1);
        JsonNode attachments = AgentProcess.json(agent.get("/v1/attachments"), 200);
        assertThat(attachments.get(0).path("state").asText()).isEqualTo("attached");
        dom.hmp("qemu-io -d ua-" + id + " \"write -P 0x" + Integer.toHexString(pattern) + " 0 4096\"");
        try (var f = new java.io.RandomAccessFile(fast.resolve("volume-" + id).toFile(), "r")) {
            byte[] b = new byte[4096];
            f.readFully(b);
            assertThat(b).containsOnly(pattern);
            f.seek(16 << 20);
            f.readFully(b);
            assertThat(b).as("the data written before the move").containsOnly((byte) 0x11);
        }
    }

    /**
     * Moves the volume while the guest writes; returns the export its disk reads afterwards (a target's name, or
     * an RBD image's pool/image).
     */
    private String moveWhileWriting(String id, String pool, byte[] shadow, int first) throws Exception {
        JsonNode moved;
        try (GuestWriter w = new GuestWriter(dom, "ua-" + id, shadow, first)) {
            int before = w.written.get();
            moved = agent.succeeded(agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\": \"" + pool + "\"}"),
                    Duration.ofMinutes(3));
            assertThat(w.written.get() - before).as("writes during the move").isGreaterThan(5);
        }
        assertThat(moved.path("pool").asText()).as(moved.toString()).isEqualTo(pool);
        assertThat(moved.path("state").asText()).isEqualTo("available");
        JsonNode attachments = AgentProcess.json(agent.get("/v1/attachments"), 200);
        assertThat(attachments).hasSize(1);
        assertThat(attachments.get(0).path("state").asText()).isEqualTo("attached");
        String live = dom.liveXml();
        // an iSCSI target's name (its LUN follows), or an RBD image's pool/image
        String source = live.replaceAll("(?s).*<source protocol=[^>]* name='([^']*volume-" + id + "[^'/]*)(/1)?'.*",
                "$1");
        assertThat(live).contains("<total_iops_sec>900</total_iops_sec>").contains("<serial>" + id)
                .contains("dev='sda'");
        assertThat(dom.persistentXml()).as("the definition names the copy too").contains("name='" + source);
        return source;
    }

    /** The volume reads the shadow over its first bytes, and zeros after. */
    private static void holdsExactly(Path file, byte[] shadow) throws Exception {
        assertThat(Files.size(file)).isEqualTo(1L << 30);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(shadow.length);
            assertThat(Arrays.equals(head, shadow)).as("every write is on the volume").isTrue();
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != 0) {
                        throw new AssertionError("the volume holds data the guest never wrote, past its writes");
                    }
                }
            }
        }
    }
}
