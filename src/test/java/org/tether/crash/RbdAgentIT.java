package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.CephCluster;
import org.tether.lab.Digests;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ceph RBD through the packaged agent as its own process, in {@code both} mode: the storage half makes RBD
 * images and answers Cinder's RBD connection_info, which goes unchanged to the compute half; QEMU's librbd
 * writes, {@code rbd export} reads. One real single-node Ceph for the class; its monitor is stopped and
 * started again by the test.
 */
class RbdAgentIT {
    private static final int MON_PORT = 6792;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static CephCluster ceph;

    @TempDir
    Path dir;

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

    private AgentProcess agent(UUID hostSecret) throws Exception {
        return agent(hostSecret, "state");
    }

    private AgentProcess agent(UUID hostSecret, String state) throws Exception {
        Path key = dir.resolve("cinder.key");
        Files.writeString(key, ceph.key() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        // the unit's JVM: librados builds its option table on the calling thread's stack (512 KiB was too little)
        return new AgentProcess(18098, dir.resolve(state), dir.resolve(state.equals("state") ? "agent.log" : state + ".log")).with(AgentProcess.unitJvmOptions()).with(
                "-Dtether.mode=both", "-Dtether.storage.backend=rbd",
                "-Dtether.storage.rbd.conf=" + ceph.conf, "-Dtether.storage.rbd.keyring=" + ceph.keyring,
                "-Dtether.storage.rbd.secret-uuid=" + hostSecret, "-Dtether.storage.rbd.max-clone-depth=1",
                "-Dtether.ceph.secret-uuid=" + hostSecret, "-Dtether.ceph.key-file=" + key);
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    private static String volume(UUID id, int gb) {
        return "{\"id\": \"" + id + "\", \"size_gb\": " + gb + "}";
    }


    /** qemu-img writes the data regions of a local raw file into an existing RBD image (holes stay unwritten). */
    private void writeInto(UUID vol, Path raw) {
        Host.run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", raw.toString(), "rbd:volumes/volume-" + vol
                + ":id=cinder:conf=" + ceph.conf + ":keyring=" + ceph.keyring);
    }

    /** {@code len} random bytes at {@code offset}, written in place into the RBD image and into the local copy. */
    private void writeAt(UUID vol, Path raw, long offset, int len, java.util.SplittableRandom random) throws Exception {
        byte[] data = new byte[len];
        random.nextBytes(data);
        Path part = dir.resolve("part.bin");
        Files.write(part, data);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.seek(offset);
            f.write(data);
        }
        Host.run("qemu-io", "-f", "raw", "-c", "write -q -s " + part + " " + offset + " " + len, "rbd:volumes/volume-"
                + vol + ":id=cinder:conf=" + ceph.conf + ":keyring=" + ceph.keyring);
        Files.delete(part);
    }

    private JsonNode backup(AgentProcess agent, UUID vol, String body) throws Exception {
        HttpResponse<String> accepted = agent.post("/v1/volumes/" + vol + "/backups", body);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode op = agent.finished(accepted.headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(2));
        assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("succeeded");
        return op.path("result");
    }

    /** The SHA-256 of a new RBD volume the backup is restored into (read with {@code rbd export}); deleted after. */
    private String restoredDigest(AgentProcess agent, JsonNode backup) throws Exception {
        HttpResponse<String> accepted = agent.post("/v1/backups/" + backup.path("id").asText() + "/restore", "{}");
        JsonNode op = agent.finished(accepted.headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(2));
        assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("succeeded");
        String restored = op.path("result").path("id").asText();
        Path out = dir.resolve("restored-" + restored);
        ceph.rbd("export", "--no-progress", "volumes/volume-" + restored, out.toString());
        try {
            return Digests.sha256(out);
        } finally {
            Files.delete(out);
            assertThat(agent.delete("/v1/volumes/" + restored).statusCode()).isEqualTo(204);
        }
    }

    private String snapshots(UUID vol) {
        return ceph.rbd("snap", "ls", "volumes/volume-" + vol);
    }

    /**
     * Backups of an RBD volume into a {@code rados} store, a pool of its own reached as a user that can reach
     * nothing else (as cinder-backup's Ceph driver keeps backups), the volume read in place at a snapshot through
     * the agent's librados session: a full reads only the objects ever written; its snapshot stays as the base of
     * the next, which reads only the objects changed since (librbd's diff between the two snapshots, as Cinder's
     * Ceph driver's {@code export-diff --from-snap}); without that base an incremental reads everything again and
     * is still right; each restore (into a new RBD image, through librbd) holds the volume's content as it was at
     * its backup; deleting the volume removes the base it keeps. The pool holds one object per chunk and manifest
     * in the store's namespace, and nothing once the backups are deleted; a fresh agent with an empty state
     * directory lists the backups from the pool and restores one, and a store whose pool does not exist is named.
     */
    @Test
    void anRbdVolumeIsBackedUpReadingOnlyWhatChangedSinceItsLastBackupAndRestoredByteForByte() throws Exception {
        Path store = dir.resolve("backups");
        Path raw = dir.resolve("content.raw");
        byte[] mib = new byte[1 << 20];
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(1L << 30);
            for (int i = 0; i < 24; i++) { // 24 MiB at the start: six objects
                random.nextBytes(mib);
                f.write(mib);
            }
            f.seek(500L << 20); // and 1 MiB in the object that starts at 500 MiB
            random.nextBytes(mib);
            f.write(mib);
        }
        UUID vol = UUID.randomUUID();
        // storage mode alone: the compute side would make the host's ceph secret, which later tests must not find
        Path backupKeyring = ceph.backupPool();
        String[] stores = {"-Dtether.backup.stores.local.path=" + store,
                "-Dtether.backup.stores.pool.type=rados", "-Dtether.backup.stores.pool.conf=" + ceph.conf,
                "-Dtether.backup.stores.pool.keyring=" + backupKeyring, "-Dtether.backup.stores.pool.prefix=site-a/",
                "-Dtether.backup.stores.pool.timeout=15s", "-Dtether.backup.default-store=pool"};
        JsonNode full;
        JsonNode again;
        JsonNode discarded;
        JsonNode grown;
        try (AgentProcess agent = agent(UUID.randomUUID()).with("-Dtether.mode=storage").with(stores)) {
            agent.start();
            json(agent.post("/v1/volumes", volume(vol, 1)), 201);
            writeInto(vol, raw);
            String atFull = Digests.sha256(raw);
            full = backup(agent, vol, "{}");
            assertThat(full.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(raw, 4 << 20));
            assertThat(full.path("bytes_read").asLong()).as("seven 4 MiB objects were ever written").isEqualTo(28L << 20);
            assertThat(snapshots(vol)).as("the backup's snapshot stays as the next one's base")
                    .doesNotContain("snapshot-").contains("backup-" + full.path("id").asText());

            writeAt(vol, raw, 200L << 20, 1 << 20, random); // a new object
            writeAt(vol, raw, 5L << 20, 4096, random);      // 4 KiB into the second
            String atIncremental = Digests.sha256(raw);
            JsonNode inc = backup(agent, vol, "{\"incremental\": true}");
            assertThat(inc.path("parent_id").asText()).isEqualTo(full.path("id").asText());
            assertThat(inc.path("bytes_read").asLong()).as("the two objects changed since the full, of eight")
                    .isEqualTo(8L << 20);
            assertThat(inc.path("content_sha256").asText()).as("the unchanged chunks taken from the full are the "
                    + "volume's").isEqualTo(Digests.contentSha256(raw, 4 << 20));
            assertThat(inc.path("bytes_stored").asLong()).as("two new chunks of random data").isBetween(1L << 20, 6L << 20);
            assertThat(inc.path("store").asText()).isEqualTo("pool");
            List<String> objects = ceph.radosBackups("tether-backups", "ls").lines().toList();
            assertThat(objects).as("a chunk per data chunk (seven, two new) and the two manifests").hasSize(11)
                    .contains("site-a/manifests/" + full.path("id").asText() + ".json")
                    .allMatch(o -> o.startsWith("site-a/chunks/") || o.startsWith("site-a/manifests/"));
            assertThat(ceph.radosBackups("", "ls")).as("the pool's default namespace stays empty").isBlank();
            assertThat(snapshots(vol)).as("one base per volume, the latest backup's")
                    .contains("backup-" + inc.path("id").asText()).doesNotContain("backup-" + full.path("id").asText());

            assertThat(restoredDigest(agent, full)).isEqualTo(atFull);
            assertThat(restoredDigest(agent, inc)).isEqualTo(atIncremental);

            assertThat(agent.delete("/v1/backups/" + inc.path("id").asText()).statusCode()).isEqualTo(204);
            assertThat(snapshots(vol)).as("a deleted backup's base goes with it").doesNotContain("backup-");
            writeAt(vol, raw, 5L << 20, 4096, random);
            again = backup(agent, vol, "{\"incremental\": true}");
            assertThat(again.path("parent_id").asText()).isEqualTo(full.path("id").asText());
            assertThat(again.path("bytes_read").asLong()).as("no base left: every written object is read")
                    .isEqualTo(32L << 20);
            assertThat(again.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(raw, 4 << 20));
            assertThat(again.path("bytes_stored").asLong()).as("the chunk changed again, and the new object's, "
                    + "collected with the incremental").isBetween(5L << 20, 6L << 20);

            // one diff against the base answers both what changed and what holds data: an object discarded since
            // is recorded as never written, the unchanged ones are the parent's, nothing else is read
            Host.run("qemu-io", "-f", "raw", "-c", "discard -q " + (500L << 20) + " " + (4 << 20),
                    "rbd:volumes/volume-" + vol + ":id=cinder:conf=" + ceph.conf + ":keyring=" + ceph.keyring);
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
                f.seek(500L << 20);
                f.write(new byte[4 << 20]);
            }
            writeAt(vol, raw, 12L << 20, 4096, random);
            discarded = backup(agent, vol, "{\"incremental\": true}");
            assertThat(discarded.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(raw, 4 << 20));
            assertThat(discarded.path("bytes_read").asLong()).as("only the object written since").isEqualTo(4L << 20);
            assertThat(restoredDigest(agent, discarded)).isEqualTo(Digests.sha256(raw));
            // grown since its base: the new end is not the base's, and what holds data there is asked for
            json(agent.post("/v1/volumes/" + vol + "/extend", "{\"new_size_gb\": 2}"), 200);
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
                f.setLength(2L << 30);
            }
            writeAt(vol, raw, (1L << 30) + (8L << 20), 4096, random);
            grown = backup(agent, vol, "{\"incremental\": true}");
            assertThat(grown.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(raw, 4 << 20));
            assertThat(grown.path("bytes_read").asLong()).as("the one object written past the old end")
                    .isEqualTo(4L << 20);
            assertThat(restoredDigest(agent, grown)).isEqualTo(Digests.sha256(raw));

            assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).as("the volume goes with its base")
                    .isEqualTo(204);
            assertThat(ceph.rbd("ls", "volumes")).doesNotContain("volume-" + vol);
        }

        // a fresh host, its state directory empty, pointed at the same pool (and at one that does not exist)
        try (AgentProcess fresh = agent(UUID.randomUUID(), "fresh-state").with("-Dtether.mode=storage").with(stores)
                .with("-Dtether.backup.stores.gone.type=rados", "-Dtether.backup.stores.gone.pool=absent",
                        "-Dtether.backup.stores.gone.conf=" + ceph.conf,
                        "-Dtether.backup.stores.gone.keyring=" + backupKeyring)) {
            fresh.start();
            JsonNode listed = json(fresh.get("/v1/backups?store=pool"), 200);
            assertThat(listed.findValuesAsText("id")).containsExactlyInAnyOrder(full.path("id").asText(),
                    again.path("id").asText(), discarded.path("id").asText(), grown.path("id").asText());
            HttpResponse<String> all = fresh.get("/v1/backups");
            assertThat(all.statusCode()).as(all.body()).isEqualTo(503);
            assertThat(all.body()).contains("backup_store_unavailable").contains("gone").contains("no such pool");
            assertThat(restoredDigest(fresh, grown)).isEqualTo(Digests.sha256(raw));
            for (JsonNode b : List.of(grown, discarded, again)) { // the latest first: an earlier one has dependents
                assertThat(fresh.delete("/v1/backups/" + b.path("id").asText()).statusCode()).isEqualTo(204);
            }
            assertThat(fresh.delete("/v1/backups/" + full.path("id").asText()).statusCode()).isEqualTo(204);
            assertThat(ceph.radosBackups("tether-backups", "ls")).as("every chunk collected").isBlank();
        }
    }

    @Test
    void aVolumeFromAnImageIsWrittenByQemuImgIntoRbdAndTheNextIsAFlattenedCloneOfTheCacheEntry() throws Exception {
        Path images = dir.resolve("images");
        Files.createDirectories(images);
        Path raw = images.resolve("disk.raw");
        byte[] data = new byte[1 << 20];
        java.util.Arrays.fill(data, (byte) 0x6d);
        Files.write(raw, data);
        Path qcow2 = images.resolve("disk.qcow2");
        Host.run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(qcow2))); // a URL is cached only when a hash vouches for its content
        UUID hostSecret = UUID.randomUUID();
        try (AgentProcess agent = agent(hostSecret).with("-Dtether.storage.images.file-dir=" + images,
                "-Dtether.storage.images.scratch-dir=" + dir.resolve("scratch"),
                "-Dtether.storage.images.scratch-reserve-mb=16")) {
            agent.start();
            List<String> before = ceph.rbd("ls", "volumes").lines().toList();
            List<UUID> made = new java.util.ArrayList<>();
            for (int gb : new int[] {1, 2}) {
                UUID vol = UUID.randomUUID();
                HttpResponse<String> accepted = agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": " + gb
                        + ", \"source\": {\"image\": {\"url\": \"" + qcow2.toUri() + "\", \"disk_format\": \"qcow2\", \"sha256\": \"" + sha + "\"}}}");
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                String op = accepted.headers().firstValue("Location").orElseThrow();
                JsonNode state = agent.finished(op, java.time.Duration.ofSeconds(60));
                assertThat(state.path("status").asInt()).as(state.toString()).isEqualTo(201);
                assertThat(ceph.read("volume-" + vol, 0, 65536)).containsOnly((byte) 0x6d);
                assertThat(ceph.rbd("info", "--format", "json", "volumes/volume-" + vol))
                        .contains("\"size\":" + ((long) gb << 30)).doesNotContain("\"parent\"");
                made.add(vol);
            }
            String listing = ceph.rbd("ls", "volumes");
            assertThat(listing.lines().filter(l -> l.startsWith("volume-") && !before.contains(l)).count())
                    .as("two volumes and one cache entry: " + listing).isEqualTo(3);
            for (UUID vol : made) {
                assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
            }
        } finally {
            // the host's cephx secret the agent made at start: one per usage, so the next test could not make its own
            Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", hostSecret.toString());
        }
    }

    @Test
    void aVolumeMadeExportedAndAttachedThroughTheAgentHoldsWhatTheGuestWrote() throws Exception {
        UUID hostSecret = UUID.randomUUID();
        try (AgentProcess agent = agent(hostSecret); TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
            agent.start();
            assertThat(agent.get("/q/health/ready").statusCode()).as(agent.get("/q/health/ready").body())
                    .isEqualTo(200);
            assertThat(Host.virsh("secret-list")).as("the host's cephx secret made at start from its key file")
                    .contains(hostSecret.toString());
            assertThat(Host.virsh("secret-dumpxml", hostSecret.toString())).contains("private='yes'");

            UUID vol = UUID.randomUUID();
            json(agent.post("/v1/volumes", volume(vol, 1)), 201);
            assertThat(ceph.rbd("info", "--format", "json", "volumes/volume-" + vol)).contains("\"size\":1073741824")
                    .contains("layering");
            String connector = agent.get("/v1/connector").body();
            JsonNode info = json(agent.put("/v1/volumes/" + vol + "/exports/" + initiator(connector), connector), 200);
            assertThat(info.path("driver_volume_type").asText()).isEqualTo("rbd");
            JsonNode data = info.path("data");
            assertThat(data.path("name").asText()).isEqualTo("volumes/volume-" + vol);
            assertThat(data.path("hosts").toString()).isEqualTo("[\"127.0.0.1\"]");
            assertThat(data.path("ports").toString()).isEqualTo("[\"" + MON_PORT + "\"]");
            assertThat(data.path("auth_username").asText()).isEqualTo("cinder");
            assertThat(data.path("secret_uuid").asText()).isEqualTo(hostSecret.toString());
            assertThat(data.hasNonNull("keyring")).as("no key on the wire unless configured").isFalse();

            // the connection_info goes unchanged to the compute half
            JsonNode att = json(agent.put("/v1/instances/" + dom.name + "/volumes/" + vol,
                    "{\"connection_info\": " + info + ", \"bus\": \"scsi\"}"), 200);
            String dev = att.path("device").asText();
            dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x5c 0 65536\"");
            assertThat(ceph.read("volume-" + vol, 0, 65536)).containsOnly((byte) 0x5c);

            // someone removes the host's secret: reconciliation reports it and makes it again from the key file
            Host.virsh("secret-undefine", hostSecret.toString());
            HttpResponse<String> pass = agent.post("/v1/reconciliation", "{}");
            assertThat(pass.statusCode()).as(pass.body()).isEqualTo(200);
            assertThat(pass.body()).contains("secret_missing").contains("made again");
            assertThat(Host.virsh("secret-list")).contains(hostSecret.toString());

            // a snapshot, then a later write: the clone holds the snapshot's bytes, not the later ones
            UUID snap = UUID.randomUUID();
            json(agent.post("/v1/volumes/" + vol + "/snapshots", "{\"id\": \"" + snap + "\"}"), 201);
            dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x77 0 65536\"");
            UUID clone = UUID.randomUUID();
            json(agent.post("/v1/volumes", "{\"id\": \"" + clone + "\", \"size_gb\": 2, \"source\": {\"snapshot_id\": \""
                    + snap + "\"}}"), 201);
            assertThat(ceph.read("volume-" + clone, 0, 65536)).containsOnly((byte) 0x5c);
            assertThat(ceph.rbd("info", "--format", "json", "volumes/volume-" + clone)).contains("\"parent\"")
                    .contains("\"size\":2147483648");

            // a clone of a clone would be 2 deep, past max-clone-depth 1: it is flattened, with the same bytes
            UUID snap2 = UUID.randomUUID();
            json(agent.post("/v1/volumes/" + clone + "/snapshots", "{\"id\": \"" + snap2 + "\"}"), 201);
            UUID grand = UUID.randomUUID();
            json(agent.post("/v1/volumes", "{\"id\": \"" + grand + "\", \"size_gb\": 2, \"source\": {\"snapshot_id\": \""
                    + snap2 + "\"}}"), 201);
            assertThat(ceph.rbd("info", "--format", "json", "volumes/volume-" + grand)).doesNotContain("\"parent\"");
            assertThat(ceph.read("volume-" + grand, 0, 65536)).containsOnly((byte) 0x5c);

            // capacity from the pool's statistics
            JsonNode pool = json(agent.get("/v1/pool"), 200);
            assertThat(pool.path("backend").asText()).isEqualTo("rbd");
            assertThat(pool.path("total_bytes").asLong()).isPositive();
            assertThat(pool.path("free_bytes").asLong()).isPositive().isLessThanOrEqualTo(pool.path("total_bytes").asLong());

            // a snapshot with a clone is refused, naming the clone
            HttpResponse<String> snapBusy = agent.delete("/v1/snapshots/" + snap);
            assertThat(snapBusy.statusCode()).as(snapBusy.body()).isEqualTo(409);
            assertThat(snapBusy.body()).contains("volumes/volume-" + clone);

            // extend on the storage side, then on the compute side: the guest's disk grows
            json(agent.post("/v1/volumes/" + vol + "/extend", "{\"new_size_gb\": 2}"), 200);
            json(agent.post("/v1/instances/" + dom.name + "/volumes/" + vol + "/extend",
                    "{\"new_size\": " + (2L << 30) + "}"), 200);
            assertThat(Host.virsh("domblkinfo", dom.name, dev)).containsPattern("Capacity:\\s+" + (2L << 30));

            // the monitor goes away: the attached disk keeps working; so do creates, through the agent's open
            // librados session (they need only the OSDs); what needs a monitor (a resize, ceph df) answers 503
            // and changes nothing
            assertThat(Files.readString(dir.resolve("agent.log"))).contains("librados session open as client.cinder");
            ceph.stopMonitor();
            UUID during = UUID.randomUUID();
            try {
                json(agent.post("/v1/volumes", volume(during, 1)), 201);
                HttpResponse<String> refused = agent.post("/v1/volumes/" + during + "/extend", "{\"new_size_gb\": 2}");
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).isPresent();
                assertThat(json(agent.get("/v1/volumes/" + during), 200).path("size_gb").asInt()).isEqualTo(1);
                assertThat(agent.get("/q/health/ready").statusCode()).isEqualTo(503);
                dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x66 1048576 4096\"");
                ceph.startMonitor();
                assertThat(ceph.rbd("info", "--format", "json", "volumes/volume-" + during)).contains("\"size\":1073741824");
                assertThat(agent.delete("/v1/volumes/" + during).statusCode()).isEqualTo(204);
                assertThat(ceph.rbdExec("info", "volumes/volume-" + during).exit()).isNotZero();
            } finally {
                if (!Files.exists(ceph.dir.resolve("mon.pid"))) {
                    ceph.startMonitor();
                }
            }
            assertThat(ceph.read("volume-" + vol, 1048576, 4096)).containsOnly((byte) 0x66);

            assertThat(agent.delete("/v1/volumes/" + grand).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/snapshots/" + snap2).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/volumes/" + clone).statusCode()).isEqualTo(204);

            // revert (not exported, not attached): the snapshot's bytes come back
            assertThat(agent.delete("/v1/instances/" + dom.name + "/volumes/" + vol).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/volumes/" + vol + "/exports/" + initiator(connector)).statusCode())
                    .isEqualTo(204);
            // (the volume grew since the first snapshot, which refuses a revert to it: a new one is taken)
            UUID snap3 = UUID.randomUUID();
            json(agent.post("/v1/volumes/" + vol + "/snapshots", "{\"id\": \"" + snap3 + "\"}"), 201);
            ceph.rbd("bench", "--io-type", "write", "--io-size", "4096", "--io-total", "65536", "--io-pattern", "seq",
                    "volumes/volume-" + vol); // overwrites the first 64 KiB, behind the agent's back
            byte[] snapshotBytes = new byte[65536];
            java.util.Arrays.fill(snapshotBytes, (byte) 0x77);
            assertThat(ceph.read("volume-" + vol, 0, 65536)).isNotEqualTo(snapshotBytes);
            json(agent.post("/v1/volumes/" + vol + "/revert", "{\"snapshot_id\": \"" + snap3 + "\"}"), 200);
            assertThat(ceph.read("volume-" + vol, 0, 65536)).containsOnly((byte) 0x77);
            assertThat(agent.delete("/v1/snapshots/" + snap3).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/snapshots/" + snap).statusCode()).isEqualTo(204);

            // a volume a QEMU still has open is refused, naming the client
            info = json(agent.put("/v1/volumes/" + vol + "/exports/" + initiator(connector), connector), 200);
            json(agent.put("/v1/instances/" + dom.name + "/volumes/" + vol,
                    "{\"connection_info\": " + info + ", \"bus\": \"scsi\"}"), 200);
            assertThat(agent.delete("/v1/volumes/" + vol + "/exports/" + initiator(connector)).statusCode())
                    .isEqualTo(204);
            HttpResponse<String> watched = agent.delete("/v1/volumes/" + vol);
            assertThat(watched.statusCode()).as(watched.body()).isEqualTo(409);
            assertThat(watched.body()).contains("is open by").contains("127.0.0.1");
            assertThat(agent.delete("/v1/instances/" + dom.name + "/volumes/" + vol).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
            assertThat(ceph.rbd("ls", "volumes")).doesNotContain(vol.toString()).doesNotContain(clone.toString());
            assertThat(Host.virsh("secret-list")).as("the host's secret stays").contains(hostSecret.toString());
        } finally {
            Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", hostSecret.toString());
        }
    }

    /**
     * Issue 18 on RBD through the packaged agent, WireMock as Keystone and Barbican: an image written into an
     * encrypted RBD volume through its LUKS header, attached with the passphrase in a libvirt secret, grown while
     * attached (the guest gets the new size less the header the agent read through librbd), read back decrypted
     * by qemu-io with the key's hex passphrase, and never plaintext in the RBD image.
     */
    @Test
    void anEncryptedRbdVolumeFromAnImageOpensInQemuGrowsWhileAttachedAndHoldsNoPlaintext() throws Exception {
        com.github.tomakehurst.wiremock.WireMockServer openstack = org.tether.openstack.OpenStackStubs.start();
        UUID hostSecret = UUID.randomUUID();
        try {
            openstack.stubFor(org.tether.openstack.OpenStackStubs.keystone().willReturn(org.tether.openstack.OpenStackStubs
                    .token(openstack, "svc-" + UUID.randomUUID(), java.time.Instant.now().plusSeconds(3600))));
            byte[] key = new byte[32];
            new java.util.Random(7).nextBytes(key);
            String keyId = UUID.randomUUID().toString();
            openstack.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(com.github.tomakehurst.wiremock
                    .client.WireMock.urlEqualTo("/barbican/v1/secrets/" + keyId + "/payload")).willReturn(
                    com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(200).withBody(key)));
            String encryption = "{\"provider\": \"luks\", \"cipher\": \"aes-xts-plain64\", \"key_size\": 256, "
                    + "\"control_location\": \"front-end\", \"encryption_key_id\": \"" + keyId + "\"}";
            List<String> props = new java.util.ArrayList<>();
            org.tether.openstack.OpenStackStubs.credentials(openstack, dir.resolve("keystone-password"))
                    .forEach((k, v) -> props.add("-D" + k + "=" + v));
            props.add("-Dtether.keymanager.endpoint=" + openstack.baseUrl() + "/barbican");

            Path images = dir.resolve("images");
            Files.createDirectories(images);
            Path raw = images.resolve("disk.raw");
            byte[] data = new byte[1 << 20];
            java.util.Arrays.fill(data, (byte) 0x6d);
            Files.write(raw, data);
            String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(data));
            props.addAll(List.of("-Dtether.storage.images.file-dir=" + images,
                    "-Dtether.storage.images.scratch-dir=" + dir.resolve("scratch"),
                    "-Dtether.storage.images.scratch-reserve-mb=16"));
            try (AgentProcess agent = agent(hostSecret).with(props.toArray(String[]::new));
                 TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
                agent.start();
                UUID vol = UUID.randomUUID();
                HttpResponse<String> accepted = agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1, "
                        + "\"encryption\": " + encryption + ", \"source\": {\"image\": {\"url\": \"" + raw.toUri()
                        + "\", \"disk_format\": \"raw\", \"sha256\": \"" + sha + "\"}}}");
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                String op = accepted.headers().firstValue("Location").orElseThrow();
                JsonNode state = agent.finished(op, java.time.Duration.ofSeconds(60));
                assertThat(state.path("status").asInt()).as(state.toString()).isEqualTo(201);
                byte[] head = ceph.read("volume-" + vol, 0, 8 << 20);
                assertThat(new String(head, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("LUKS");
                long offset = Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(head).getInt(104)) * 512;
                assertThat(Digests.longestRun(head, (byte) 0x6d)).as("the image's bytes are ciphertext").isLessThan(64);

                String connector = agent.get("/v1/connector").body();
                JsonNode info = json(agent.put("/v1/volumes/" + vol + "/exports/" + initiator(connector), connector),
                        200);
                assertThat(info.path("data").path("encrypted").asBoolean()).isTrue();
                json(agent.put("/v1/instances/" + dom.name + "/volumes/" + vol, "{\"connection_info\": " + info
                        + ", \"bus\": \"scsi\", \"encryption\": " + encryption + "}"), 200);
                assertThat(Host.virsh("dumpxml", dom.name)).contains("<encryption format='luks'");
                dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x5c 1048576 65536\"");

                json(agent.post("/v1/volumes/" + vol + "/extend", "{\"new_size_gb\": 2}"), 200);
                JsonNode grown = json(agent.post("/v1/instances/" + dom.name + "/volumes/" + vol + "/extend",
                        "{\"new_size\": " + (2L << 30) + "}"), 200);
                assertThat(grown.path("size_bytes").asLong()).isEqualTo((2L << 30) - offset);
                assertThat(grown.path("previous_size_bytes").asLong()).isEqualTo((1L << 30) - offset);
                dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x5d " + ((2L << 30) - offset - 65536) + " 65536\"");
                assertThat(agent.delete("/v1/instances/" + dom.name + "/volumes/" + vol).statusCode()).isEqualTo(204);
                assertThat(Host.secretUsages()).noneMatch(u -> u.contains(vol.toString()));

                String image = "rbd:volumes/volume-" + vol + ":id=cinder:conf=" + ceph.conf + ":keyring=" + ceph.keyring;
                assertThat(decrypted(image, key, "read -P 0x6d 0 1048576")).contains("read 1048576/1048576")
                        .doesNotContain("fail");
                assertThat(decrypted(image, key, "read -P 0x5c 1048576 65536")).contains("read 65536/65536")
                        .doesNotContain("fail");
                assertThat(decrypted(image, key, "read -P 0x5d " + ((2L << 30) - offset - 65536) + " 65536"))
                        .contains("read 65536/65536").doesNotContain("fail");

                assertThat(agent.delete("/v1/volumes/" + vol + "/exports/" + initiator(connector)).statusCode())
                        .isEqualTo(204);
                assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
                String hex = java.util.HexFormat.of().formatHex(key);
                assertThat(Files.readString(dir.resolve("agent.log"))).doesNotContain(hex);
            }
        } finally {
            openstack.stop();
            Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", hostSecret.toString());
        }
    }

    /** qemu-io on the host through librbd, opening the LUKS header with the key's hex passphrase (as Nova). */
    private String decrypted(String rbdImage, byte[] key, String command) throws Exception {
        Path pass = dir.resolve("luks-pass");
        Files.writeString(pass, java.util.HexFormat.of().formatHex(key));
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        try {
            return Host.run("qemu-io", "-r", "--object", "secret,id=k,file=" + pass, "--image-opts",
                    "driver=luks,key-secret=k,file.driver=rbd,file.filename=" + rbdImage, "-c", command);
        } finally {
            Files.delete(pass);
        }
    }

    /** The operation's record once it is no longer running (at most a minute). */

    /**
     * A host where Nova's guide made {@code client.cinder secret} under its own UUID: the agent configured with
     * another UUID refuses to start and names the existing one; with that UUID it starts and sets the value.
     * A secret of that usage made behind a running agent's back makes an attach a 409 naming it, not a 502.
     */
    @Test
    void aCephSecretOfTheSameUsageUnderAnotherUuidIsNamedAtStartAndAtAttach() throws Exception {
        UUID novas = UUID.randomUUID();
        UUID configured = UUID.randomUUID();
        Path xml = dir.resolve("nova-secret.xml");
        Files.writeString(xml, "<secret ephemeral='no' private='no'><uuid>" + novas + "</uuid><usage type='ceph'>"
                + "<name>client.cinder secret</name></usage></secret>");
        Host.virsh("secret-define", xml.toString());
        try {
            AgentProcess refused = agent(configured);
            assertThat(refused.runToExit(java.time.Duration.ofSeconds(60))).isNotZero();
            assertThat(refused.logText()).contains("libvirt already has secret " + novas)
                    .contains("tether.ceph.secret-uuid=" + novas);
            assertThat(Host.virsh("secret-list")).doesNotContain(configured.toString());

            try (AgentProcess agent = agent(novas); TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
                agent.start();
                assertThat(Host.virsh("secret-get-value", novas.toString()).strip()).isEqualTo(ceph.key());
                UUID vol = UUID.randomUUID();
                json(agent.post("/v1/volumes", volume(vol, 1)), 201);
                String connector = agent.get("/v1/connector").body();
                JsonNode info = json(agent.put("/v1/volumes/" + vol + "/exports/" + initiator(connector), connector), 200);
                assertThat(info.path("data").path("secret_uuid").asText()).isEqualTo(novas.toString());

                // the secret is replaced behind the agent by one of another UUID with the same usage
                Host.virsh("secret-undefine", novas.toString());
                UUID later = UUID.randomUUID();
                Files.writeString(xml, Files.readString(xml).replace(novas.toString(), later.toString()));
                Host.virsh("secret-define", xml.toString());
                try {
                    HttpResponse<String> r = agent.put("/v1/instances/" + dom.name + "/volumes/" + vol,
                            "{\"connection_info\": " + info + "}");
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
                    assertThat(r.body()).contains("ceph_secret_conflict").contains(later.toString());
                    assertThat(Host.virsh("domblklist", dom.name)).doesNotContain("volume-" + vol);
                } finally {
                    Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", later.toString());
                }
                json(agent.delete("/v1/volumes/" + vol + "/exports/" + initiator(connector)), 204);
                json(agent.delete("/v1/volumes/" + vol), 204);
            }
        } finally {
            Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", novas.toString());
            Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", configured.toString());
        }
    }

    private static String initiator(String connector) throws Exception {
        return JSON.readTree(connector).path("initiator").asText();
    }
}
