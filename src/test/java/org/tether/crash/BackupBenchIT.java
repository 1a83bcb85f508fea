package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.CephCluster;
import org.tether.lab.Digests;
import org.tether.storage.volume.BlockReader;
import org.tether.storage.volume.FileBlocks;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tether.crash.AgentProcess.json;

/**
 * Figures for backups to S3 (run by {@code lab/bench-backup.sh}, not by the suite), against floors measured in
 * the same run on the same RADOS Gateway: a 4 GiB file-backend volume holding 1 GiB of data (four 256 MiB
 * extents, each 64 KiB half random and half zeroes: ~2:1 for zstd).
 * <ul>
 *   <li>full backup: the agent (POST to the operation's end) against the floor, the same allocated data piped
 *   through the {@code zstd} program and sent by the same S3 client as a multipart upload with as many parts in
 *   flight as the agent has workers;</li>
 *   <li>an incremental after 1 % changed (ten 4 MiB writes), against the full;</li>
 *   <li>restore into a new volume, against the floor: the floor's object read by the same client through
 *   {@code zstd -d} into a file;</li>
 *   <li>the agent's resident memory during the full backup, against before it.</li>
 * </ul>
 */
@Tag("benchmark")
class BackupBenchIT {
    private static final long MIB = 1 << 20;
    private static final String BUCKET = "tether-bench";
    private static final int PARALLEL = 4;
    private static final int ROUNDS = 2;
    /** The agent's chunk size ({@code BENCH_CHUNK_BYTES}, else its default, 4 MiB). */
    private static final int CHUNK = Integer.parseInt(System.getenv().getOrDefault("BENCH_CHUNK_BYTES", "4194304"));

    @TempDir
    Path dir;

    @Test
    void fullIncrementalAndRestoreToRadosGatewayAgainstTheirFloors() throws Exception {
        try (CephCluster ceph = CephCluster.start(6790, 8L << 30)) {
            CephCluster.S3 s3 = ceph.startRgw(18791);
            Path secret = dir.resolve("s3.secret");
            Files.writeString(secret, s3.secretKey());
            // the file pool on XFS, as an operator runs one: a snapshot is a reflink (on ext4 it is a copy of the
            // volume's data, ~1 s a GiB more per backup)
            Path img = dir.resolve("xfs.img");
            Path mnt = Files.createDirectories(dir.resolve("xfs"));
            try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
                f.setLength(16L << 30);
            }
            org.tether.lab.Host.run("mkfs.xfs", "-q", "-m", "reflink=1", img.toString());
            org.tether.lab.Host.run("mount", "-o", "loop", img.toString(), mnt.toString());
            try {
                run(ceph, s3, mnt.resolve("files"), secret);
            } finally {
                org.tether.lab.Host.run("umount", mnt.toString());
            }
        }
    }

    private void run(CephCluster ceph, CephCluster.S3 s3, Path files, Path secret) throws Exception {
        {
            Files.createDirectories(files);
            try (S3Client client = S3Client.builder().endpointOverride(URI.create(s3.endpoint()))
                    .region(Region.US_EAST_1).forcePathStyle(true)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .httpClientBuilder(UrlConnectionHttpClient.builder())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(),
                            s3.secretKey()))).build();
                 AgentProcess agent = new AgentProcess(18109, dir.resolve("state"), Path.of("target/bench-backup-agent.log"))
                         .with(unitJvm()).with(toRgw(s3, secret)).with(
                         "-Dtether.mode=storage", "-Dtether.storage.backend=file",
                         "-Dtether.storage.file.dir=" + files, "-Dtether.storage.target.driver=tgt",
                         "-Dtether.storage.target.portals=127.0.0.1:3260",
                         "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve("tgt"))) {
                agent.start();
                client.createBucket(b -> b.bucket(BUCKET + "-floor"));
                List<Double> floorFull = new ArrayList<>();
                List<Double> agentFull = new ArrayList<>();
                List<Double> floorRestore = new ArrayList<>();
                List<Double> agentRestore = new ArrayList<>();
                double agentCpu = 0;
                double hostBusy = 0;
                long rssBefore = 0;
                long rssPeak = 0;
                double incremental = 0;
                long incrementalRead = 0;
                long incrementalStored = 0;
                long fullRead = 0;
                long fullStored = 0;
                long floorStored = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    UUID vol = UUID.randomUUID();
                    json(agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 4}"), 201);
                    Path file = files.resolve("volume-" + vol);
                    SplittableRandom random = new SplittableRandom(round * 7919L + 1);
                    for (long region = 0; region < 4; region++) {
                        fill(file, region * 1024 * MIB, 256 * MIB, random);
                    }
                    String content = Digests.sha256(file);

                    String key = "floor-" + round + ".zst";
                    long t0 = System.nanoTime();
                    floorStored = floorUpload(client, file, key);
                    floorFull.add(seconds(t0));

                    rssBefore = rss(agent.pid());
                    AtomicLong peak = new AtomicLong(rssBefore);
                    AtomicBoolean sampling = new AtomicBoolean(true);
                    Thread sampler = new Thread(() -> {
                        while (sampling.get()) {
                            peak.accumulateAndGet(rss(agent.pid()), Math::max);
                            try {
                                Thread.sleep(50);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    });
                    sampler.start();
                    long[] cpu0 = {cpuTicks(agent.pid()), busyTicks()};
                    t0 = System.nanoTime();
                    JsonNode full = agent.succeeded(agent.post("/v1/volumes/" + vol + "/backups", "{}"));
                    agentFull.add(seconds(t0));
                    agentCpu = (cpuTicks(agent.pid()) - cpu0[0]) / 100.0;
                    hostBusy = (busyTicks() - cpu0[1]) / 100.0;
                    sampling.set(false);
                    sampler.join();
                    rssPeak = Math.max(rssPeak, peak.get());
                    assertThat(full.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(file, CHUNK));
                    fullRead = full.path("bytes_read").asLong();
                    fullStored = full.path("bytes_stored").asLong();

                    t0 = System.nanoTime();
                    floorDownload(client, key, dir.resolve("floor-restore"));
                    floorRestore.add(seconds(t0));
                    Files.delete(dir.resolve("floor-restore"));

                    t0 = System.nanoTime();
                    JsonNode restored = agent.succeeded(agent.post("/v1/backups/" + full.path("id").asText() + "/restore",
                            "{}"));
                    agentRestore.add(seconds(t0));
                    Path back = files.resolve("volume-" + restored.path("id").asText());
                    assertThat(Digests.sha256(back)).isEqualTo(content);
                    Files.delete(back);

                    if (round == ROUNDS - 1) { // 1 % changed: ten 4 MiB writes in the data
                        for (int i = 0; i < 10; i++) {
                            fill(file, (i % 4) * 1024 * MIB + (i * 20 + 4) * MIB, 4 * MIB, random);
                        }
                        t0 = System.nanoTime();
                        JsonNode inc = agent.succeeded(agent.post("/v1/volumes/" + vol + "/backups",
                                "{\"incremental\": true}"));
                        incremental = seconds(t0);
                        incrementalRead = inc.path("bytes_read").asLong();
                        incrementalStored = inc.path("bytes_stored").asLong();
                        assertThat(inc.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(file, CHUNK));
                    }
                }
                double ff = min(floorFull);
                double af = min(agentFull);
                double fr = min(floorRestore);
                double ar = min(agentRestore);
                System.out.println("backup of a 4 GiB volume holding 1 GiB (~2:1 for zstd; file pool on XFS) to RADOS Gateway, "
                        + PARALLEL + " workers, " + (CHUNK >> 20) + " MiB chunks, best of " + ROUNDS + " {");
                System.out.printf("  full, floor (allocated data | zstd -3 | multipart upload, %d parts in flight): "
                        + "%s s, %.0f MiB/s of data, %d MiB stored%n", PARALLEL, all(floorFull), 1024 / ff,
                        floorStored / MIB);
                System.out.printf("  full, agent: %s s, %.0f MiB/s of data (%.2fx the floor's throughput); "
                        + "%d MiB read (Cinder's chunked driver reads all 4096), %d MiB stored%n", all(agentFull),
                        1024 / af, ff / af, fullRead / MIB, fullStored / MIB);
                System.out.printf("  CPU during the agent's last full backup: agent %.1f s, whole host %.1f s of %d cores%n",
                        agentCpu, hostBusy, Runtime.getRuntime().availableProcessors());
                System.out.printf("  incremental after 1 %% changed: %.2f s (%.1fx faster than the full); %d MiB read, "
                        + "%d MiB stored%n", incremental, af / incremental, incrementalRead / MIB,
                        incrementalStored / MIB);
                System.out.printf("  restore, floor (GET | zstd -d > file): %s s; agent (into a new volume, every "
                        + "chunk and the whole content checked): %s s (%.2fx the floor's throughput)%n",
                        all(floorRestore), all(agentRestore), fr / ar);
                System.out.printf("  agent's resident memory: %d MiB before the full backup, %d MiB at most during "
                        + "it (+%d MiB)%n", rssBefore / MIB, rssPeak / MIB, (rssPeak - rssBefore) / MIB);
                System.out.println("}");
            }
        }
    }

    /** The JVM as systemd/tether-agent.service runs it: 96 MiB of heap, C1 only (BENCH_JIT replaces the JIT's option). */
    private static String[] unitJvm() throws java.io.IOException {
        String jit = System.getenv("BENCH_JIT");
        return java.util.Arrays.stream(AgentProcess.unitJvmOptions())
                .map(o -> jit != null && o.startsWith("-XX:TieredStopAtLevel") ? jit : o).toArray(String[]::new);
    }

    /** The S3 store {@code rgw} on the cluster's RADOS Gateway, and the pipeline's settings. */
    private static String[] toRgw(CephCluster.S3 s3, Path secret) {
        return new String[] {"-Dtether.backup.stores.rgw.type=s3", "-Dtether.backup.stores.rgw.endpoint=" + s3.endpoint(),
                "-Dtether.backup.stores.rgw.bucket=" + BUCKET, "-Dtether.backup.stores.rgw.access-key=" + s3.accessKey(),
                "-Dtether.backup.stores.rgw.secret-key-file=" + secret, "-Dtether.backup.parallel=" + PARALLEL,
                "-Dtether.backup.chunk-bytes=" + CHUNK};
    }

    /**
     * An RBD volume of the same content: its full backup reads the objects ever written (librbd's allocation
     * map), and its incremental after the same 1 % changed only the objects changed since the full's snapshot,
     * kept on the image (librbd's diff between the two snapshots): the figure the file pool, which has no
     * changed-block tracking, cannot reach.
     */
    @Test
    void anRbdVolumesIncrementalReadsOnlyTheObjectsChangedSinceItsFull() throws Exception {
        try (CephCluster ceph = CephCluster.start(6790, 8L << 30)) {
            CephCluster.S3 s3 = ceph.startRgw(18791);
            Path secret = dir.resolve("s3.secret");
            Files.writeString(secret, s3.secretKey());
            Path raw = dir.resolve("content.raw");
            try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
                f.setLength(4L << 30);
            }
            SplittableRandom random = new SplittableRandom(17);
            for (long region = 0; region < 4; region++) {
                fill(raw, region * 1024 * MIB, 256 * MIB, random);
            }
            String rbd = "rbd:volumes/volume-%s:id=cinder:conf=" + ceph.conf + ":keyring=" + ceph.keyring;
            Path backupKeyring = ceph.backupPool();
            try (AgentProcess agent = new AgentProcess(18109, dir.resolve("state"),
                    Path.of("target/bench-backup-rbd-agent.log")).with(unitJvm()).with(toRgw(s3, secret)).with(
                    "-Dtether.backup.stores.pool.type=rados", "-Dtether.backup.stores.pool.conf=" + ceph.conf,
                    "-Dtether.backup.stores.pool.keyring=" + backupKeyring,
                    "-Dtether.backup.default-store=rgw").with(
                    "-Dtether.mode=storage", "-Dtether.storage.backend=rbd",
                    "-Dtether.storage.rbd.conf=" + ceph.conf, "-Dtether.storage.rbd.keyring=" + ceph.keyring)) {
                agent.start();
                UUID vol = UUID.randomUUID();
                json(agent.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 4}"), 201);
                org.tether.lab.Host.run(java.time.Duration.ofMinutes(5), "qemu-img", "convert", "-n", "-f", "raw",
                        "-O", "raw", raw.toString(), rbd.formatted(vol));
                long t0 = System.nanoTime();
                JsonNode full = agent.succeeded(agent.post("/v1/volumes/" + vol + "/backups", "{}"));
                double fullSeconds = seconds(t0);
                assertThat(full.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(raw, CHUNK));

                List<String> writes = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
                for (int i = 0; i < 10; i++) { // the file pool's 1 %: ten 4 MiB writes in the data
                    long at = (i % 4) * 1024 * MIB + (i * 20 + 4) * MIB;
                    fill(raw, at, 4 * MIB, random);
                    byte[] b = new byte[(int) (4 * MIB)];
                    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "r")) {
                        f.seek(at);
                        f.readFully(b);
                    }
                    Path p = dir.resolve("part-" + i + ".bin");
                    Files.write(p, b);
                    writes.addAll(List.of("-c", "write -q -s " + p + " " + at + " " + (4 * MIB)));
                }
                writes.add(rbd.formatted(vol));
                org.tether.lab.Host.run(writes.toArray(String[]::new));
                t0 = System.nanoTime();
                JsonNode inc = agent.succeeded(agent.post("/v1/volumes/" + vol + "/backups", "{\"incremental\": true}"));
                double incSeconds = seconds(t0);
                assertThat(inc.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(raw, CHUNK));

                // RBD to a pool: the agent into its rados store, against rbd export-diff | rbd import-diff (what
                // cinder-backup's Ceph driver runs) into an image of the backup pool, on a volume of the same content
                UUID second = UUID.randomUUID();
                json(agent.post("/v1/volumes", "{\"id\": \"" + second + "\", \"size_gb\": 4}"), 201);
                org.tether.lab.Host.run(java.time.Duration.ofMinutes(5), "qemu-img", "convert", "-n", "-f", "raw",
                        "-O", "raw", raw.toString(), rbd.formatted(second));
                String image = "volumes/volume-" + second;
                admin(ceph, "snap", "create", image + "@floor-1");
                admin(ceph, "create", "--size", "4096", "--image-feature", "layering", "backups/floor");
                t0 = System.nanoTime();
                diffPipe(ceph, List.of(), image + "@floor-1");
                double floorPoolFull = seconds(t0);
                t0 = System.nanoTime();
                JsonNode poolFull = agent.succeeded(agent.post("/v1/volumes/" + second + "/backups",
                        "{\"store\": \"pool\"}"));
                double poolFullSeconds = seconds(t0);
                assertThat(poolFull.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(raw, CHUNK));
                writes.set(writes.size() - 1, rbd.formatted(second));
                for (int i = 0; i < 10; i++) { // other bytes at the same places
                    writes.set(4 + 2 * i, writes.get(4 + 2 * i).replace("part-", "part2-"));
                    Path p = dir.resolve("part2-" + i + ".bin");
                    byte[] b = new byte[(int) (4 * MIB)];
                    random.nextBytes(b);
                    Files.write(p, b);
                }
                org.tether.lab.Host.run(writes.toArray(String[]::new));
                admin(ceph, "snap", "create", image + "@floor-2");
                t0 = System.nanoTime();
                diffPipe(ceph, List.of("--from-snap", "floor-1"), image + "@floor-2");
                double floorPoolInc = seconds(t0);
                t0 = System.nanoTime();
                JsonNode poolInc = agent.succeeded(agent.post("/v1/volumes/" + second + "/backups",
                        "{\"store\": \"pool\", \"incremental\": true}"));
                double poolIncSeconds = seconds(t0);
                assertThat(poolInc.path("parent_id").asText()).isEqualTo(poolFull.path("id").asText());

                System.out.println("backup of a 4 GiB RBD volume holding 1 GiB (the same content) to RADOS Gateway {");
                System.out.printf("  full: %.2f s, %d MiB read (the objects ever written), %d MiB stored%n", fullSeconds,
                        full.path("bytes_read").asLong() / MIB, full.path("bytes_stored").asLong() / MIB);
                System.out.printf("  incremental after 1 %% changed: %.2f s (%.1fx faster than the full); %d MiB read "
                        + "(the objects changed since the full's snapshot), %d MiB stored%n", incSeconds,
                        fullSeconds / incSeconds, inc.path("bytes_read").asLong() / MIB,
                        inc.path("bytes_stored").asLong() / MIB);
                System.out.println("}");
                System.out.println("backup of the same RBD volume into a Ceph pool of the same cluster {");
                System.out.printf("  full, floor (rbd export-diff | rbd import-diff into an image): %.2f s%n",
                        floorPoolFull);
                System.out.printf("  full, agent (rados store: chunks hashed, zstd, deduplicated): %.2f s (%.2fx the "
                        + "floor's throughput); %d MiB read, %d MiB stored%n", poolFullSeconds,
                        floorPoolFull / poolFullSeconds, poolFull.path("bytes_read").asLong() / MIB,
                        poolFull.path("bytes_stored").asLong() / MIB);
                System.out.printf("  incremental after 1 %% changed, floor (export-diff --from-snap | import-diff): "
                        + "%.2f s; agent: %.2f s (%.2fx the floor's throughput); %d MiB read, %d MiB stored%n",
                        floorPoolInc, poolIncSeconds, floorPoolInc / poolIncSeconds,
                        poolInc.path("bytes_read").asLong() / MIB, poolInc.path("bytes_stored").asLong() / MIB);
                System.out.println("}");
            }
        }
    }

    /** {@code rbd} as client.admin (it reaches both pools, as the floor's pipe needs). */
    private static String admin(CephCluster ceph, String... args) {
        List<String> argv = new ArrayList<>(List.of("rbd", "-c", ceph.conf.toString(), "--id", "admin"));
        argv.addAll(List.of(args));
        return org.tether.lab.Host.run(java.time.Duration.ofMinutes(5), argv.toArray(String[]::new));
    }

    /** {@code rbd export-diff [from] SNAP - | rbd import-diff - backups/floor}, two processes piped (no shell). */
    private static void diffPipe(CephCluster ceph, List<String> from, String snap) throws Exception {
        List<String> export = new ArrayList<>(List.of("rbd", "-c", ceph.conf.toString(), "--id", "admin",
                "--no-progress", "export-diff"));
        export.addAll(from);
        export.addAll(List.of(snap, "-"));
        List<Process> pipe = ProcessBuilder.startPipeline(List.of(
                new ProcessBuilder(export).redirectError(ProcessBuilder.Redirect.INHERIT),
                new ProcessBuilder("rbd", "-c", ceph.conf.toString(), "--id", "admin", "--no-progress", "import-diff",
                        "-", "backups/floor").redirectError(ProcessBuilder.Redirect.INHERIT)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)));
        for (Process p : pipe) {
            assertThat(p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).isZero();
        }
    }

    /** {@code length} bytes at {@code offset}: every 64 KiB, 32 KiB random and 32 KiB of zeroes. */
    private static void fill(Path file, long offset, long length, SplittableRandom random) throws Exception {
        byte[] buf = new byte[(int) (4 * MIB)];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            for (long done = 0; done < length; done += buf.length) {
                for (int at = 0; at < buf.length; at += 65536) {
                    byte[] half = new byte[32768];
                    random.nextBytes(half);
                    System.arraycopy(half, 0, buf, at, half.length);
                }
                f.write(buf);
            }
        }
    }

    /** The floor: the file's allocated data through {@code zstd -3}, uploaded in 8 MiB parts, PARALLEL at once. */
    private static long floorUpload(S3Client client, Path file, String key) throws Exception {
        Process z = new ProcessBuilder("zstd", "-3", "-q", "-c").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL + 1);
        try {
            Future<?> feeder = pool.submit(() -> {
                try (BlockReader in = FileBlocks.reader(file); OutputStream out = z.getOutputStream()) {
                    long size = Files.size(file);
                    byte[] buf = new byte[(int) (4 * MIB)];
                    for (long off = 0; off < size; off += buf.length) {
                        if (in.hasData(off, buf.length)) {
                            in.read(off, buf, buf.length);
                            out.write(buf);
                        }
                    }
                }
                return null;
            });
            String upload = client.createMultipartUpload(b -> b.bucket(BUCKET + "-floor").key(key)).uploadId();
            List<Future<CompletedPart>> parts = new ArrayList<>();
            java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(PARALLEL);
            long total = 0;
            try (InputStream in = z.getInputStream()) {
                for (int n = 1; ; n++) {
                    byte[] part = in.readNBytes((int) (8 * MIB));
                    if (part.length == 0) {
                        break;
                    }
                    total += part.length;
                    int number = n;
                    inFlight.acquire();
                    parts.add(pool.submit(() -> {
                        try {
                            String etag = client.uploadPart(b -> b.bucket(BUCKET + "-floor").key(key)
                                    .uploadId(upload).partNumber(number), RequestBody.fromBytes(part)).eTag();
                            return CompletedPart.builder().partNumber(number).eTag(etag).build();
                        } finally {
                            inFlight.release();
                        }
                    }));
                }
            }
            feeder.get();
            List<CompletedPart> done = new ArrayList<>();
            for (Future<CompletedPart> p : parts) {
                done.add(p.get());
            }
            client.completeMultipartUpload(b -> b.bucket(BUCKET + "-floor").key(key).uploadId(upload)
                    .multipartUpload(m -> m.parts(done)));
            assertThat(z.waitFor()).isZero();
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The floor's restore: the object through {@code zstd -d} into a file. */
    private static void floorDownload(S3Client client, String key, Path target) throws Exception {
        Process z = new ProcessBuilder("zstd", "-d", "-q", "-c").redirectOutput(target.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (InputStream in = client.getObject(b -> b.bucket(BUCKET + "-floor").key(key));
             OutputStream out = z.getOutputStream()) {
            in.transferTo(out);
        }
        assertThat(z.waitFor()).isZero();
        try (var ch = java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true); // as the agent's restore flushes before it answers
        }
    }

    /** utime + stime of a process, in clock ticks (1/100 s). */
    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (Exception e) {
            return 0;
        }
    }

    /** Ticks all CPUs spent not idle, from /proc/stat. */
    private static long busyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length; i++) {
                if (i != 4 && i != 5) { // idle, iowait
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (Exception e) {
            return 0;
        }
    }

    private static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // the process ended
        }
        return 0;
    }



    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    private static String all(List<Double> xs) {
        return String.join(" / ", xs.stream().map(x -> String.format("%.2f", x)).toList());
    }
}
