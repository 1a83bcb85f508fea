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
import org.tether.lab.OpenStackLab;
import org.tether.lab.TestDomain;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged agent driven by real OpenStack services from Debian ({@code lab/openstack.sh}): Keystone,
 * and Cinder 21.3 with its own RBD driver on a real single-node Ceph. The controller's calls are made here
 * over Cinder's REST API as Nova makes them; the agent makes the host's. Nothing is played by WireMock.
 */
class OpenStackLabIT {
    private static final int MON_PORT = 6796;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static CephCluster ceph;
    private static OpenStackLab openstack;
    /**
     * The compute agent of the scenarios that need nothing but its default settings, started once for all of them
     * (each leaves it with no attachment): a start of the packaged agent costs 5 to 8 s here.
     */
    private static AgentProcess shared;
    private static Path sharedDir;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        // images, their clones and uploads of 1 GiB volumes (thin, but not all zero) share the OSD's RAM store
        ceph = CephCluster.start(MON_PORT, 4L << 30);
        openstack = OpenStackLab.start(ceph);
    }

    /**
     * Each class has a lab of its own: a lab kept for the next class would keep the host's cephx secret (which the
     * next class's agents, with another UUID, rightly refuse to start beside) and the Cinder scheduler's memory of
     * a backend a class added and stopped (where it would then send volumes of the default type).
     */
    @AfterAll
    static void stop() throws Exception {
        if (shared != null) {
            shared.close();
        }
        if (openstack != null) {
            // the host's cephx secret outlives the agent (as Nova's does); the next run's lab has another UUID
            Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", openstack.env.get("RBD_SECRET_UUID"));
            openstack.close();
        }
        if (ceph != null) {
            ceph.close();
        }
    }

    /** The agent in compute mode as the Keystone user {@code user}, holding the host's cephx secret. */
    private AgentProcess agent(String user, String... more) throws Exception {
        return agent(18101, dir, user, more);
    }

    /** The shared compute agent as the user {@code tether}, started at its first use. */
    private static AgentProcess sharedAgent() throws Exception {
        if (shared == null) {
            sharedDir = Files.createTempDirectory("openstack-lab-agent");
            shared = agent(18103, sharedDir, "tether"); // beside the scenarios' own agents on 18101
            shared.start();
        }
        return shared;
    }

    private static AgentProcess agent(int port, Path dir, String user, String... more) throws Exception {
        Path key = dir.resolve("cinder.key");
        Files.writeString(key, ceph.key() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path pw = openstack.passwordFile(user, dir.resolve(user + ".password"));
        return new AgentProcess(port, dir.resolve("state"), dir.resolve("agent-" + user + ".log")).with(
                "-Dtether.cinder.auth-url=" + openstack.authUrl(), "-Dtether.cinder.username=" + user,
                "-Dtether.cinder.password-file=" + pw, "-Dtether.cinder.project-name=service",
                "-Dtether.cinder.retries=1", "-Dtether.cinder.retry-delay=50ms",
                "-Dtether.ceph.secret-uuid=" + openstack.env.get("RBD_SECRET_UUID"), "-Dtether.ceph.key-file=" + key)
                .with(more);
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    private static String attachBody(UUID attachment, UUID volume, String domain, String project) {
        return """
                {"attachment_id": "%s", "volume_id": "%s", "instance": "%s", "project_id": "%s", "bus": "scsi"}"""
                .formatted(attachment, volume, domain, project);
    }

    /**
     * Nova's attach and detach with Tether as the host: the controller reserves, the agent sends its connector,
     * plugs Cinder's RBD connection_info into QEMU's librbd, completes; the guest's bytes land in Cinder's image;
     * the agent detaches and deletes the attachment with the service token Cinder 21.3.1 demands.
     */
    @Test
    void aCinderVolumeIsReservedAttachedInUseThenDetachedAvailableThroughTheAgent() throws Exception {
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        UUID vol = openstack.createVolume(admin, 1);
        AgentProcess agent = sharedAgent();
        try (TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
            UUID attachment = openstack.reserve(admin, vol, UUID.randomUUID());
            assertThat(openstack.volumeStatus(admin, vol)).isEqualTo("reserved");

            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean watching = new AtomicBoolean(true);
            Thread watcher = new Thread(() -> {
                while (watching.get()) {
                    try {
                        String s = openstack.volumeStatus(admin, vol);
                        if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(s)) {
                            seen.add(s);
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            watcher.start();
            JsonNode att = json(agent.post("/v1/cinder-attachments",
                    attachBody(attachment, vol, dom.name, admin.projectId())), 201);
            watching.set(false);
            watcher.join();
            assertThat(att.path("state").asText()).isEqualTo("completed");
            assertThat(att.path("host_attachment").path("attach_path").asText()).isEqualTo("qemu");
            // Cinder's own states, in the order it went through them (a poll may miss the short 'attaching', and
            // the watcher's last poll may have been answered just before the agent completed the attachment)
            assertThat(seen).isSubsetOf("reserved", "attaching", "in-use");
            assertThat(List.of("reserved", "attaching", "in-use")).containsSubsequence(seen);
            assertThat(openstack.volumeStatus(admin, vol)).isEqualTo("in-use");
            JsonNode cinderAtt = openstack.cinderJson(admin, "GET", "/attachments/" + attachment, null, 200)
                    .path("attachment");
            assertThat(cinderAtt.path("status").asText()).isEqualTo("attached");
            assertThat(cinderAtt.path("connection_info").path("name").asText()).isEqualTo("volumes/volume-" + vol);

            // the guest writes; Ceph holds it in Cinder's image
            assertThat(Host.virsh("domblklist", dom.name)).contains("volumes/volume-" + vol);
            dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x3c 0 65536\"");
            assertThat(ceph.read("volume-" + vol, 0, 65536)).containsOnly((byte) 0x3c);

            assertThat(agent.delete("/v1/cinder-attachments/" + attachment).statusCode()).isEqualTo(204);
            assertThat(openstack.volumeStatus(admin, vol)).isEqualTo("available");
            assertThat(openstack.cinder(admin, "GET", "/attachments/" + attachment, null).statusCode()).isEqualTo(404);
            assertThat(Host.virsh("domblklist", dom.name)).doesNotContain("volume-" + vol);
            assertThat(agent.logText()).as("no password or key in the log")
                    .doesNotContain(openstack.password("tether")).doesNotContain(ceph.key());
        } finally {
            openstack.cinder(admin, "DELETE", "/volumes/" + vol, null);
        }
    }

    /**
     * Without a service token the real Cinder refuses the delete (500: it has no Nova to ask). The problem says
     * what to set; the attachment stays with Cinder, and the agent started again with the token finishes the
     * recorded detach by itself.
     */
    @Test
    void withoutAServiceTokenCinderRefusesTheDeleteAndTheProblemSaysWhatToSet() throws Exception {
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        UUID vol = openstack.createVolume(admin, 1);
        try (TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
            UUID attachment = openstack.reserve(admin, vol, UUID.randomUUID());
            try (AgentProcess agent = agent("tether", "-Dtether.cinder.service-user.send-token=false")) {
                agent.start();
                json(agent.post("/v1/cinder-attachments", attachBody(attachment, vol, dom.name, admin.projectId())), 201);
                HttpResponse<String> refused = agent.delete("/v1/cinder-attachments/" + attachment);
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(refused.body()).contains("openstack_unavailable").contains("X-Service-Token")
                        .contains("OSSA-2023-003").contains("tether.cinder.service-user");
                assertThat(openstack.attachmentIds(admin, vol)).contains(attachment.toString());
            }
            // the detach is recorded as unfinished: the next start, now with the token, finishes it by itself
            try (AgentProcess agent = agent("tether")) {
                agent.start();
                openstack.awaitVolume(admin, vol, "available", Duration.ofSeconds(30));
                assertThat(openstack.attachmentIds(admin, vol)).isEmpty();
                assertThat(agent.get("/v1/cinder-attachments/" + attachment).statusCode()).isEqualTo(404);
                assertThat(Host.virsh("domblklist", dom.name)).doesNotContain("volume-" + vol);
            }
        } finally {
            openstack.cinder(admin, "DELETE", "/volumes/" + vol, null);
        }
    }

    /** Tether's own API admits a real Keystone token with a required role, and refuses one without, or revoked. */
    @Test
    void keystoneTokensForTheAgentsOwnApiAreCheckedByTheRealKeystone() throws Exception {
        try (AgentProcess agent = agent("tether", "-Dtether.api.allow-unauthenticated=false",
                "-Dtether.api.keystone.enabled=true", "-Dtether.api.keystone.cache-time=0s")) {
            agent.start();
            OpenStackLab.Token operator = openstack.token("tether", "service");
            OpenStackLab.Token member = openstack.token("demo", "demo");
            assertThat(agent.get("/v1/attachments", "X-Auth-Token", operator.value()).statusCode()).isEqualTo(200);
            // a valid token without one of tether.api.keystone.roles admits nobody (as KeystoneTokenAuthTest says)
            assertThat(agent.get("/v1/attachments", "X-Auth-Token", member.value()).statusCode()).isEqualTo(401);
            assertThat(agent.get("/v1/attachments", "X-Auth-Token", "not-a-token").statusCode()).isEqualTo(401);
            assertThat(agent.get("/v1/attachments").statusCode()).isEqualTo(401);

            OpenStackLab.Token revoked = openstack.token("tether", "service");
            assertThat(agent.get("/v1/attachments", "X-Auth-Token", revoked.value()).statusCode()).isEqualTo(200);
            openstack.revoke(openstack.token("admin", "admin"), revoked.value());
            assertThat(agent.get("/v1/attachments", "X-Auth-Token", revoked.value()).statusCode()).isEqualTo(401);
            assertThat(agent.get("/v1/attachments", "X-Auth-Token", operator.value()).statusCode()).isEqualTo(200);
        }
    }

    /** The agent in storage mode on the lab Ceph's pool {@code volumes}, reaching Glance as the user {@code tether}. */
    private AgentProcess storageAgent() throws Exception {
        Path pw = openstack.passwordFile("tether", dir.resolve("tether.password"));
        return new AgentProcess(18102, dir.resolve("storage-state"), dir.resolve("agent-storage.log")).with(
                "-Dtether.mode=storage", "-Dtether.storage.backend=rbd", "-Dtether.storage.rbd.conf=" + ceph.conf,
                "-Dtether.storage.rbd.keyring=" + ceph.keyring,
                "-Dtether.storage.images.scratch-dir=" + dir.resolve("scratch"),
                "-Dtether.storage.images.scratch-reserve-mb=16",
                "-Dtether.cinder.auth-url=" + openstack.authUrl(), "-Dtether.cinder.username=tether",
                "-Dtether.cinder.password-file=" + pw, "-Dtether.cinder.project-name=service");
    }


    /** A volume from a Glance image through the agent; the milliseconds from the request to the volume. */
    private static long volumeFromImage(AgentProcess agent, UUID vol, UUID image) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> accepted = agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1, "
                + "\"source\": {\"image\": {\"glance_id\": \"" + image + "\"}}}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode state = agent.finished(accepted.headers().firstValue("Location").orElseThrow(), java.time.Duration.ofMinutes(2));
        assertThat(state.path("status").asInt()).as(state.toString()).isEqualTo(201);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /**
     * Glance and Cinder on one Ceph: a raw image that Glance's RBD store keeps in the agent's own cluster becomes
     * a volume as a copy-on-write clone of the image's snapshot, with no download; the same bytes in Glance's
     * file store, and a qcow2 image, are downloaded, checked and converted. Every volume holds the image's bytes.
     */
    @Test
    void aRawImageInGlancesCephStoreIsClonedAndEveryOtherImageIsDownloaded() throws Exception {
        Path raw = dir.resolve("disk.raw");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(32L << 20);
            byte[] mib = new byte[1 << 20];
            java.util.Arrays.fill(mib, (byte) 0x5a);
            f.write(mib);
            java.util.Arrays.fill(mib, (byte) 0xa5);
            f.seek(16L << 20);
            f.write(mib);
        }
        Path qcow2 = dir.resolve("disk.qcow2");
        Host.run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        UUID inCeph = openstack.createImageWithCli("admin", "admin", raw, "raw");
        UUID qcowInCeph = openstack.createImageWithCli("admin", "admin", qcow2, "qcow2");
        UUID inFiles = openstack.createImageInStore(admin, raw, "raw", "local");
        String fsid = Files.readAllLines(ceph.conf).stream().filter(l -> l.startsWith("fsid")).findFirst()
                .orElseThrow().replaceAll("^fsid\\s*=\\s*", "");
        assertThat(openstack.image(admin, inCeph).path("direct_url").asText())
                .isEqualTo("rbd://" + fsid + "/images/" + inCeph + "/snap");
        assertThat(openstack.image(admin, inFiles).path("direct_url").asText()).startsWith("file://");

        List<UUID> made = new ArrayList<>();
        try (AgentProcess agent = storageAgent()) {
            agent.start();
            record Case(UUID image, boolean cloned) {
            }
            for (Case c : List.of(new Case(inCeph, true), new Case(inFiles, false), new Case(qcowInCeph, false))) {
                UUID vol = UUID.randomUUID();
                made.add(vol);
                long ms = volumeFromImage(agent, vol, c.image());
                String info = ceph.rbd("info", "--format", "json", "volumes/volume-" + vol);
                assertThat(info).contains("\"size\":" + (1L << 30));
                if (c.cloned()) {
                    JsonNode parent = JSON.readTree(info).path("parent");
                    assertThat(parent.path("pool").asText() + "/" + parent.path("image").asText() + "@"
                            + parent.path("snapshot").asText()).isEqualTo("images/" + inCeph + "@snap");
                } else {
                    assertThat(info).doesNotContain("\"parent\"");
                }
                assertThat(ceph.read("volume-" + vol, 0, 1 << 20)).containsOnly((byte) 0x5a);
                assertThat(ceph.read("volume-" + vol, 16L << 20, 1 << 20)).containsOnly((byte) 0xa5);
                assertThat(ceph.read("volume-" + vol, 32L << 20, 1 << 20)).containsOnly((byte) 0);
                JsonNode record = JSON.readTree(agent.get("/v1/volumes/" + vol).body());
                assertThat(record.path("volume_image_metadata").path("image_id").asText()).isEqualTo(c.image().toString());
                System.out.printf("volume from image %s (%s): %d ms%n", c.image(), c.cloned() ? "clone" : "download", ms);
            }
            for (UUID vol : made) {
                assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
            }
            made.clear();
            // nothing hangs off the image any more: Glance deletes it (unprotecting its snapshot)
            openstack.cli("admin", "admin", "image", "delete", inCeph.toString());
        }
    }

    /**
     * An encrypted volume type made with the openstack CLI: Cinder makes the key in Barbican and writes the LUKS
     * header into the RBD image; the agent reads the encryption from Cinder, the key from Barbican, and QEMU
     * opens the volume with it. What the guest writes is ciphertext in Ceph.
     */
    @Test
    void anEncryptedVolumeTypesKeyComesFromBarbicanAndQemuOpensTheVolumeWithIt() throws Exception {
        String type = "luks-" + UUID.randomUUID().toString().substring(0, 8);
        openstack.cli("admin", "admin", "volume", "type", "create", "--encryption-provider", "luks",
                "--encryption-cipher", "aes-xts-plain64", "--encryption-key-size", "256",
                "--encryption-control-location", "front-end", type);
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        UUID vol = openstack.requestVolume(admin, 1, type);
        AgentProcess agent = sharedAgent();
        try (TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
            openstack.awaitVolume(admin, vol, "available", Duration.ofSeconds(60));
            assertThat(openstack.volume(admin, vol).path("encrypted").asBoolean()).isTrue();
            byte[] header = ceph.read("volume-" + vol, 0, 6);
            assertThat(header).as("Cinder wrote a LUKS header").isEqualTo(new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe});
            UUID attachment = openstack.reserve(admin, vol, UUID.randomUUID());
            JsonNode att = json(agent.post("/v1/cinder-attachments",
                    attachBody(attachment, vol, dom.name, admin.projectId())), 201);
            assertThat(att.path("state").asText()).isEqualTo("completed");
            String xml = Host.virsh("dumpxml", dom.name);
            assertThat(xml).contains("<encryption format='luks'");
            dom.hmp("qemu-io -d ua-" + vol + " \"write -P 0x3c 0 65536\"");
            assertThat(dom.hmp("qemu-io -d ua-" + vol + " \"read -P 0x3c 0 65536\"")).doesNotContain("fail");
            // nowhere in the image's first 8 MiB (header and the written payload) are the guest's bytes in clear
            assertThat(org.tether.lab.Digests.longestRun(ceph.read("volume-" + vol, 0, 8 << 20), (byte) 0x3c)).isLessThan(64);

            assertThat(agent.delete("/v1/cinder-attachments/" + attachment).statusCode()).isEqualTo(204);
            assertThat(openstack.volumeStatus(admin, vol)).isEqualTo("available");
            assertThat(Host.virsh("secret-list")).as("the passphrase secret went with the disk")
                    .doesNotContain(org.tether.compute.encryption.LuksPassphrases.secretUuid(vol).toString());
        } finally {
            openstack.cinder(admin, "DELETE", "/volumes/" + vol, null);
        }
    }

    /**
     * A multiattach volume type: one volume on two domains of this host through two Cinder attachments; extended
     * while in use by the controller (os-extend at 3.42) and then by the agent in each domain; one attachment
     * deleted in Cinder behind the agent's back still detaches cleanly; the last detach makes it available.
     */
    @Test
    void aMultiattachVolumeOnTwoDomainsIsExtendedInUseAndDetachedEvenWhenCinderLostOneAttachment() throws Exception {
        String type = "multi-" + UUID.randomUUID().toString().substring(0, 8);
        openstack.cli("admin", "admin", "volume", "type", "create", "--property", "multiattach=<is> True", type);
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        UUID vol = openstack.requestVolume(admin, 1, type);
        AgentProcess agent = sharedAgent();
        try (TestDomain one = TestDomain.create(TestDomain.Kind.RUNNING);
             TestDomain two = TestDomain.create(TestDomain.Kind.RUNNING)) {
            openstack.awaitVolume(admin, vol, "available", Duration.ofSeconds(60));
            assertThat(openstack.volume(admin, vol).path("multiattach").asBoolean()).isTrue();
            // Cinder reserves a volume again only once it is in use: one attachment after the other, as Nova does
            List<UUID> attachments = new ArrayList<>();
            for (TestDomain d : List.of(one, two)) {
                UUID a = openstack.reserve(admin, vol, UUID.randomUUID());
                attachments.add(a);
                String body = attachBody(a, vol, d.name, admin.projectId()).replace("}", ", \"multiattach\": true}");
                json(agent.post("/v1/cinder-attachments", body), 201);
                assertThat(Host.virsh("dumpxml", d.name)).contains("<shareable/>");
            }
            UUID first = attachments.get(0);
            UUID second = attachments.get(1);
            assertThat(openstack.volumeStatus(admin, vol)).isEqualTo("in-use");
            assertThat(openstack.attachmentIds(admin, vol)).containsExactlyInAnyOrder(first.toString(), second.toString());

            // the controller extends the volume in use (Cinder resizes the image; it has no Nova to tell)
            HttpResponse<String> extend = openstack.cinder(admin, "POST", "/volumes/" + vol + "/action",
                    "{\"os-extend\": {\"new_size\": 2}}");
            assertThat(extend.statusCode()).as(extend.body()).isEqualTo(202);
            java.time.Instant end = java.time.Instant.now().plusSeconds(60);
            while (openstack.volume(admin, vol).path("size").asInt() != 2 && java.time.Instant.now().isBefore(end)) {
                Thread.sleep(200);
            }
            openstack.awaitVolume(admin, vol, "in-use", Duration.ofSeconds(30));
            assertThat(openstack.volume(admin, vol).path("size").asInt()).isEqualTo(2);
            for (TestDomain d : List.of(one, two)) {
                JsonNode grown = json(agent.post("/v1/instances/" + d.name + "/volumes/" + vol + "/extend",
                        "{\"new_size\": " + (2L << 30) + "}"), 200);
                assertThat(grown.path("size_bytes").asLong()).isEqualTo(2L << 30);
            }

            // the controller deletes the second attachment itself (with a service token, as Nova would)
            OpenStackLab.Token service = openstack.token("tether", "service");
            HttpResponse<String> gone = openstack.cinder(admin, service, "DELETE", "/attachments/" + second, null);
            assertThat(gone.statusCode()).as(gone.body()).isEqualTo(200);
            assertThat(agent.delete("/v1/cinder-attachments/" + second).statusCode()).isEqualTo(204);
            assertThat(Host.virsh("domblklist", two.name)).doesNotContain("volume-" + vol);
            assertThat(Host.virsh("domblklist", one.name)).contains("volume-" + vol);
            assertThat(openstack.volumeStatus(admin, vol)).isEqualTo("in-use");

            assertThat(agent.delete("/v1/cinder-attachments/" + first).statusCode()).isEqualTo(204);
            assertThat(openstack.volumeStatus(admin, vol)).isEqualTo("available");
        } finally {
            openstack.cinder(admin, "DELETE", "/volumes/" + vol, null);
        }
    }

    /** A volume Cinder holds in error: the agent's update is refused by Cinder, and the host is left as it was. */
    @Test
    void aVolumeInErrorIsRefusedByCinderAndNothingIsLeftOnTheHost() throws Exception {
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        UUID vol = openstack.createVolume(admin, 1);
        AgentProcess agent = sharedAgent();
        try (TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
            UUID attachment = openstack.reserve(admin, vol, UUID.randomUUID());
            openstack.cinderJson(admin, "POST", "/volumes/" + vol + "/action",
                    "{\"os-reset_status\": {\"status\": \"error\"}}", 202);
            assertThat(openstack.volumeStatus(admin, vol)).isEqualTo("error");
            String before = Host.virsh("secret-list");
            HttpResponse<String> refused = agent.post("/v1/cinder-attachments",
                    attachBody(attachment, vol, dom.name, admin.projectId()));
            System.out.println("a volume in error: " + refused.statusCode() + " " + refused.body());
            assertThat(refused.statusCode()).as(refused.body()).isBetween(400, 599);
            assertThat(refused.body()).contains("cinder_").contains(attachment.toString());
            assertThat(Host.virsh("domblklist", dom.name)).doesNotContain("volume-" + vol);
            assertThat(Host.virsh("secret-list")).isEqualTo(before);
            assertThat(agent.get("/v1/cinder-attachments/" + attachment).statusCode()).isEqualTo(404);
        } finally {
            openstack.cinderJson(admin, "POST", "/volumes/" + vol + "/action",
                    "{\"os-reset_status\": {\"status\": \"available\", \"attach_status\": \"detached\"}}", 202);
            openstack.cinder(admin, "DELETE", "/volumes/" + vol, null);
        }
    }

    /** {@code POST /v1/volumes/{id}/image} through the agent, waited for: the operation's result. */
    private static JsonNode uploaded(AgentProcess agent, UUID vol, String body, int status) throws Exception {
        HttpResponse<String> accepted = agent.post("/v1/volumes/" + vol + "/image", body);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode state = agent.finished(accepted.headers().firstValue("Location").orElseThrow(), java.time.Duration.ofMinutes(2));
        assertThat(state.path("status").asInt()).as(state.toString()).isEqualTo(status);
        return state.path("result");
    }

    /**
     * Cinder's copy_volume_to_image through the agent into the real Glance: as qcow2 and as raw, each the volume's
     * bytes (read back from Glance with the openstack CLI), the raw one in Glance's RBD store so that the next
     * volume made from it is a clone again; an exported volume needs force and leaves no temporary snapshot.
     */
    @Test
    void aVolumeUploadedToGlanceHoldsItsBytesAsQcow2AndAsRawAndAnExportedOneNeedsForce() throws Exception {
        Path raw = dir.resolve("disk.raw");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(16L << 20);
            byte[] mib = new byte[1 << 20];
            java.util.Arrays.fill(mib, (byte) 0x6b);
            f.seek(3L << 20);
            f.write(mib);
        }
        UUID source = openstack.createImageWithCli("admin", "admin", raw, "raw");
        UUID vol = UUID.randomUUID();
        UUID again = UUID.randomUUID();
        List<UUID> images = new ArrayList<>(List.of(source));
        String initiator = "iqn.1993-08.org.debian:01:upload-" + UUID.randomUUID().toString().substring(0, 8);
        // Glance's pool named, but client.cinder may only read it (Ceph's guide): raw uploads are streamed
        byte[] storeKey = new byte[32];
        new java.security.SecureRandom().nextBytes(storeKey);
        String storeKeyId = openstack.storeSecret(openstack.token("tether", "service"), storeKey);
        try (AgentProcess agent = storageAgent().with("-Dtether.storage.rbd.glance-pool=images",
                "-Dtether.backup.stores.local.path=" + dir.resolve("backups"),
                "-Dtether.backup.stores.sealed.path=" + dir.resolve("sealed"),
                "-Dtether.backup.stores.sealed.encryption-key-id=" + storeKeyId,
                "-Dtether.backup.default-store=local")) {
            agent.start();
            volumeFromImage(agent, vol, source);
            backUpIntoTheSealedStore(agent, vol);

            JsonNode qcow = uploaded(agent, vol, "{\"name\": \"from-volume-qcow2\", \"disk_format\": \"qcow2\"}", 201);
            UUID qcowId = UUID.fromString(qcow.path("image_id").asText());
            images.add(qcowId);
            OpenStackLab.Token admin = openstack.token("admin", "admin");
            JsonNode inGlance = openstack.image(admin, qcowId);
            assertThat(inGlance.path("status").asText()).isEqualTo("active");
            assertThat(inGlance.path("disk_format").asText()).isEqualTo("qcow2");
            assertThat(inGlance.path("checksum").asText()).isEqualTo(qcow.path("checksum").asText());
            assertThat(inGlance.path("os_hash_value").asText()).isEqualTo(qcow.path("os_hash_value").asText());
            Path saved = dir.resolve("saved.qcow2");
            openstack.cli("admin", "admin", "image", "save", "--file", saved.toString(), qcowId.toString());
            Path back = dir.resolve("back.raw");
            Host.run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", saved.toString(), back.toString());
            assertThat(Files.size(back)).isEqualTo(1L << 30);
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(back.toFile(), "r")) {
                byte[] b = new byte[16 << 20];
                f.readFully(b);
                assertThat(b).isEqualTo(Files.readAllBytes(raw));
            }

            JsonNode rawUp = uploaded(agent, vol, "{\"name\": \"from-volume-raw\"}", 201);
            UUID rawId = UUID.fromString(rawUp.path("image_id").asText());
            images.add(rawId);
            assertThat(rawUp.path("size").asLong()).isEqualTo(1L << 30);
            assertThat(rawUp.path("copied_in_store").asBoolean()).isFalse();
            assertThat(rawUp.path("checksum").asText()).hasSize(32);
            assertThat(Files.readString(dir.resolve("agent-storage.log"))).contains("client.cinder may not write "
                    + "Glance's pool images");
            volumeFromImage(agent, again, rawId);
            JsonNode parent = JSON.readTree(ceph.rbd("info", "--format", "json", "volumes/volume-" + again)).path("parent");
            assertThat(parent.path("pool").asText() + "/" + parent.path("image").asText()).isEqualTo("images/" + rawId);
            assertThat(ceph.read("volume-" + again, 3L << 20, 1 << 20)).containsOnly((byte) 0x6b);

            // exported: only with force, from a snapshot that goes afterwards
            json(agent.put("/v1/volumes/" + vol + "/exports/" + initiator, "{\"initiator\": \"" + initiator
                    + "\", \"host\": \"upload-test\", \"ip\": \"127.0.0.1\"}"), 200);
            JsonNode refused = uploaded(agent, vol, "{\"name\": \"in-use\"}", 409);
            assertThat(refused.path("code").asText()).isEqualTo("volume_busy");
            assertThat(refused.path("field").asText()).isEqualTo("force");
            JsonNode forced = uploaded(agent, vol, "{\"name\": \"in-use\", \"force\": true}", 201);
            images.add(UUID.fromString(forced.path("image_id").asText()));
            assertThat(ceph.rbd("snap", "ls", "--format", "json", "volumes/volume-" + vol).strip()).isEqualTo("[]");
            assertThat(ceph.rbd("ls", "volumes")).doesNotContain(
                    new org.tether.storage.image.UploadRecord(UUID.fromString(forced.path("image_id").asText()), vol,
                            "raw", org.tether.storage.image.UploadRecord.Phase.DONE, null).temporaryVolumeId().toString());
            assertThat(agent.get("/v1/image-uploads").body()).isEqualTo("[]");
            json(agent.delete("/v1/volumes/" + vol + "/exports/" + initiator), 204);

            // an encrypted volume (its key a new Barbican secret): refused, as Cinder refuses what it cannot key
            UUID encrypted = UUID.randomUUID();
            json(agent.post("/v1/volumes", "{\"id\": \"" + encrypted + "\", \"size_gb\": 1, \"encryption\": {}}"), 201);
            JsonNode keyless = uploaded(agent, encrypted, "{\"name\": \"encrypted\"}", 409);
            assertThat(keyless.path("code").asText()).isEqualTo("volume_encrypted");
            backUpAndRestoreEncrypted(agent, encrypted, vol);
            assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/volumes/" + again).statusCode()).isEqualTo(204);
        } finally {
            deleteImages(images);
        }
    }

    /**
     * A store sealed with a key the real Barbican holds: the backup restores to the volume's bytes and verifies,
     * and nothing in the store's directory is the volume's data, its chunks' hashes or its id in the clear.
     */
    private void backUpIntoTheSealedStore(AgentProcess agent, UUID vol) throws Exception {
        JsonNode backup = finished(agent, agent.post("/v1/volumes/" + vol + "/backups", "{\"store\": \"sealed\"}"));
        assertThat(backup.path("store").asText()).isEqualTo("sealed");
        String id = backup.path("id").asText();
        finished(agent, agent.post("/v1/backups/" + id + "/verify", "{}"));
        JsonNode restored = finished(agent, agent.post("/v1/backups/" + id + "/restore", "{}"));
        String copy = restored.path("id").asText();
        assertThat(ceph.read("volume-" + copy, 3L << 20, 1 << 20)).containsOnly((byte) 0x6b);
        assertThat(restored.path("size_gb").asInt()).isEqualTo(1);

        // the same volume into the plain store: its chunks are zstd frames named by their SHA-256
        JsonNode plain = finished(agent, agent.post("/v1/volumes/" + vol + "/backups", "{\"store\": \"local\"}"));
        java.util.Set<String> plainNames = new java.util.HashSet<>();
        try (var walk = Files.walk(dir.resolve("backups").resolve("chunks"))) {
            walk.filter(Files::isRegularFile).forEach(f -> plainNames.add(f.getFileName().toString()));
        }
        assertThat(plainNames).isNotEmpty();
        List<Path> files;
        try (var walk = Files.walk(dir.resolve("sealed"))) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).hasSizeGreaterThan(plainNames.size());
        for (Path f : files) {
            byte[] b = Files.readAllBytes(f);
            String text = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(text).as(f.toString()).startsWith("TBE1").doesNotContain(vol.toString());
            plainNames.forEach(n -> assertThat(text).doesNotContain(n));
            assertThat(plainNames).doesNotContain(f.getFileName().toString());
        }
        assertThat(agent.delete("/v1/backups/" + plain.path("id").asText()).statusCode()).isEqualTo(204);
        assertThat(agent.delete("/v1/backups/" + id).statusCode()).isEqualTo(204);
        assertThat(agent.delete("/v1/volumes/" + copy).statusCode()).isEqualTo(204);
    }

    private static JsonNode finished(AgentProcess agent, HttpResponse<String> accepted) throws Exception {
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode op = agent.finished(accepted.headers().firstValue("Location").orElseThrow(),
                java.time.Duration.ofMinutes(2));
        assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("succeeded");
        return op.path("result");
    }

    /**
     * A LUKS volume (its key a Barbican secret the agent made) is backed up as the ciphertext it holds, with the
     * backup's own copy of the key in Barbican: the volume and its key can go, and the restore makes a volume
     * holding the same bytes, keyed by another copy; a plain volume is not overwritten with it; each copy goes
     * with its backup or volume.
     */
    private void backUpAndRestoreEncrypted(AgentProcess agent, UUID encrypted, UUID plain) throws Exception {
        OpenStackLab.Token tether = openstack.token("tether", "service");
        String volumeKey = json(agent.get("/v1/volumes/" + encrypted), 200).path("encryption")
                .path("encryption_key_id").asText();
        byte[] key = openstack.secretPayload(tether, volumeKey);
        assertThat(key).isNotEmpty();
        Path before = dir.resolve("encrypted-before.raw");
        ceph.rbd("export", "--no-progress", "volumes/volume-" + encrypted, before.toString());

        JsonNode backup = finished(agent, agent.post("/v1/volumes/" + encrypted + "/backups", "{}"));
        String backupKey = backup.path("encryption_key_id").asText();
        assertThat(backup.path("encrypted").asBoolean()).isTrue();
        assertThat(backupKey).isNotEqualTo(volumeKey);
        assertThat(openstack.secretPayload(tether, backupKey)).as("the backup's own copy of the key").isEqualTo(key);
        assertThat(agent.delete("/v1/volumes/" + encrypted).statusCode()).isEqualTo(204);
        assertThat(openstack.secretPayload(tether, volumeKey)).as("the volume's key went with it").isNull();

        String id = backup.path("id").asText();
        HttpResponse<String> accepted = agent.post("/v1/backups/" + id + "/restore", "{\"volume_id\": \"" + plain + "\"}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode refused = agent.finished(accepted.headers().firstValue("Location").orElseThrow(),
                java.time.Duration.ofMinutes(1));
        assertThat(refused.path("state").asText()).isEqualTo("failed");
        assertThat(refused.path("result").path("code").asText()).as(refused.toString()).isEqualTo("backup_unsupported");
        assertThat(json(agent.get("/v1/volumes/" + plain), 200).path("state").asText()).isEqualTo("available");
        JsonNode restored = finished(agent, agent.post("/v1/backups/" + id + "/restore", "{}"));
        String restoredKey = restored.path("encryption").path("encryption_key_id").asText();
        assertThat(restoredKey).isNotIn(volumeKey, backupKey, "");
        assertThat(openstack.secretPayload(tether, restoredKey)).isEqualTo(key);
        Path after = dir.resolve("encrypted-after.raw");
        ceph.rbd("export", "--no-progress", "volumes/volume-" + restored.path("id").asText(), after.toString());
        assertThat(Digests.sha256(after)).as("the same ciphertext, LUKS header and all").isEqualTo(Digests.sha256(before));
        Files.delete(before);
        Files.delete(after);

        assertThat(agent.delete("/v1/backups/" + id).statusCode()).isEqualTo(204);
        assertThat(openstack.secretPayload(tether, backupKey)).as("the backup's key went with it").isNull();
        assertThat(openstack.secretPayload(tether, restoredKey)).isEqualTo(key);
        assertThat(agent.delete("/v1/volumes/" + restored.path("id").asText()).statusCode()).isEqualTo(204);
        assertThat(openstack.secretPayload(tether, restoredKey)).isNull();
    }

    /**
     * A sealed store's key rotated, both keys real Barbican secrets. An agent told only of the new key names the
     * old one and reads nothing; restarted with the old key as its previous key, the backup made before verifies
     * and restores byte for byte; the re-seal seals its chunks and manifest again with the new key (each object's
     * header names it) and removes the old copies; a new backup is sealed with the new key; and an agent that no
     * longer knows the old key verifies both backups.
     */
    @Test
    void aSealedStoresKeyIsRotatedAndBackupsMadeBeforeStillRestore() throws Exception {
        OpenStackLab.Token tether = openstack.token("tether", "service");
        java.security.SecureRandom random = new java.security.SecureRandom();
        byte[] oldKey = new byte[32];
        byte[] newKey = new byte[32];
        random.nextBytes(oldKey);
        random.nextBytes(newKey);
        String oldId = openstack.storeSecret(tether, oldKey);
        String newId = openstack.storeSecret(tether, newKey);
        Path store = dir.resolve("rotated");
        Path raw = dir.resolve("rotated.raw");
        byte[] mib = new byte[1 << 20];
        java.util.SplittableRandom content = new java.util.SplittableRandom(11);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(1L << 30);
            for (int i = 0; i < 12; i++) { // three 4 MiB chunks of data, the rest never written
                content.nextBytes(mib);
                f.write(mib);
            }
        }
        UUID vol = UUID.randomUUID();
        String oldBackup;
        try (AgentProcess agent = storageAgent().with("-Dtether.backup.stores.vault.path=" + store,
                "-Dtether.backup.stores.vault.encryption-key-id=" + oldId, "-Dtether.backup.default-store=vault")) {
            agent.start();
            json(agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1}"), 201);
            Host.run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", raw.toString(), "rbd:volumes/volume-" + vol
                    + ":id=cinder:conf=" + ceph.conf + ":keyring=" + ceph.keyring);
            oldBackup = finished(agent, agent.post("/v1/volumes/" + vol + "/backups", "{}")).path("id").asText();
        }
        assertThat(sealedWith(store)).containsOnly(oldId);

        try (AgentProcess forgot = storageAgent().with("-Dtether.backup.stores.vault.path=" + store,
                "-Dtether.backup.stores.vault.encryption-key-id=" + newId, "-Dtether.backup.default-store=vault")) {
            forgot.start();
            HttpResponse<String> accepted = forgot.post("/v1/backups/" + oldBackup + "/verify", "{}");
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            JsonNode op = forgot.finished(accepted.headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(2));
            assertThat(op.toString()).contains("backup_corrupt").contains(oldId);
        }

        String newBackup;
        try (AgentProcess agent = storageAgent().with("-Dtether.backup.stores.vault.path=" + store,
                "-Dtether.backup.stores.vault.encryption-key-id=" + newId,
                "-Dtether.backup.stores.vault.encryption-previous-key-ids=" + oldId,
                "-Dtether.backup.default-store=vault")) {
            agent.start();
            finished(agent, agent.post("/v1/backups/" + oldBackup + "/verify", "{}"));
            JsonNode restored = finished(agent, agent.post("/v1/backups/" + oldBackup + "/restore", "{}"));
            String copy = restored.path("id").asText();
            assertThat(ceph.read("volume-" + copy, 0, 12 << 20)).isEqualTo(readHead(raw, 12 << 20));
            assertThat(agent.delete("/v1/volumes/" + copy).statusCode()).isEqualTo(204);

            JsonNode resealed = finished(agent, agent.post("/v1/backup-stores/vault/reseal", "{}"));
            assertThat(resealed.path("manifests").asInt()).isEqualTo(1);
            assertThat(resealed.path("chunks").asInt()).as("three chunks of data").isEqualTo(3);
            assertThat(resealed.path("removed_chunks").asInt()).isEqualTo(3);
            assertThat(sealedWith(store)).as("nothing is left that the old key sealed").containsOnly(newId);

            JsonNode fresh = finished(agent, agent.post("/v1/volumes/" + vol + "/backups", "{}"));
            newBackup = fresh.path("id").asText();
            assertThat(fresh.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(raw, 4 << 20));
            assertThat(sealedWith(store)).containsOnly(newId);
        }

        try (AgentProcess agent = storageAgent().with("-Dtether.backup.stores.vault.path=" + store,
                "-Dtether.backup.stores.vault.encryption-key-id=" + newId, "-Dtether.backup.default-store=vault")) {
            agent.start();
            finished(agent, agent.post("/v1/backups/" + oldBackup + "/verify", "{}"));
            assertThat(agent.delete("/v1/backups/" + oldBackup).statusCode()).isEqualTo(204);
            finished(agent, agent.post("/v1/backups/" + newBackup + "/verify", "{}"));
            assertThat(agent.delete("/v1/backups/" + newBackup).statusCode()).isEqualTo(204);
            assertThat(sealedWith(store)).isEmpty();
            assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
        }
    }

    private static byte[] readHead(Path file, int length) throws Exception {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[length];
            f.readFully(b);
            return b;
        }
    }

    /** The key ids the store's objects are sealed with (each object's header: "TBE1", then the key id). */
    private static java.util.Set<String> sealedWith(Path store) throws Exception {
        java.util.Set<String> ids = new java.util.HashSet<>();
        try (var walk = Files.walk(store)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(f);
                assertThat(new String(b, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).as(f.toString())
                        .isEqualTo("TBE1");
                java.nio.ByteBuffer id = java.nio.ByteBuffer.wrap(b, 4, 16);
                ids.add(new UUID(id.getLong(), id.getLong()).toString());
            }
        }
        return ids;
    }

    /**
     * Glance and the agent's volumes on one Ceph, and an agent whose cephx user may write Glance's pool: a raw
     * upload is a clone of the volume's snapshot in pool {@code images}, flattened (nothing links the image to
     * the volume), in Glance's layout, and given to Glance as its location. Glance's own user reads it back
     * whole, the next volume is a clone of it, and Glance's delete removes it from Ceph.
     */
    @Test
    void aRawUploadIsCopiedInsideCephWhenTheAgentMayWriteGlancesPool() throws Exception {
        Path keyring = dir.resolve("client.tether-images.keyring");
        Host.run("ceph", "-c", ceph.conf.toString(), "auth", "get-or-create", "client.tether-images",
                "mon", "profile rbd", "osd", "profile rbd pool=volumes, profile rbd pool=images",
                "mgr", "profile rbd pool=volumes", "-o", keyring.toString());
        String fsid = Files.readAllLines(ceph.conf).stream().filter(l -> l.startsWith("fsid")).findFirst()
                .orElseThrow().replaceAll("^fsid\\s*=\\s*", "");
        UUID vol = UUID.randomUUID();
        UUID again = UUID.randomUUID();
        List<UUID> images = new ArrayList<>();
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        try (AgentProcess agent = storageAgent().with("-Dtether.storage.rbd.glance-pool=images",
                "-Dtether.storage.rbd.user=tether-images", "-Dtether.storage.rbd.keyring=" + keyring)) {
            agent.start();
            json(agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1}"), 201);
            Host.run("qemu-io", "-f", "raw", "-c", "write -P 0x3c 0 1M", "-c", "write -P 0xc3 512M 1M",
                    "rbd:volumes/volume-" + vol + ":id=cinder:conf=" + ceph.conf + ":keyring=" + ceph.keyring);
            JsonNode up = uploaded(agent, vol, "{\"name\": \"copied-in-ceph\"}", 201);
            UUID image = UUID.fromString(up.path("image_id").asText());
            images.add(image);
            assertThat(up.path("copied_in_store").asBoolean()).isTrue();
            assertThat(up.path("size").asLong()).isEqualTo(1L << 30);

            JsonNode inGlance = openstack.image(admin, image);
            assertThat(inGlance.path("status").asText()).isEqualTo("active");
            assertThat(inGlance.path("size").asLong()).isEqualTo(1L << 30);
            assertThat(inGlance.path("direct_url").asText()).isEqualTo("rbd://" + fsid + "/images/" + image + "/snap");
            String rbd = Host.run("rbd", "-c", ceph.conf.toString(), "info", "--format", "json", "images/" + image);
            assertThat(rbd).as("flattened: nothing links the image to the volume").doesNotContain("\"parent\"");
            assertThat(Host.run("rbd", "-c", ceph.conf.toString(), "snap", "ls", "--format", "json",
                    "images/" + image)).contains("\"name\":\"snap\"").contains("\"protected\":\"true\"");
            assertThat(ceph.rbd("snap", "ls", "--format", "json", "volumes/volume-" + vol).strip()).isEqualTo("[]");

            // Glance's own user reads the whole image: the volume's bytes, no parent in a pool it may not read
            Path saved = dir.resolve("copied.raw");
            openstack.cli("admin", "admin", "image", "save", "--file", saved.toString(), image.toString());
            assertThat(Files.size(saved)).isEqualTo(1L << 30);
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(saved.toFile(), "r")) {
                byte[] b = new byte[1 << 20];
                f.readFully(b);
                assertThat(b).containsOnly((byte) 0x3c);
                f.seek(512L << 20);
                f.readFully(b);
                assertThat(b).containsOnly((byte) 0xc3);
            }

            volumeFromImage(agent, again, image);
            JsonNode parent = JSON.readTree(ceph.rbd("info", "--format", "json", "volumes/volume-" + again)).path("parent");
            assertThat(parent.path("pool").asText() + "/" + parent.path("image").asText()).isEqualTo("images/" + image);
            assertThat(ceph.read("volume-" + again, 512L << 20, 1 << 20)).containsOnly((byte) 0xc3);
            for (UUID v : List.of(vol, again)) {
                assertThat(agent.delete("/v1/volumes/" + v).statusCode()).isEqualTo(204);
            }
            openstack.cli("admin", "admin", "image", "delete", image.toString());
            images.clear();
            assertThat(Host.run("rbd", "-c", ceph.conf.toString(), "ls", "images")).doesNotContain(image.toString());
        } finally {
            deleteImages(images);
            Host.exec("ceph", "-c", ceph.conf.toString(), "auth", "del", "client.tether-images");
        }
    }

    /**
     * {@code kill -9} of the agent while it uploads a volume: the next start removes the unverified image from
     * Glance and the temporary snapshot and volume from Ceph, and the volume is as it was.
     */
    @Test
    void anUploadKilledMidWayIsUndoneAtTheNextStart() throws Exception {
        UUID vol = UUID.randomUUID();
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        try (AgentProcess agent = storageAgent()) {
            agent.start();
            json(agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1}"), 201);
            // data in every 64 MiB of the image, so that reading and sending it takes a moment
            List<String> qemuIo = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
            for (long off = 0; off < (1L << 30); off += 64L << 20) {
                qemuIo.addAll(List.of("-c", "write -P 0x11 " + off + " 1M"));
            }
            qemuIo.add("rbd:volumes/volume-" + vol + ":id=cinder:conf=" + ceph.conf + ":keyring=" + ceph.keyring);
            Host.run(qemuIo.toArray(String[]::new));
            HttpResponse<String> accepted = agent.post("/v1/volumes/" + vol + "/image", "{\"name\": \"killed\"}");
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            JsonNode caught = null;
            for (int i = 0; i < 3000 && caught == null; i++) {
                JsonNode list = JSON.readTree(agent.get("/v1/image-uploads").body());
                for (JsonNode u : list) {
                    if (List.of("converting", "uploading").contains(u.path("phase").asText())) {
                        caught = u;
                    }
                }
                Thread.sleep(10);
            }
            assertThat(caught).as("the upload was seen converting or uploading").isNotNull();
            agent.kill();
            UUID image = UUID.fromString(caught.path("image_id").asText());
            System.out.println("upload killed while " + caught.path("phase").asText());

            agent.start();
            java.time.Instant end = java.time.Instant.now().plusSeconds(30);
            while (Files.list(dir.resolve("storage-state").resolve("image-uploads")).findAny().isPresent()
                    && java.time.Instant.now().isBefore(end)) {
                Thread.sleep(100);
            }
            assertThat(Files.list(dir.resolve("storage-state").resolve("image-uploads")).toList()).isEmpty();
            HttpResponse<String> inGlance = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(openstack.env.get("GLANCE_URL")
                            + "/v2/images/" + image)).header("X-Auth-Token", admin.value()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(inGlance.statusCode()).as(inGlance.body()).isEqualTo(404);
            assertThat(ceph.rbd("snap", "ls", "--format", "json", "volumes/volume-" + vol).strip()).isEqualTo("[]");
            assertThat(ceph.rbd("ls", "volumes")).doesNotContain(new org.tether.storage.image.UploadRecord(image, vol,
                    "raw", org.tether.storage.image.UploadRecord.Phase.STARTED, null).temporaryVolumeId().toString());
            assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
        }
    }

    /**
     * The whole round trip on one Ceph, ending in a boot: a Linux image (lab/os-image.sh, qcow2) made with the
     * openstack CLI, a volume downloaded from it, that volume uploaded back to Glance as raw, a second volume
     * cloned from the uploaded image, exported, and booted by {@code POST /v1/instances} through QEMU's librbd:
     * the kernel's init prints its line on the console.
     */
    @Test
    void aVolumeMadeFromAnImageUploadedFromAVolumeBootsLinux() throws Exception {
        String line = "tether-roundtrip-" + UUID.randomUUID().toString().substring(0, 8);
        UUID original = openstack.linuxImage(dir, line);
        List<UUID> images = new ArrayList<>(List.of(original));
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        Path key = dir.resolve("cinder.key");
        Files.writeString(key, ceph.key() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        String secret = openstack.env.get("RBD_SECRET_UUID");
        String name = "tether-roundtrip-" + UUID.randomUUID().toString().substring(0, 8);
        try (AgentProcess agent = storageAgent().with("-Dtether.mode=both", "-Dtether.storage.rbd.secret-uuid=" + secret,
                "-Dtether.ceph.secret-uuid=" + secret, "-Dtether.ceph.key-file=" + key)) {
            agent.start();
            volumeFromImage(agent, first, original);
            JsonNode up = uploaded(agent, first, "{\"name\": \"roundtrip\"}", 201);
            UUID uploaded = UUID.fromString(up.path("image_id").asText());
            images.add(uploaded);
            volumeFromImage(agent, second, uploaded);
            assertThat(ceph.rbd("info", "--format", "json", "volumes/volume-" + second)).contains(uploaded.toString());

            String connector = agent.get("/v1/connector").body();
            String initiator = JSON.readTree(connector).path("initiator").asText();
            JsonNode info = json(agent.put("/v1/volumes/" + second + "/exports/" + initiator, connector), 200);
            JsonNode booted = json(agent.post("/v1/instances", "{\"name\": \"" + name + "\", \"vcpus\": 1, "
                    + "\"memory_mb\": 256, \"boot_volume\": {\"volume_id\": \"" + second + "\", \"connection_info\": "
                    + info + ", \"attach_path\": \"qemu\"}}"), 201);
            org.tether.lab.BootSector.awaitConsole(Path.of(booted.path("console_log").asText()), line);
            assertThat(agent.delete("/v1/instances/" + name).statusCode()).isEqualTo(204);
            json(agent.delete("/v1/volumes/" + second + "/exports/" + initiator), 204);
            for (UUID v : List.of(first, second)) {
                assertThat(agent.delete("/v1/volumes/" + v).statusCode()).isEqualTo(204);
            }
        } finally {
            Host.exec("virsh", "-c", "qemu:///system", "destroy", name);
            Host.exec("virsh", "-c", "qemu:///system", "undefine", name, "--nvram");
            deleteImages(images);
        }
    }

    /** Cleanup that never hides the test's own failure: an image Glance will not delete now is only reported. */
    private static void deleteImages(List<UUID> images) {
        for (UUID image : images) {
            try {
                openstack.cli("admin", "admin", "image", "delete", image.toString());
            } catch (Exception e) {
                System.out.println("image " + image + " not deleted: " + e.getMessage());
            }
        }
    }
}
