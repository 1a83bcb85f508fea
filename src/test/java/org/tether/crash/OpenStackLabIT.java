package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.CephCluster;
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

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        ceph = CephCluster.start(MON_PORT);
        openstack = OpenStackLab.start(ceph);
    }

    @AfterAll
    static void stop() throws Exception {
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
        Path key = dir.resolve("cinder.key");
        Files.writeString(key, ceph.key() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path pw = openstack.passwordFile(user, dir.resolve(user + ".password"));
        return new AgentProcess(18101, dir.resolve("state"), dir.resolve("agent-" + user + ".log")).with(
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
        try (AgentProcess agent = agent("tether"); TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
            agent.start();
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
            // Cinder's own states, in the order it went through them (a poll may miss the short 'attaching')
            assertThat(seen).isSubsetOf("reserved", "attaching", "in-use");
            assertThat(seen.get(seen.size() - 1)).isEqualTo("in-use");
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
}
