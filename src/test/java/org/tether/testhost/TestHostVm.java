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
 * (TCG under load) is retried once, and early: a guest whose init has not begun within {@link #INIT_DEADLINE}
 * is not waited on for the whole {@link #BOOT_DEADLINE}. Each boot's steps are printed with their times, so a
 * slow or retried boot in CI's output says where the time went.
 */
final class TestHostVm implements AutoCloseable {
    /**
     * Held by every class that boots or uses a test-host VM (one VM at a time: TCG guests that contend for this
     * machine's two cores stall each other's vCPUs); those of the suite run beside the host's classes
     * ({@code @Execution(CONCURRENT)}, pom.xml), the VM's QEMU ahead of them ({@code testhost.sh}).
     */
    static final String LOCK = "testhost-vm";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPTS = Path.of("src/test/testhost").toAbsolutePath();
    private static final Duration BOOT_DEADLINE = Duration.ofSeconds(300);
    /** From QEMU's start to the guest init's first line: 12-23 s measured here, so far more is a hung kernel boot. */
    private static final Duration INIT_DEADLINE = Duration.ofSeconds(120);
    /**
     * The longest a healthy boot goes without a new step: a libvirtd that never answers is given 120 s before the
     * guest says so and starts it again; everything else takes under 45 s. A guest frozen after a step (seen once:
     * after making its VGs) is given up at this instead of the whole boot deadline.
     */
    private static final Duration STEP_DEADLINE = Duration.ofSeconds(150);
    /** For the probe calls made while shutting the VM down, which must not wait on a hung guest. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

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

    /**
     * New sparse raw images under target/testhost for {@link #boot(String, List)}, one per size (vda, vdb, ...),
     * replacing any left by an earlier run.
     */
    static List<Path> newDisks(String name, long... bytes) throws IOException {
        Path dir = Path.of("target/testhost").toAbsolutePath();
        Files.createDirectories(dir);
        List<Path> disks = new java.util.ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            Path p = dir.resolve(name + "-vd" + (char) ('a' + i) + ".img");
            Files.deleteIfExists(p);
            try (var f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(bytes[i]);
            }
            disks.add(p);
        }
        return disks;
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
        AgentClassArchive.ensure();
        String failure = null;
        for (int attempt = 1; attempt <= 2; attempt++) {
            TestHostVm vm = new TestHostVm(dir.resolve("console" + name + "-" + attempt + ".log"), disks, profile);
            failure = vm.start();
            if (failure == null) {
                return vm;
            }
            System.out.println("testhost" + name + ": boot attempt " + attempt + " failed: " + failure);
            vm.close();
            if (failure.startsWith("TESTHOST-FAIL")) {
                break; // a real failure, not a slow boot: booting again would say the same
            }
        }
        throw new IllegalStateException("test host did not come up: " + failure);
    }

    /** @return null when the agent answered ready, else the reason */
    private String start() throws Exception {
        // a console kept from an earlier run under this name must not be read as this boot's
        Files.deleteIfExists(console);
        agentPort = freePort();
        probePort = freePort();
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPTS.resolve("testhost.sh").toString(), "boot",
                SCRIPTS.resolve("guest.sh").toString(), console.toString(), agentPort + ":8080", probePort + ":8081")
                .redirectErrorStream(true).redirectOutput(console.resolveSibling(console.getFileName() + ".qemu").toFile());
        pb.environment().put("TESTHOST_PROFILE", profile);
        pb.environment().put("TESTHOST_DISKS", String.join(" ", disks.stream().map(Path::toString).toList()));
        qemu = pb.start();
        long start = System.nanoTime();
        long end = start + BOOT_DEADLINE.toNanos();
        String lastStep = null;
        long lastStepAt = start;
        while (System.nanoTime() < end) {
            Optional<String> fail = consoleLine("TESTHOST-FAIL");
            if (fail.isPresent()) {
                return fail.get();
            }
            if (!qemu.isAlive()) {
                return "qemu exited with " + qemu.exitValue() + "; see " + console;
            }
            String step = consoleLine("TESTHOST:").orElse(null);
            long elapsed = Duration.ofNanos(System.nanoTime() - start).toSeconds();
            if (step != null && !step.equals(lastStep)) {
                System.out.println("testhost " + console.getFileName() + ": " + elapsed + " s " + step);
                lastStep = step;
                lastStepAt = System.nanoTime();
            }
            if (step != null && System.nanoTime() - lastStepAt > STEP_DEADLINE.toNanos()) {
                return "no new boot step for " + STEP_DEADLINE + " after \"" + step + "\" (a frozen guest); see "
                        + console;
            }
            if (step == null && elapsed > INIT_DEADLINE.toSeconds()) {
                return "the guest's init did not begin within " + INIT_DEADLINE + " (a hung kernel boot); see "
                        + console;
            }
            try {
                if (ready()) {
                    System.out.println("testhost " + console.getFileName() + ": " + elapsed + " s agent ready");
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

    /** One readiness poll, never waiting long on a guest that accepted the connection but does not answer. */
    private boolean ready() throws IOException, InterruptedException {
        return readiness().statusCode() == 200;
    }

    private HttpResponse<String> readiness() throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(uri("/q/health/ready")).timeout(Duration.ofSeconds(10)).GET().build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
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

    /** A VM a finished class left running for a later class of this JVM: {@link #leave}, {@link #take}. */
    private static TestHostVm left;
    private static boolean closeAtExit;

    /**
     * Keeps this VM running for a later class of this JVM (a boot is ~70 s under TCG), instead of closing it; it is
     * closed when the JVM ends if no class took it. Only a VM whose class's scenarios left nothing behind is left.
     */
    static synchronized void leave(TestHostVm vm) throws Exception {
        if (left != null) {
            left.close();
        }
        left = vm;
        if (!closeAtExit) {
            closeAtExit = true;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                TestHostVm v = take();
                if (v != null) {
                    try {
                        v.close();
                    } catch (Exception e) {
                        System.out.println("testhost: closing the VM left running: " + e);
                    }
                }
            }));
        }
    }

    /** The VM an earlier class left running, now this caller's to close; or null. */
    static synchronized TestHostVm take() {
        TestHostVm v = left;
        left = null;
        return v;
    }

    /**
     * A VM left running, switched to {@code profile} (its kernel pieces and daemons set up as a boot with that
     * profile sets them up, then the agent restarted with the profile's settings), or a new boot when none was
     * left or the switch failed.
     */
    static TestHostVm takeOrBoot(String name, String profile) throws Exception {
        TestHostVm kept = take();
        if (kept != null) {
            long t0 = System.nanoTime();
            try {
                String out = kept.probe("what=profile&name=" + profile, Duration.ofSeconds(180));
                if (!out.contains("profile " + profile)) {
                    throw new IllegalStateException("the switch to " + profile + " said: " + out);
                }
                kept.probe("what=killagent");
                kept.probe("what=startagent");
                kept.awaitReady(Duration.ofSeconds(180));
                System.out.println("testhost: the VM left running switched to profile " + profile + " in "
                        + Duration.ofNanos(System.nanoTime() - t0).toSeconds() + " s");
                return kept;
            } catch (Exception e) {
                System.out.println("testhost: the VM left running could not switch to " + profile + " (" + e
                        + "); booting one");
                kept.close();
            }
        }
        return boot(name, List.of(), profile);
    }

    /** Waits until the agent answers ready again (after a restart). */
    void awaitReady(Duration limit) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            try {
                HttpResponse<String> r = readiness();
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString(); // restarting
            }
            Thread.sleep(500);
        }
        String[] lines = probe("what=agentlog", CLOSE_TIMEOUT).split("\n");
        throw new IllegalStateException("the agent did not come back within " + limit + " (last readiness answer: "
                + last + "); the end of its log:\n"
                + String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 40), lines.length)));
    }

    /**
     * The agent's connector, which the tests export to: with open-iscsi's initiator name and the NVMe host NQN,
     * or a failure that shows what the agent answered instead.
     */
    JsonNode connector() throws IOException, InterruptedException {
        HttpResponse<String> r = get("/v1/connector");
        JsonNode c = r.statusCode() == 200 ? json(r) : null;
        if (c == null || !c.hasNonNull("initiator") || !c.hasNonNull("nqn")) {
            throw new IllegalStateException("no connector with an initiator and a host NQN: HTTP " + r.statusCode()
                    + " " + r.body() + " (the guest's /etc/iscsi: " + probe("what=initiatorname", CLOSE_TIMEOUT) + ")");
        }
        return c;
    }

    JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** One of the probe's fixed views (see probe/cgi-bin/run). */
    String probe(String query) throws IOException, InterruptedException {
        return probe(query, Duration.ofSeconds(900));
    }

    private String probe(String query, Duration timeout) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + probePort + "/cgi-bin/run?" + query))
                .timeout(timeout).GET().build();
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
                    .replace("console", "agent") + ".log"), probe("what=agentlog", CLOSE_TIMEOUT));
            probe("what=poweroff", CLOSE_TIMEOUT);
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
