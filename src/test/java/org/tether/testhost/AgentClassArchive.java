package org.tether.testhost;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A class-data archive of the agent as it runs up to ready, for the test-host VM's agent
 * ({@code src/test/testhost/agent.sh}). Under TCG every start costs ~25 s, most of it class loading and linking;
 * the agent starts there about fifteen times a run. Quarkus's own archive ({@code quarkus.package.jar.appcds})
 * covers only what its build-time training loads (~3,900 classes); this one is dumped at the exit of a real start
 * on this machine (same JDK, same jar, started the same way from the app's directory) and holds ~6,400.
 * <p>
 * Made once per build: kept while it is newer than the agent's jars. A failure to make it is printed and the
 * VM's agent starts without it, slower but the same.
 */
final class AgentClassArchive {
    static final Path APP = Path.of("target/quarkus-app").toAbsolutePath();
    /** Outside the app's directory, so that no package built from it carries a test artefact. */
    static final Path ARCHIVE = Path.of("target/testhost/agent-cds.jsa").toAbsolutePath();
    private static final Duration READY = Duration.ofSeconds(90);

    private AgentClassArchive() {
    }

    /** Makes the archive unless a current one exists; never throws for a failed training start. */
    static synchronized void ensure() {
        try {
            if (current()) {
                return;
            }
            long t0 = System.nanoTime();
            train();
            System.out.println("testhost: agent class-data archive made in "
                    + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms (" + Files.size(ARCHIVE) + " bytes)");
        } catch (Exception e) {
            System.out.println("testhost: no agent class-data archive (the VM's agent starts without one): " + e);
        }
    }

    private static boolean current() throws IOException {
        if (!Files.exists(ARCHIVE)) {
            return false;
        }
        long made = Files.getLastModifiedTime(ARCHIVE).toMillis();
        try (var jars = Files.walk(APP)) {
            return jars.filter(p -> p.toString().endsWith(".jar"))
                    .allMatch(p -> p.toFile().lastModified() <= made);
        }
    }

    /**
     * One start of the agent in mode both (a file pool, tgt), a few reads of its API, then a normal exit, at which
     * the JVM writes every class it loaded that the JDK's own archive lacks.
     */
    private static void train() throws Exception {
        Files.createDirectories(ARCHIVE.getParent());
        Path work = Files.createTempDirectory("agent-cds");
        Path partial = ARCHIVE.resolveSibling(ARCHIVE.getFileName() + ".part");
        Files.deleteIfExists(partial);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        // the flags that shape the archive (heap size, GC, compiler) as agent.sh starts the agent in the VM
        List<String> argv = List.of("java", "-XX:ArchiveClassesAtExit=" + partial, "-XX:+UseSerialGC", "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-Dtether.mode=both", "-Dtether.state-dir=" + work.resolve("state"),
                "-Dtether.storage.backend=file", "-Dtether.storage.file.dir=" + work.resolve("files"),
                "-Dtether.storage.target.driver=tgt", "-Dtether.storage.target.portals=127.0.0.1:3260",
                "-Dtether.storage.target.tgt-conf-dir=" + work.resolve("tgt-conf.d"),
                "-Dtether.api.allow-unauthenticated=true", "-Dtether.api.allow-plain-http=true",
                // libvirt's in-process test driver: the host's libvirtd is the host's classes' (they run beside
                // this), whose secrets a compute side's repair pass would judge as another agent's leftovers
                "-Dtether.libvirt.uri=test:///default",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                "-Dquarkus.log.file.enable=false", "-jar", "quarkus-run.jar");
        Path log = work.resolve("train.log");
        Process agent = new ProcessBuilder(argv).directory(APP.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            exercise(port, agent);
        } finally {
            agent.destroy(); // SIGTERM: a normal exit, which is when the archive is written
            if (!agent.waitFor(90, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
        try {
            if (!Files.exists(partial)) {
                throw new IllegalStateException("the training start wrote no archive; its log: " + tail(log));
            }
            Files.move(partial, ARCHIVE, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void exercise(int port, Process agent) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long end = System.nanoTime() + READY.toNanos();
        while (true) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("the training start exited with " + agent.exitValue());
            }
            try {
                if (get(http, port, "/q/health/ready").statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > end) {
                throw new IllegalStateException("the training start was not ready within " + READY);
            }
            Thread.sleep(250);
        }
        for (String path : List.of("/v1/attachments", "/v1/volumes", "/v1/instances", "/q/health/live")) {
            get(http, port, path);
        }
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
}
