package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.BootSector;
import org.tether.lab.Host;
import org.tether.lab.OpenStackLab;
import org.tether.lab.CephCluster;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A standalone Cinder with Tether's storage mode as its backend, and no fake anywhere: the real cinder-volume
 * 21.3 loads {@code integrations/cinder}'s driver ({@code tether_cinder.driver.TetherDriver}) and drives the
 * packaged agent in storage mode (two file pools exported by tgtd, its API behind a token) over REST; Cinder's
 * scheduler places volumes on the agent's pools by volume type; a Tether compute agent boots and hot-plugs the
 * volumes through Cinder attachments over iSCSI (QEMU's initiator, CHAP).
 */
class CinderDriverIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BACKEND = "tether";

    @TempDir
    static Path dir;
    private static CephCluster ceph;
    private static AgentProcess storage;
    private static String token;
    private static OpenStackLab openstack;
    private static OpenStackLab.Token admin;

    @BeforeAll
    static void start() throws Exception {
        // a lab of its own (see OpenStackLabIT.stop); its Ceph holds only Cinder's and Glance's small images
        ceph = CephCluster.start(6796, 2L << 30);
        openstack = OpenStackLab.start(ceph);
        token = "driver-token-" + UUID.randomUUID();
        Path tokenFile = dir.resolve("storage.token");
        Files.writeString(tokenFile, token + "\n");
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        Path pw = openstack.passwordFile("tether", dir.resolve("tether.password"));
        List<String> props = new ArrayList<>(List.of("-Dtether.api.token-file=" + tokenFile,
                "-Dtether.mode=storage", "-Dtether.storage.target.driver=tgt",
                "-Dtether.storage.target.portals=127.0.0.1:3260",
                "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve("tgt-conf.d"),
                "-Dtether.storage.default-pool=silver",
                "-Dtether.storage.images.scratch-dir=" + dir.resolve("scratch"),
                "-Dtether.storage.images.scratch-reserve-mb=16",
                "-Dtether.cinder.auth-url=" + openstack.authUrl(), "-Dtether.cinder.username=tether",
                "-Dtether.cinder.password-file=" + pw, "-Dtether.cinder.project-name=service"));
        for (String pool : List.of("gold", "silver")) {
            props.addAll(List.of("-Dtether.storage.pools." + pool + ".backend=file",
                    "-Dtether.storage.pools." + pool + ".dir=" + dir.resolve(pool),
                    "-Dtether.storage.pools." + pool + ".volume-backend-name=tether-" + pool));
        }
        storage = new AgentProcess(18103, dir.resolve("storage-state"), dir.resolve("agent-storage.log"))
                .properties(props.toArray(String[]::new));
        storage.start();
        Path conf = dir.resolve("cinder-tether.conf");
        Files.writeString(conf, """
                [%s]
                volume_driver = tether_cinder.driver.TetherDriver
                volume_backend_name = %s
                tether_url = http://127.0.0.1:18103
                tether_token_file = %s
                """.formatted(BACKEND, BACKEND, tokenFile));
        Host.run(Duration.ofMinutes(2), "bash", Path.of("lab/openstack.sh").toAbsolutePath().toString(),
                "start-backend", openstack.dir.toString(), BACKEND, conf.toString());
        admin = openstack.token("admin", "admin");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (storage != null) {
                storage.close();
            }
        } finally {
            if (openstack != null) {
                openstack.close();   // the extra cinder-volume too: it is one more service of the lab's directory
            }
            if (ceph != null) {
                ceph.close();
            }
        }
    }

    /** The storage agent's record of a volume (its API needs the token). */
    private static HttpResponse<String> tether(String path) throws Exception {
        return storage.get(path, "Authorization", "Bearer " + token);
    }

    private static String type(String pool) throws Exception {
        String name = "tether-" + pool + "-" + UUID.randomUUID().toString().substring(0, 6);
        openstack.cli("admin", "admin", "volume", "type", "create", "--property",
                "volume_backend_name=tether-" + pool, name);
        return name;
    }

    private static UUID volume(String body) throws Exception {
        JsonNode v = openstack.cinderJson(admin, "POST", "/volumes", "{\"volume\": " + body + "}", 202);
        UUID id = UUID.fromString(v.path("volume").path("id").asText());
        openstack.awaitVolume(admin, id, "available", Duration.ofMinutes(2));
        return id;
    }

    private static void awaitGone(UUID id) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (openstack.cinder(admin, "GET", "/volumes/" + id, null).statusCode() != 404) {
            assertThat(System.nanoTime()).as("volume " + id + " deleted by Cinder").isLessThan(end);
            Thread.sleep(200);
        }
    }

    @Test
    void cindersSchedulerPlacesVolumesOnTetherPoolsByTypeAndTheDriverMakesEveryKindOfVolume() throws Exception {
        String gold = type("gold");
        String silver = type("silver");
        UUID a = volume("{\"size\": 1, \"volume_type\": \"" + gold + "\"}");
        JsonNode inCinder = openstack.volume(admin, a);
        assertThat(inCinder.path("os-vol-host-attr:host").asText()).isEqualTo("tether-lab@" + BACKEND + "#gold");
        JsonNode inTether = JSON.readTree(tether("/v1/volumes/" + a).body());
        assertThat(inTether.path("pool").asText()).isEqualTo("gold");
        assertThat(inTether.path("size_gb").asInt()).isEqualTo(1);
        assertThat(dir.resolve("gold").resolve("volume-" + a)).exists();

        UUID d = volume("{\"size\": 1, \"volume_type\": \"" + silver + "\"}");
        assertThat(openstack.volume(admin, d).path("os-vol-host-attr:host").asText()).endsWith("#silver");
        assertThat(JSON.readTree(tether("/v1/volumes/" + d).body()).path("pool").asText()).isEqualTo("silver");

        // the snapshot, a volume from it, a clone, an extend
        JsonNode snap = openstack.cinderJson(admin, "POST", "/snapshots",
                "{\"snapshot\": {\"volume_id\": \"" + a + "\", \"name\": \"s\"}}", 202);
        UUID s = UUID.fromString(snap.path("snapshot").path("id").asText());
        awaitSnapshot(s, "available");
        assertThat(tether("/v1/volumes/" + a).body()).contains(s.toString());
        // bytes written after the snapshot; Cinder's revert (3.40) has the agent put the snapshot's back
        Path aFile = dir.resolve("gold").resolve("volume-" + a);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(aFile.toFile(), "rw")) {
            f.seek(4096);
            f.write(new byte[] {1, 2, 3, 4});
        }
        openstack.cinderJson(admin, "POST", "/volumes/" + a + "/action",
                "{\"revert\": {\"snapshot_id\": \"" + s + "\"}}", 202);
        awaitStatus(a, "available");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(aFile.toFile(), "r")) {
            byte[] back = new byte[4];
            f.seek(4096);
            f.readFully(back);
            assertThat(back).containsOnly((byte) 0);
        }
        UUID fromSnap = volume("{\"size\": 1, \"volume_type\": \"" + gold + "\", \"snapshot_id\": \"" + s + "\"}");
        JsonNode from = JSON.readTree(tether("/v1/volumes/" + fromSnap).body()).path("source");
        assertThat(from.path("type").asText() + " " + from.path("id").asText()).isEqualTo("snapshot " + s);
        UUID clone = volume("{\"size\": 1, \"volume_type\": \"" + gold + "\", \"source_volid\": \"" + a + "\"}");
        from = JSON.readTree(tether("/v1/volumes/" + clone).body()).path("source");
        assertThat(from.path("type").asText() + " " + from.path("id").asText()).isEqualTo("volume " + a);
        openstack.cinderJson(admin, "POST", "/volumes/" + a + "/action", "{\"os-extend\": {\"new_size\": 2}}", 202);
        openstack.awaitVolume(admin, a, "available", Duration.ofMinutes(1));
        assertThat(openstack.volume(admin, a).path("size").asInt()).isEqualTo(2);
        assertThat(JSON.readTree(tether("/v1/volumes/" + a).body()).path("size_gb").asInt()).isEqualTo(2);
        assertThat(Files.size(dir.resolve("gold").resolve("volume-" + a))).isEqualTo(2L << 30);

        // Cinder's attachment with a connector is the driver's export, to that initiator only, and its end
        String initiator = "iqn.1993-08.org.debian:01:driver-" + UUID.randomUUID().toString().substring(0, 8);
        UUID held = openstack.reserve(admin, d, UUID.randomUUID());
        openstack.cinderJson(admin, "PUT", "/attachments/" + held, "{\"attachment\": {\"connector\": "
                + "{\"initiator\": \"" + initiator + "\", \"host\": \"elsewhere\", \"ip\": \"127.0.0.1\"}}}", 200);
        assertThat(tether("/v1/volumes/" + d).body()).contains(initiator);
        // as Nova deletes it since OSSA-2023-003: with a service token
        assertThat(openstack.cinder(admin, service(), "DELETE", "/attachments/" + held, null).statusCode())
                .isEqualTo(200);
        awaitStatus(d, "available");
        assertThat(JSON.readTree(tether("/v1/volumes/" + d).body()).path("exports")).isEmpty();

        // the agent refuses to delete a volume exported behind Cinder's back (409): the driver says VolumeIsBusy
        // and Cinder puts the volume back to available, not error_deleting; without the export it goes
        assertThat(storage.put("/v1/volumes/" + d + "/exports/" + initiator, "{\"initiator\": \"" + initiator
                + "\"}").statusCode()).as("no token, no export").isEqualTo(401);
        HttpResponse<String> behind = storage.send("PUT", "/v1/volumes/" + d + "/exports/" + initiator,
                "{\"initiator\": \"" + initiator + "\"}", "Authorization", "Bearer " + token);
        assertThat(behind.statusCode()).as(behind.body()).isEqualTo(200);
        openstack.cinderJson(admin, "DELETE", "/volumes/" + d, null, 202);
        awaitStatus(d, "available");
        assertThat(tether("/v1/volumes/" + d).statusCode()).isEqualTo(200);
        assertThat(storage.send("DELETE", "/v1/volumes/" + d + "/exports/" + initiator, null,
                "Authorization", "Bearer " + token).statusCode()).isEqualTo(204);

        // a retype to the other pool's type: the scheduler picks pool silver, the agent moves the volume there
        openstack.cinderJson(admin, "POST", "/volumes/" + clone + "/action", "{\"os-retype\": {\"new_type\": \""
                + silver + "\", \"migration_policy\": \"on-demand\"}}", 202);
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!openstack.volume(admin, clone).path("volume_type").asText().equals(silver)) {
            assertThat(openstack.volumeStatus(admin, clone)).doesNotStartWith("error");
            assertThat(System.nanoTime()).as("retyped within 2 minutes").isLessThan(end);
            Thread.sleep(200);
        }
        awaitStatus(clone, "available");
        assertThat(openstack.volume(admin, clone).path("os-vol-host-attr:host").asText()).endsWith("#silver");
        assertThat(JSON.readTree(tether("/v1/volumes/" + clone).body()).path("pool").asText()).isEqualTo("silver");
        assertThat(dir.resolve("silver").resolve("volume-" + clone)).exists();
        assertThat(dir.resolve("gold").resolve("volume-" + clone)).doesNotExist();

        // Cinder's upload to image: its API registers the image, the driver has the agent give it the data
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(dir.resolve("silver").resolve("volume-" + d)
                .toFile(), "rw")) {
            byte[] mib = new byte[1 << 20];
            java.util.Arrays.fill(mib, (byte) 0x2d);
            f.seek(512L << 20);
            f.write(mib);
        }
        JsonNode upload = openstack.cinderJson(admin, "POST", "/volumes/" + d + "/action",
                "{\"os-volume_upload_image\": {\"image_name\": \"from-tether\", \"disk_format\": \"raw\", "
                        + "\"container_format\": \"bare\"}}", 202);
        UUID image = UUID.fromString(upload.path("os-volume_upload_image").path("image_id").asText());
        try {
            awaitStatus(d, "available");
            JsonNode inGlance = openstack.image(admin, image);
            assertThat(inGlance.path("status").asText()).isEqualTo("active");
            assertThat(inGlance.path("size").asLong()).isEqualTo(1L << 30);
            Path saved = dir.resolve("from-tether.raw");
            openstack.cli("admin", "admin", "image", "save", "--file", saved.toString(), image.toString());
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(saved.toFile(), "r")) {
                byte[] b = new byte[1 << 20];
                f.seek(512L << 20);
                f.readFully(b);
                assertThat(b).containsOnly((byte) 0x2d);
            }
            Files.delete(saved);
        } finally {
            openstack.cli("admin", "admin", "image", "delete", image.toString());
        }

        openstack.cinderJson(admin, "DELETE", "/snapshots/" + s, null, 202);
        long gone = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (openstack.cinder(admin, "GET", "/snapshots/" + s, null).statusCode() != 404) {
            assertThat(System.nanoTime()).as("snapshot deleted").isLessThan(gone);
            Thread.sleep(200);
        }
        assertThat(tether("/v1/volumes/" + a).body()).doesNotContain(s.toString());
        for (UUID v : List.of(fromSnap, clone, a, d)) {
            openstack.cinderJson(admin, "DELETE", "/volumes/" + v, null, 202);
        }
        for (UUID v : List.of(fromSnap, clone, a, d)) {
            awaitGone(v);
            assertThat(tether("/v1/volumes/" + v).statusCode()).isEqualTo(404);
        }
        assertThat(tether("/v1/volumes/" + a).statusCode()).isEqualTo(404);
    }

    private static void awaitSnapshot(UUID id, String status) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        String now;
        while (!(now = openstack.cinderJson(admin, "GET", "/snapshots/" + id, null, 200).path("snapshot")
                .path("status").asText()).equals(status)) {
            assertThat(now).as("snapshot " + id).doesNotStartWith("error");
            assertThat(System.nanoTime()).as("snapshot " + id + " " + status).isLessThan(end);
            Thread.sleep(200);
        }
    }

    /** A token of a user with the service role, as Nova sends with a delete of an attachment. */
    private static OpenStackLab.Token service() throws Exception {
        return openstack.token("tether", "service");
    }

    private static void awaitStatus(UUID id, String status) throws Exception {
        openstack.awaitVolume(admin, id, status, Duration.ofMinutes(1));
    }

    /**
     * The platform the seeds describe, with no Nova: a Linux image in Glance becomes a volume of a Tether pool
     * through Cinder (the agent imports it; nothing is attached on the cinder-volume host), a Tether compute agent
     * boots a domain from it with the connection_info Cinder's attachment returns (the driver's export: tgt, CHAP,
     * the compute host's initiator only), the kernel's line reaches the console; a second volume is hot-plugged
     * and unplugged by the compute agent through its own Cinder attachment; everything is detached and deleted.
     */
    @Test
    void aStandaloneCinderCloudBootsLinuxFromATetherVolumeWithNoFakeAnywhere() throws Exception {
        String line = "tether-standalone-" + UUID.randomUUID().toString().substring(0, 8);
        UUID image = openstack.linuxImage(dir, line);
        String gold = type("gold");
        String name = "tether-standalone-" + UUID.randomUUID().toString().substring(0, 8);
        Path pw = openstack.passwordFile("tether", dir.resolve("compute.password"));
        try (AgentProcess compute = new AgentProcess(18105, dir.resolve("compute-state"),
                dir.resolve("agent-compute.log")).with("-Dtether.cinder.auth-url=" + openstack.authUrl(),
                "-Dtether.cinder.username=tether", "-Dtether.cinder.password-file=" + pw,
                "-Dtether.cinder.project-name=service")) {
            compute.start();
            UUID boot = volume("{\"size\": 1, \"volume_type\": \"" + gold + "\", \"imageRef\": \"" + image + "\"}");
            assertThat(openstack.volume(admin, boot).path("bootable").asText()).isEqualTo("true");
            JsonNode made = JSON.readTree(tether("/v1/volumes/" + boot).body());
            assertThat(made.path("volume_image_metadata").path("image_id").asText()).isEqualTo(image.toString());

            // Nova's boot from volume, played by the test: reserve, the host's connector, boot, complete
            String connector = compute.get("/v1/connector").body();
            UUID instance = UUID.randomUUID();
            UUID bootAttachment = openstack.reserve(admin, boot, instance);
            JsonNode att = openstack.cinderJson(admin, "PUT", "/attachments/" + bootAttachment,
                    "{\"attachment\": {\"connector\": " + connector + "}}", 200);
            JsonNode info = att.path("attachment").path("connection_info");
            assertThat(info.path("driver_volume_type").asText()).isEqualTo("iscsi");
            assertThat(info.path("auth_method").asText()).isEqualTo("CHAP");
            assertThat(info.path("target_portal").asText()).isEqualTo("127.0.0.1:3260");
            JsonNode booted = json(compute.post("/v1/instances", "{\"name\": \"" + name + "\", \"vcpus\": 1, "
                    + "\"memory_mb\": 256, \"boot_volume\": {\"volume_id\": \"" + boot + "\", \"connection_info\": "
                    + info + ", \"attach_path\": \"qemu\"}}"), 201);
            openstack.cinderJson(admin, "POST", "/attachments/" + bootAttachment + "/action",
                    "{\"os-complete\": null}", 204);
            awaitStatus(boot, "in-use");
            BootSector.awaitConsole(Path.of(booted.path("console_log").asText()), line);

            // a data volume hot-plugged by the compute agent through its own Cinder attachment
            UUID data = volume("{\"size\": 1, \"volume_type\": \"" + gold + "\"}");
            UUID dataAttachment = openstack.reserve(admin, data, instance);
            json(compute.post("/v1/cinder-attachments", "{\"attachment_id\": \"" + dataAttachment + "\", "
                    + "\"volume_id\": \"" + data + "\", \"instance\": \"" + name + "\", \"project_id\": \""
                    + admin.projectId() + "\", \"attach_path\": \"qemu\"}"), 201);
            awaitStatus(data, "in-use");
            assertThat(Host.virsh("domblklist", name)).contains("volume-" + data);
            assertThat(compute.delete("/v1/cinder-attachments/" + dataAttachment).statusCode()).isEqualTo(204);
            awaitStatus(data, "available");
            assertThat(JSON.readTree(tether("/v1/volumes/" + data).body()).path("exports")).isEmpty();

            assertThat(compute.delete("/v1/instances/" + name).statusCode()).isEqualTo(204);
            assertThat(openstack.cinder(admin, service(), "DELETE", "/attachments/" + bootAttachment, null)
                    .statusCode()).isEqualTo(200);
            awaitStatus(boot, "available");
            assertThat(JSON.readTree(tether("/v1/volumes/" + boot).body()).path("exports")).isEmpty();
            for (UUID v : List.of(boot, data)) {
                openstack.cinderJson(admin, "DELETE", "/volumes/" + v, null, 202);
            }
            for (UUID v : List.of(boot, data)) {
                awaitGone(v);
            }
        } finally {
            Host.exec("virsh", "-c", "qemu:///system", "destroy", name);
            Host.exec("virsh", "-c", "qemu:///system", "undefine", name, "--nvram");
            openstack.cli("admin", "admin", "image", "delete", image.toString());
        }
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }
}
