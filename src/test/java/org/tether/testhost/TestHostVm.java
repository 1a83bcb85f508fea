package org.tether.testhost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The throwaway VM of {@code src/test/testhost}: boots it, waits for the agent inside to be ready, and gives
 * tests its REST API and the read-only probe. A boot that fails says why in one line; a boot that hangs
 * (TCG under load) is retried once.
 */
final class TestHostVm implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPTS = Path.of("src/test/testhost").toAbsolutePath();
    private static final Duration BOOT_DEADLINE = Duration.ofSeconds(240);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Path console;
    private final List<Path> disks;
    private final String profile;
    private Process qemu;
    private int agentPort;
    private int probePort;

    private TestHostVm(Path console, List<Path> disks, String profile) {
        this.console = console;
        this.disks = disks;
        this.profile = profile;
    }

    static TestHostVm boot() throws Exception {
        return boot("", List.of());
    }

    /**
     * @param name  distinguishes the console logs of several VMs in one run
     * @param disks raw images attached as vda, vdb, ...: the guest keeps its PV and its on-disk state there,
     *              so booting again with the same ones is a reboot of the same host
     */
    static TestHostVm boot(String name, List<Path> disks) throws Exception {
        return boot(name, disks, "default");
    }

    /** @param profile {@code default}, or {@code multipath}: LIO on two portals, multipathd, a multipath agent */
    static TestHostVm boot(String name, List<Path> disks, String profile) throws Exception {
        Path dir = Path.of("target/testhost").toAbsolutePath();
        Files.createDirectories(dir);
        run(List.of("bash", SCRIPTS.resolve("testhost.sh").toString(), "prepare"), Duration.ofMinutes(10));
        String failure = null;
        for (int attempt = 1; attempt <= 2; attempt++) {
            TestHostVm vm = new TestHostVm(dir.resolve("console" + name + "-" + attempt + ".log"), disks, profile);
            failure = vm.start();
            if (failure == null) {
                return vm;
            }
            vm.close();
            if (failure.startsWith("TESTHOST-FAIL")) {
                break; // a real failure, not a slow boot: booting again would say the same
            }
        }
        throw new IllegalStateException("test host did not come up: " + failure);
    }

    /** @return null when the agent answered ready, else the reason */
    private String start() throws Exception {
        agentPort = freePort();
        probePort = freePort();
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPTS.resolve("testhost.sh").toString(), "boot",
                SCRIPTS.resolve("guest.sh").toString(), console.toString(), agentPort + ":8080", probePort + ":8081")
                .redirectErrorStream(true).redirectOutput(console.resolveSibling(console.getFileName() + ".qemu").toFile());
        pb.environment().put("TESTHOST_PROFILE", profile);
        pb.environment().put("TESTHOST_DISKS", String.join(" ", disks.stream().map(Path::toString).toList()));
        qemu = pb.start();
        long end = System.nanoTime() + BOOT_DEADLINE.toNanos();
        while (System.nanoTime() < end) {
            Optional<String> fail = consoleLine("TESTHOST-FAIL");
            if (fail.isPresent()) {
                return fail.get();
            }
            if (!qemu.isAlive()) {
                return "qemu exited with " + qemu.exitValue() + "; see " + console;
            }
            try {
                if (get("/q/health/ready").statusCode() == 200) {
                    return null;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(1000);
        }
        return "no ready agent within " + BOOT_DEADLINE + " (last step: "
                + consoleLine("TESTHOST:").orElse("none") + "); see " + console;
    }

    private Optional<String> consoleLine(String prefix) throws IOException {
        if (!Files.exists(console)) {
            return Optional.empty();
        }
        String text = new String(Files.readAllBytes(console), java.nio.charset.StandardCharsets.ISO_8859_1);
        return text.lines().filter(l -> l.contains(prefix)).reduce((a, b) -> b)
                .map(l -> l.substring(l.indexOf(prefix)));
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    HttpResponse<String> put(String path, String json) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    /** Sends without waiting; the agent may die under it. */
    java.util.concurrent.CompletableFuture<HttpResponse<String>> sendAsync(String method, String path, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(180))
                .header("Content-Type", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the agent answers ready again (after a restart). */
    void awaitReady(Duration limit) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            try {
                if (get("/q/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // restarting
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the agent did not come back within " + limit);
    }

    JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** One of the probe's fixed views (see probe/cgi-bin/run). */
    String probe(String query) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + probePort + "/cgi-bin/run?" + query))
                .timeout(Duration.ofSeconds(900)).GET().build();
        return http.send(req, HttpResponse.BodyHandlers.ofString()).body();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + agentPort + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return http.send(b.timeout(Duration.ofSeconds(180)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        if (qemu == null) {
            return;
        }
        try {
            Files.writeString(console.resolveSibling(console.getFileName().toString().replace(".log", "")
                    .replace("console", "agent") + ".log"), probe("what=agentlog"));
            probe("what=poweroff");
        } catch (IOException e) {
            // the VM is already gone
        }
        if (!qemu.waitFor(30, TimeUnit.SECONDS)) {
            qemu.descendants().forEach(ProcessHandle::destroyForcibly);
            qemu.destroyForcibly();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void run(List<String> argv, Duration limit) throws Exception {
        Path log = Files.createTempFile("testhost-prepare", ".log");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(limit.toSeconds(), TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(log).strip();
        Files.deleteIfExists(log);
        if (!done || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + (done ? " failed: " : " timed out: ") + out);
        }
    }
}
