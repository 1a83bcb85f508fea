package org.tether.crash;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The packaged agent (target/quarkus-app) as its own process on loopback, to be killed and started again. */
public final class AgentProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final int port;
    final Path stateDir;
    final Path log;
    private Process process;

    private final java.util.Map<String, String> env = new java.util.HashMap<>();
    /** Lab default: no API credentials (loopback only); {@link #properties} replaces it. */
    private final List<String> extra = new ArrayList<>(List.of("-Dtether.api.allow-unauthenticated=true"));

    public AgentProcess(int port, Path stateDir, Path log) {
        this.port = port;
        this.stateDir = stateDir;
        this.log = log;
    }

    /** Environment for the next start (NOTIFY_SOCKET, ...). */
    public AgentProcess env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Replaces the lab default (no API credentials) with these system properties. */
    public AgentProcess properties(String... props) {
        extra.clear();
        extra.addAll(List.of(props));
        return this;
    }

    /** Adds system properties to the next start (after the defaults, so they override them). */
    public AgentProcess with(String... props) {
        extra.addAll(List.of(props));
        return this;
    }

    /** Starts and waits for the process to end by itself (a refused start); returns its exit status. */
    public int runToExit(Duration limit) throws Exception {
        launch();
        if (!process.waitFor(limit.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
            kill();
            throw new IllegalStateException("agent still running after " + limit);
        }
        return process.exitValue();
    }

    /**
     * The JVM options {@code systemd/tether-agent.service} starts the agent with (heap, GC, JIT, thread stacks),
     * for the tests that must run the agent as an operator's host does: those whose native libraries (librados)
     * or memory depend on them.
     */
    public static String[] unitJvmOptions() throws IOException {
        String unit = Files.readString(Path.of("systemd/tether-agent.service")).replace("\\\n", " ");
        String exec = unit.lines().filter(l -> l.startsWith("ExecStart=/usr/bin/java ")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no ExecStart=/usr/bin/java in the unit"));
        return java.util.Arrays.stream(exec.substring("ExecStart=/usr/bin/java ".length()).trim().split("\\s+"))
                .takeWhile(t -> !t.equals("-jar")).filter(t -> t.startsWith("-X")).toArray(String[]::new);
    }

    public void start() throws Exception {
        launch();
        awaitReady();
    }

    /** Starts the process and returns at once, without waiting for it to answer. */
    public void spawn() throws Exception {
        launch();
    }

    private void launch() throws Exception {
        List<String> argv = new ArrayList<>(List.of("java",
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-Dtether.mode=compute", "-Dtether.state-dir=" + stateDir,
                "-Dtether.attach.default-path=qemu", "-Dtether.instances.virt-type=qemu",
                "-Dtether.connector.ip=127.0.0.1", "-Dtether.attach.detach-timeout=5s",
                "-Dtether.api.audit-file=" + stateDir.resolve("audit.jsonl"),
                // the agent makes an NVMe host identity when the host has none: never in the test host's /etc
                "-Dtether.nvme.hostnqn-file=" + stateDir.resolve("nvme/hostnqn"),
                "-Dtether.nvme.hostid-file=" + stateDir.resolve("nvme/hostid"),
                // a LUKS header's PBKDF calibrated to 100 ms, not 2 s: every open (each attach) pays it again
                "-Dtether.encryption.luks-iter-time=100ms",
                "-jar", Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath().toString()));
        argv.addAll(argv.indexOf("-jar"), extra); // after the defaults above, so that they win
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        process = pb.start();
    }

    /** Waits until a spawned agent answers ready (60 s at most). */
    public void awaitReady() throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException("agent exited " + process.exitValue() + "; see " + log);
            }
            try {
                if (get("/q/health/ready").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("agent not ready within 60 s; see " + log);
    }

    /** The running agent's process id (for its memory, read from /proc). */
    public long pid() {
        return process.pid();
    }

    /** SIGTERM, as systemd stops a service; waits for the exit. */
    public int stop() throws InterruptedException {
        process.destroy();
        return process.waitFor();
    }

    /** SIGKILL: no shutdown hook, no cleanup, as a crash or an OOM kill leaves it. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** The operation at {@code location} once it no longer runs (or as it was after {@code limit}). */
    public com.fasterxml.jackson.databind.JsonNode finished(String location, Duration limit) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        long end = System.nanoTime() + limit.toNanos();
        com.fasterxml.jackson.databind.JsonNode state;
        do {
            state = json.readTree(get(location).body());
            if (!state.path("state").asText().equals("running")) {
                break;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        return state;
    }

    /** The result of an accepted (202) asynchronous call, once its operation has succeeded. */
    public com.fasterxml.jackson.databind.JsonNode succeeded(HttpResponse<String> accepted, Duration limit)
            throws Exception {
        org.assertj.core.api.Assertions.assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        com.fasterxml.jackson.databind.JsonNode op = finished(accepted.headers().firstValue("Location").orElseThrow(),
                limit);
        org.assertj.core.api.Assertions.assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("succeeded");
        return op.path("result");
    }

    /** The same within five minutes. */
    public com.fasterxml.jackson.databind.JsonNode succeeded(HttpResponse<String> accepted) throws Exception {
        return succeeded(accepted, Duration.ofMinutes(5));
    }

    /** The body of an answer that must have this status. */
    public static com.fasterxml.jackson.databind.JsonNode json(HttpResponse<String> r, int status) throws Exception {
        org.assertj.core.api.Assertions.assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    }

    /** The state of the operation at {@code location}, or "" while the agent does not answer. */
    public String operationState(String location) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(get(location).body()).path("state")
                    .asText();
        } catch (Exception e) {
            return "";
        }
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> put(String path, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> deleteWithBody(String path, String json) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").method("DELETE", HttpRequest.BodyPublishers.ofString(json))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A GET with these headers (name, value, name, value, ...). */
    public HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).GET();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Any method with a JSON body (or none) and these headers (name, value, name, value, ...). */
    public HttpResponse<String> send(String method, String path, String json, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
