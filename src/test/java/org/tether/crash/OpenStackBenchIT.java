package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.CephCluster;
import org.tether.lab.Host;
import org.tether.lab.OpenStackLab;
import org.tether.lab.TestDomain;

import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Figures against the real OpenStack lab (run by {@code lab/bench-openstack.sh}, not by the suite):
 * <ul>
 *   <li>the attachment flow through Cinder 21.3: what the controller's call to the agent takes, and the host's
 *   share of it, from the agent's {@code tether_attach_seconds} and {@code tether_attach_step_seconds};</li>
 *   <li>a volume from a 1 GiB raw image: Glance's RBD store on the same Ceph (a clone) against the same bytes in
 *   Glance's file store (download, inspection, qemu-img into RBD);</li>
 *   <li>that volume (every MiB written) back to Glance as raw: copied inside Ceph into Glance's pool against
 *   streamed (qemu-img, hashes, HTTP through Glance);</li>
 *   <li>Cinder's volume create, from the POST to {@code available}: Cinder's own RBD driver against Tether's
 *   driver ({@code integrations/cinder}) in front of a Tether storage agent on the same Ceph pool, one at a time
 *   and 20 at once.</li>
 * </ul>
 */
@Tag("benchmark")
class OpenStackBenchIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CYCLES = 10;

    @TempDir
    Path dir;

    @Test
    void attachmentsThroughCinderAndVolumesFromImagesClonedOrDownloaded() throws Exception {
        try (CephCluster ceph = CephCluster.start(6797, 4L << 30); OpenStackLab openstack = OpenStackLab.start(ceph)) {
            try {
                attachments(ceph, openstack, null, null);
                images(ceph, openstack);
                cinderCreates(ceph, openstack);
            } finally {
                org.tether.lab.Host.exec("virsh", "-c", "qemu:///system", "secret-undefine",
                        openstack.env.get("RBD_SECRET_UUID"));
            }
        }
    }

    /**
     * Attach and detach cycles of one volume through Cinder attachments and a Tether compute agent.
     *
     * @param type null for Cinder's RBD backend, else a type placing the volume in a Tether pool
     * @param driverLog null, else cinder-volume's log of the Tether backend: the driver's calls to the storage
     *                  agent (the export and unexport) are read from it, for their share of the whole
     */
    private void attachments(CephCluster ceph, OpenStackLab openstack, String type, Path driverLog) throws Exception {
        Path key = dir.resolve("cinder.key");
        Files.writeString(key, ceph.key() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path pw = openstack.passwordFile("tether", dir.resolve("tether.password"));
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        UUID vol;
        if (type == null) {
            vol = openstack.createVolume(admin, 1);
        } else {
            vol = openstack.requestVolume(admin, 1, type);
            openstack.awaitVolume(admin, vol, "available", java.time.Duration.ofMinutes(2));
        }
        List<Double> attach = new ArrayList<>();
        List<Double> detach = new ArrayList<>();
        String label = type == null ? "compute" : "compute-tether-pool";
        try (AgentProcess agent = new AgentProcess(18103, dir.resolve(label), dir.resolve(label + ".log")).with(
                "-Dtether.cinder.auth-url=" + openstack.authUrl(), "-Dtether.cinder.username=tether",
                "-Dtether.cinder.password-file=" + pw, "-Dtether.cinder.project-name=service",
                "-Dtether.ceph.secret-uuid=" + openstack.env.get("RBD_SECRET_UUID"), "-Dtether.ceph.key-file=" + key);
             TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING)) {
            agent.start();
            for (int i = 0; i <= CYCLES; i++) {
                UUID attachment = openstack.reserve(admin, vol, UUID.randomUUID());
                long t0 = System.nanoTime();
                HttpResponse<String> r = agent.post("/v1/cinder-attachments", """
                        {"attachment_id": "%s", "volume_id": "%s", "instance": "%s", "project_id": "%s", "bus": "scsi"}"""
                        .formatted(attachment, vol, dom.name, admin.projectId()));
                long t1 = System.nanoTime();
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                HttpResponse<String> d = agent.delete("/v1/cinder-attachments/" + attachment);
                long t2 = System.nanoTime();
                assertThat(d.statusCode()).as(d.body()).isEqualTo(204);
                if (i > 0) { // the first cycle warms the JVM, the Keystone token and libvirt's connection
                    attach.add((t1 - t0) / 1e6);
                    detach.add((t2 - t1) / 1e6);
                }
            }
            String metrics = agent.get("/q/metrics").body();
            System.out.println("attachment flow through the real Cinder 21.3 (RBD, qemu path), " + CYCLES + " cycles, "
                    + (type == null ? "Cinder's RBD driver" : "a Tether pool behind Tether's driver") + " {");
            System.out.printf("  attach: p50 %.1f ms, mean %.1f ms (client wall: Cinder PUT + host attach + os-complete)%n",
                    p50(attach), mean(attach));
            System.out.printf("  detach: p50 %.1f ms, mean %.1f ms (client wall: host detach + Cinder DELETE)%n",
                    p50(detach), mean(detach));
            System.out.println("  agent's steps, mean ms per call (cumulative, warm-up included):");
            steps(metrics, "tether_attach_step_seconds").forEach((k, v) -> System.out.printf("    attach %s: %.1f%n", k, v));
            steps(metrics, "tether_detach_step_seconds").forEach((k, v) -> System.out.printf("    detach %s: %.1f%n", k, v));
            double hostAttach = timer(metrics, "tether_attach_seconds");
            double hostDetach = timer(metrics, "tether_detach_seconds");
            System.out.printf("  the host's attach %.1f ms of the call's mean (%.0f%%), the rest Cinder, Keystone and HTTP%n",
                    hostAttach, 100 * hostAttach / mean(attach));
            System.out.printf("  the host's detach %.1f ms of the call's mean (%.0f%%)%n", hostDetach,
                    100 * hostDetach / mean(detach));
            if (driverLog != null) {
                List<Double> exports = agentCalls(driverLog, "PUT /v1/volumes/" + vol + "/exports/");
                List<Double> unexports = agentCalls(driverLog, "DELETE /v1/volumes/" + vol + "/exports/");
                System.out.printf("  the driver's call to the storage agent in the attach (initialize_connection): "
                        + "p50 %.1f ms, mean %.1f ms (%.0f%% of the attach's mean)%n", p50(exports), mean(exports),
                        100 * mean(exports) / mean(attach));
                System.out.printf("  the driver's call in the detach (terminate_connection): p50 %.1f ms, mean %.1f ms "
                        + "(%.0f%% of the detach's mean)%n", p50(unexports), mean(unexports),
                        100 * mean(unexports) / mean(detach));
                System.out.printf("  Cinder's own (API, scheduler-free RPC to cinder-volume, database) and HTTP: "
                        + "%.1f ms of the attach's mean%n", mean(attach) - hostAttach - mean(exports));
            }
            System.out.println("}");
        } finally {
            openstack.cinder(admin, "DELETE", "/volumes/" + vol, null);
        }
    }

    private void images(CephCluster ceph, OpenStackLab openstack) throws Exception {
        Path raw = dir.resolve("image-1g.raw");
        byte[] block = new byte[1 << 20];
        new SplittableRandom(30).nextBytes(block);
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            for (int i = 0; i < 1024; i++) {
                block[0] = (byte) i; // no two MiB alike, and none of them zero
                f.write(block);
            }
        }
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        long u0 = System.nanoTime();
        UUID inCeph = openstack.createImageWithCli("admin", "admin", raw, "raw");
        long u1 = System.nanoTime();
        UUID inFiles = openstack.createImageInStore(admin, raw, "raw", "local");
        long u2 = System.nanoTime();
        Files.delete(raw);
        Path pw = openstack.passwordFile("tether", dir.resolve("tether.password"));
        // a cephx user that may also write Glance's pool, for uploads copied inside Ceph
        Path writer = dir.resolve("client.tether-bench.keyring");
        Host.run("ceph", "-c", ceph.conf.toString(), "auth", "get-or-create", "client.tether-bench",
                "mon", "profile rbd", "osd", "profile rbd pool=volumes, profile rbd pool=images",
                "mgr", "profile rbd pool=volumes", "-o", writer.toString());
        Map<String, Double> ms = new LinkedHashMap<>();
        UUID full = UUID.randomUUID();
        List<UUID> uploads = new ArrayList<>();
        try (AgentProcess agent = storageAgent(openstack, ceph, pw).with("-Dtether.storage.rbd.glance-pool=images",
                "-Dtether.storage.rbd.user=tether-bench", "-Dtether.storage.rbd.keyring=" + writer)) {
            agent.start();
            volumeFromImage(agent, inCeph); // warm-up: the Keystone token, the cluster's fsid, the JIT
            List<Double> clones = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clones.add(volumeFromImage(agent, inCeph));
            }
            ms.put("clone (Glance's RBD store, same cluster), p50 of 5", p50(clones));
            ms.put("download (Glance's file store)", volumeFromImage(agent, inFiles));
            List<Double> blank = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                UUID vol = UUID.randomUUID();
                long t0 = System.nanoTime();
                HttpResponse<String> made = agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1}");
                blank.add((System.nanoTime() - t0) / 1e6);
                assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
                assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
            }
            ms.put("blank 1 GiB volume (synchronous create, for scale), p50 of 5", p50(blank));
            volumeFromImage(agent, inFiles, full); // every MiB written: what an upload must carry
            ms.put("upload of that volume to Glance as raw, copied inside Ceph", upload(agent, full, true, uploads));
            // the OSD's RAM store holds the image, the volume and one upload at a time
            openstack.cli("admin", "admin", "image", "delete", uploads.remove(0).toString());
        }
        try (AgentProcess agent = storageAgent(openstack, ceph, pw)) {
            agent.start();
            ms.put("upload of that volume to Glance as raw, streamed (qemu-img, hashes, HTTP)",
                    upload(agent, full, false, uploads));
            assertThat(agent.delete("/v1/volumes/" + full).statusCode()).isEqualTo(204);
            full = null;
        } finally {
            if (full != null) {
                try (AgentProcess agent = storageAgent(openstack, ceph, pw)) {
                    agent.start();
                    agent.delete("/v1/volumes/" + full);
                }
            }
            for (UUID image : uploads) {
                openstack.cli("admin", "admin", "image", "delete", image.toString());
            }
            Host.exec("ceph", "-c", ceph.conf.toString(), "auth", "del", "client.tether-bench");
        }
        System.out.println("a 1 GiB raw image (1024 distinct MiB) becomes a 1 GiB RBD volume {");
        System.out.printf("  upload to Glance: %.1f s into its RBD store (openstack image create), %.1f s into its file store%n",
                (u1 - u0) / 1e9, (u2 - u1) / 1e9);
        ms.forEach((k, v) -> System.out.printf("  %s: %.0f ms%n", k, v));
        double clone = ms.get("clone (Glance's RBD store, same cluster), p50 of 5");
        double download = ms.get("download (Glance's file store)");
        System.out.printf("  clone is %.0fx faster than the download path (goal: >= 50x)%n", download / clone);
        System.out.printf("  upload copied inside Ceph is %.1fx faster than streamed%n}%n",
                ms.get("upload of that volume to Glance as raw, streamed (qemu-img, hashes, HTTP)")
                        / ms.get("upload of that volume to Glance as raw, copied inside Ceph"));
    }

    private void cinderCreates(CephCluster ceph, OpenStackLab openstack) throws Exception {
        Path token = dir.resolve("driver.token");
        Files.writeString(token, "bench-" + UUID.randomUUID() + "\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        OpenStackLab.Token admin = openstack.token("admin", "admin");
        Map<String, double[]> figures = new LinkedHashMap<>();
        Path driverLog = openstack.dir.resolve("log/cinder-volume-tether.log");
        double agentCreate = 0;
        double agentServed = 0;
        try (AgentProcess agent = new AgentProcess(18106, dir.resolve("driver-agent"), dir.resolve("driver-agent.log"))
                .properties("-Dtether.api.token-file=" + token, "-Dtether.mode=storage",
                        "-Dtether.storage.backend=rbd", "-Dtether.storage.rbd.conf=" + ceph.conf,
                        "-Dtether.storage.rbd.keyring=" + ceph.keyring, "-Dtether.storage.volume-backend-name=tether")) {
            agent.start();
            Path conf = dir.resolve("cinder-tether.conf");
            Files.writeString(conf, "[tether]\nvolume_driver = tether_cinder.driver.TetherDriver\n"
                    + "volume_backend_name = tether\ntether_url = http://127.0.0.1:18106\ntether_token_file = " + token + "\n");
            Host.run(java.time.Duration.ofMinutes(2), "bash", Path.of("lab/openstack.sh").toAbsolutePath().toString(),
                    "start-backend", openstack.dir.toString(), "tether", conf.toString());
            // Cinder's default quota (10 volumes per project) would refuse 20 at once
            openstack.cinderJson(admin, "PUT", "/os-quota-sets/" + admin.projectId(),
                    "{\"quota_set\": {\"volumes\": 100, \"gigabytes\": 1000}}", 200);
            try {
                // interleaved, one of each in turn: Cinder's database keeps every deleted volume (soft delete),
                // so its queries slow down as the bench goes on, and whichever backend ran second paid for it
                Map<String, String> types = new LinkedHashMap<>();
                Map<String, List<Double>> one = new LinkedHashMap<>();
                for (String backend : List.of("ceph", "tether")) {
                    String type = "bench-" + backend + "-" + UUID.randomUUID().toString().substring(0, 6);
                    openstack.cli("admin", "admin", "volume", "type", "create", "--property",
                            "volume_backend_name=" + backend, type);
                    types.put(backend, type);
                    one.put(backend, new ArrayList<>());
                    createAndDelete(openstack, admin, type, 1); // warm-up: tokens, connections, the JIT
                }
                int before = agentCalls(driverLog, "POST /v1/volumes answered 201").size();
                JsonNode servedBefore = serverTimes(agent, "POST", "/v1/volumes");
                for (int i = 0; i < CYCLES; i++) {
                    for (String backend : types.keySet()) {
                        one.get(backend).add(createAndDelete(openstack, admin, types.get(backend), 1));
                    }
                }
                List<Double> calls = agentCalls(driverLog, "POST /v1/volumes answered 201");
                agentCreate = p50(calls.subList(before, calls.size()));
                JsonNode served = serverTimes(agent, "POST", "/v1/volumes");
                agentServed = (served.path("sum").asDouble() - servedBefore.path("sum").asDouble()) * 1000
                        / (served.path("count").asDouble() - servedBefore.path("count").asDouble());
                for (String backend : types.keySet()) {
                    figures.put(backend, new double[] {p50(one.get(backend)),
                            createAndDelete(openstack, admin, types.get(backend), 20)});
                }
                attachments(ceph, openstack, types.get("tether"), driverLog);
            } finally {
                Host.exec("bash", Path.of("lab/openstack.sh").toAbsolutePath().toString(), "stop-backend",
                        openstack.dir.toString(), "tether");
            }
        }
        System.out.println("Cinder volume create, POST /volumes to available (1 GiB, RBD pool volumes) {");
        figures.forEach((k, v) -> System.out.printf("  %s driver: p50 of %d %.0f ms; 20 at once, until the last is "
                + "available, %.0f ms%n", k.equals("ceph") ? "Cinder's RBD" : "Tether's", CYCLES, v[0], v[1]));
        System.out.printf("  of Tether's one at a time, the driver's call to the agent (POST /v1/volumes, 201): p50 %.1f ms "
                + "(the agent's own, served: mean %.1f ms)%n", agentCreate, agentServed);
        System.out.printf("  Tether's driver against Cinder's own: %.2fx one at a time, %.2fx 20 at once (goal <= 1.2x)%n}%n",
                figures.get("tether")[0] / figures.get("ceph")[0], figures.get("tether")[1] / figures.get("ceph")[1]);
    }

    /** The agent's {@code http_server_requests_seconds} of one route: its {@code count} and {@code sum} (seconds). */
    private static JsonNode serverTimes(AgentProcess agent, String method, String uri) throws Exception {
        double count = 0;
        double sum = 0;
        for (String line : agent.get("/q/metrics").body().split("\n")) {
            if (line.startsWith("http_server_requests_seconds_") && line.contains("method=\"" + method + "\"")
                    && line.contains("uri=\"" + uri + "\"")) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                if (line.startsWith("http_server_requests_seconds_count")) {
                    count += v;
                } else if (line.startsWith("http_server_requests_seconds_sum")) {
                    sum += v;
                }
            }
        }
        assertThat(count).as("served " + method + " " + uri).isPositive();
        return JSON.createObjectNode().put("count", count).put("sum", sum);
    }

    /** The milliseconds of the driver's calls to the agent, from its log lines ("Tether agent: M PATH answered S in X ms"). */
    private static List<Double> agentCalls(Path driverLog, String containing) throws java.io.IOException {
        java.util.regex.Pattern ms = java.util.regex.Pattern.compile("answered \\d+ in ([0-9.]+) ms");
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(driverLog)) {
            if (line.contains("Tether agent: ") && line.contains(containing)) {
                java.util.regex.Matcher m = ms.matcher(line);
                if (m.find()) {
                    out.add(Double.parseDouble(m.group(1)));
                }
            }
        }
        assertThat(out).as("driver log lines with " + containing).isNotEmpty();
        return out;
    }

    /** Milliseconds from the first POST of {@code n} volumes of the type until the last is available; then deleted. */
    private static double createAndDelete(OpenStackLab openstack, OpenStackLab.Token admin, String type, int n)
            throws Exception {
        List<UUID> ids = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ids.add(openstack.requestVolume(admin, 1, type));
        }
        long end = System.nanoTime() + java.time.Duration.ofMinutes(3).toNanos();
        List<UUID> waiting = new ArrayList<>(ids);
        while (!waiting.isEmpty()) {
            String status = openstack.volumeStatus(admin, waiting.get(0));
            assertThat(status).as("volume " + waiting.get(0)).doesNotStartWith("error");
            assertThat(System.nanoTime()).as("created within 3 minutes").isLessThan(end);
            if (status.equals("available")) {
                waiting.remove(0);
            } else {
                Thread.sleep(20);
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        for (UUID id : ids) {
            openstack.cinderJson(admin, "DELETE", "/volumes/" + id, null, 202);
        }
        for (UUID id : ids) {
            long gone = System.nanoTime() + java.time.Duration.ofMinutes(1).toNanos();
            while (openstack.cinder(admin, "GET", "/volumes/" + id, null).statusCode() != 404
                    && System.nanoTime() < gone) {
                Thread.sleep(50);
            }
        }
        return ms;
    }

    /** The storage agent on RBD as the Keystone user tether (one state directory for the bench's agents). */
    private AgentProcess storageAgent(OpenStackLab openstack, CephCluster ceph, Path pw) {
        return new AgentProcess(18104, dir.resolve("storage"), dir.resolve("storage.log")).with(
                "-Dtether.mode=storage", "-Dtether.storage.backend=rbd", "-Dtether.storage.rbd.conf=" + ceph.conf,
                "-Dtether.storage.rbd.keyring=" + ceph.keyring, "-Dtether.storage.images.cache.enabled=false",
                "-Dtether.storage.images.scratch-dir=" + dir.resolve("scratch"),
                "-Dtether.storage.images.scratch-reserve-mb=16",
                "-Dtether.cinder.auth-url=" + openstack.authUrl(), "-Dtether.cinder.username=tether",
                "-Dtether.cinder.password-file=" + pw, "-Dtether.cinder.project-name=service");
    }

    /** Milliseconds of a raw upload of the volume, from the request to the verified image. */
    private static double upload(AgentProcess agent, UUID vol, boolean inStore, List<UUID> images) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> accepted = agent.post("/v1/volumes/" + vol + "/image", "{\"name\": \"bench-upload\"}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode state = await(agent, accepted.headers().firstValue("Location").orElseThrow());
        double ms = (System.nanoTime() - t0) / 1e6;
        assertThat(state.path("status").asInt()).as(state.toString()).isEqualTo(201);
        images.add(UUID.fromString(state.path("result").path("image_id").asText()));
        assertThat(state.path("result").path("copied_in_store").asBoolean()).isEqualTo(inStore);
        return ms;
    }

    private static JsonNode await(AgentProcess agent, String op) throws Exception {
        JsonNode state;
        long end = System.nanoTime() + java.time.Duration.ofMinutes(5).toNanos();
        do {
            Thread.sleep(10); // finer than AgentProcess.finished: the clone takes about a second
            state = JSON.readTree(agent.get(op).body());
        } while (state.path("state").asText().equals("running") && System.nanoTime() < end);
        return state;
    }

    /** Milliseconds from the request to the volume made from the image (then deleted). */
    private static double volumeFromImage(AgentProcess agent, UUID image) throws Exception {
        UUID vol = UUID.randomUUID();
        double ms = volumeFromImage(agent, image, vol);
        assertThat(agent.delete("/v1/volumes/" + vol).statusCode()).isEqualTo(204);
        return ms;
    }

    /** The same, keeping the volume. */
    private static double volumeFromImage(AgentProcess agent, UUID image, UUID vol) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> accepted = agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1, "
                + "\"source\": {\"image\": {\"glance_id\": \"" + image + "\"}}}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode state = await(agent, accepted.headers().firstValue("Location").orElseThrow());
        double ms = (System.nanoTime() - t0) / 1e6;
        assertThat(state.path("status").asInt()).as(state.toString()).isEqualTo(201);
        return ms;
    }

    /** Mean milliseconds per call of each step of a step timer, from Prometheus' text. */
    private static Map<String, Double> steps(String metrics, String name) {
        Map<String, Double> sums = new LinkedHashMap<>();
        Map<String, Double> counts = new LinkedHashMap<>();
        for (String l : metrics.lines().toList()) {
            if (!l.startsWith(name + "_sum{") && !l.startsWith(name + "_count{")) {
                continue;
            }
            int s = l.indexOf("step=\"");
            if (s < 0) {
                continue;
            }
            String step = l.substring(s + 6, l.indexOf('"', s + 6));
            double v = Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
            (l.startsWith(name + "_sum{") ? sums : counts).merge(step, v, Double::sum);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, v) -> out.put(k, counts.getOrDefault(k, 0.0) == 0 ? 0 : v * 1000 / counts.get(k)));
        return out;
    }

    /** Mean milliseconds of a timer over all its labels (warm-up included), from Prometheus' text. */
    private static double timer(String metrics, String name) {
        double sum = 0;
        double count = 0;
        for (String l : metrics.lines().toList()) {
            double v = l.startsWith(name + "_") ? Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) : 0;
            if (l.startsWith(name + "_sum")) {
                sum += v;
            } else if (l.startsWith(name + "_count")) {
                count += v;
            }
        }
        return count == 0 ? 0 : sum * 1000 / count;
    }

    private static double p50(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }
}
