package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.CephCluster;
import org.tether.lab.Digests;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tether.crash.AgentProcess.json;

/**
 * Backups to an S3 store, Ceph's own RADOS Gateway on a lab cluster, with the packaged agent as its own
 * process (file backend): a full backup, a clone's backup that stores nothing (its chunks are there already),
 * 1 % changed and an incremental that stores only the changed chunks; each backup restored byte for byte; the
 * gateway stopped in the middle of a backup (503, the backup in error, the volume untouched, and once the
 * gateway is back nothing of it left in the bucket); and a fresh agent with an empty state directory,
 * pointed at the bucket, lists the backups and restores one (disaster recovery).
 */
class S3BackupAgentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1 << 20;
    private static final String BUCKET = "tether-backups";

    private static CephCluster ceph;
    private static CephCluster.S3 s3;
    private static S3Client client;

    @TempDir
    Path dir;

    @BeforeAll
    static void startGateway() throws Exception {
        ceph = CephCluster.start(6798);
        s3 = ceph.startRgw(18790);
        client = S3Client.builder().endpointOverride(URI.create(s3.endpoint())).region(Region.US_EAST_1)
                .forcePathStyle(true).httpClientBuilder(UrlConnectionHttpClient.builder())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(),
                        s3.secretKey()))).build();
    }

    @AfterAll
    static void stopGateway() throws Exception {
        if (client != null) {
            client.close();
        }
        if (ceph != null) {
            ceph.close();
        }
    }

    private AgentProcess agent(String name, Path files) throws Exception {
        Files.createDirectories(files);
        Path secret = dir.resolve(name + "-s3.secret");
        Files.writeString(secret, s3.secretKey() + "\n");
        return new AgentProcess(18108, dir.resolve(name + "-state"), dir.resolve(name + ".log")).with(
                "-Dtether.mode=storage", "-Dtether.storage.backend=file", "-Dtether.storage.file.dir=" + files,
                "-Dtether.storage.target.driver=tgt", "-Dtether.storage.target.portals=127.0.0.1:3260",
                "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve(name + "-tgt"),
                "-Dtether.backup.stores.rgw.type=s3", "-Dtether.backup.stores.rgw.endpoint=" + s3.endpoint(),
                "-Dtether.backup.stores.rgw.bucket=" + BUCKET, "-Dtether.backup.stores.rgw.prefix=site-a/",
                "-Dtether.backup.stores.rgw.access-key=" + s3.accessKey(),
                "-Dtether.backup.stores.rgw.secret-key-file=" + secret,
                "-Dtether.backup.stores.rgw.timeout=10s");
    }

    /** The chunks in the bucket, listed with a client of the test's own. */
    private static Set<String> chunks() {
        return client.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("site-a/chunks/")).contents().stream()
                .map(S3Object::key).map(k -> k.substring(k.lastIndexOf('/') + 1)).collect(Collectors.toSet());
    }



    /** {@code mib} MiB of random data at each offset (in MiB) of the volume's file. */
    private static void write(Path file, SplittableRandom random, int mib, long... offsetsMib) throws Exception {
        byte[] buf = new byte[(int) MIB];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            for (long at : offsetsMib) {
                f.seek(at * MIB);
                for (int i = 0; i < mib; i++) {
                    random.nextBytes(buf);
                    f.write(buf);
                }
            }
        }
    }

    private static String restored(AgentProcess agent, Path files, UUID backup) throws Exception {
        JsonNode v = agent.succeeded(agent.post("/v1/backups/" + backup + "/restore", "{}"));
        return Digests.sha256(files.resolve("volume-" + v.path("id").asText()));
    }

    @Test
    void fullCloneIncrementalOutageAndRediscoveryThroughRadosGateway() throws Exception {
        Path files = dir.resolve("files-a");
        UUID vol = UUID.randomUUID();
        UUID full = UUID.randomUUID();
        UUID incremental = UUID.randomUUID();
        UUID cut = UUID.randomUUID();
        SplittableRandom random = new SplittableRandom(33);
        Path file = files.resolve("volume-" + vol);
        String atFull;
        String atIncremental;
        try (AgentProcess a = agent("a", files)) {
            a.start();
            json(a.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1}"), 201);
            write(file, random, 64, 0); // 64 MiB of data in 1 GiB: 16 chunks, the rest never written
            atFull = Digests.sha256(file);
            JsonNode f = a.succeeded(a.post("/v1/volumes/" + vol + "/backups", "{\"id\": \"" + full + "\"}"));
            assertThat(f.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(file, 4 << 20));
            assertThat(f.path("bytes_read").asLong()).isEqualTo(64 * MIB);
            assertThat(f.path("store").asText()).isEqualTo("rgw");
            assertThat(chunks()).hasSize(16);

            // a clone of the volume: its backup finds every chunk in the bucket and stores nothing
            UUID clone = UUID.randomUUID();
            json(a.post("/v1/volumes", "{\"id\": \"" + clone + "\", \"size_gb\": 1, \"source\": {\"volume_id\": \""
                    + vol + "\"}}"), 201);
            JsonNode ofClone = a.succeeded(a.post("/v1/volumes/" + clone + "/backups", "{}"));
            assertThat(ofClone.path("bytes_read").asLong()).isEqualTo(64 * MIB);
            assertThat(ofClone.path("bytes_stored").asLong()).isZero();
            assertThat(chunks()).hasSize(16);

            // ~1 % changed (10 MiB, in 10 chunks: 4 written before, 6 never): the incremental stores those 10
            // chunks alone, the 4 of random data (16 MiB) and the 6 of 1 MiB data and 3 MiB of zeroes (~1 MiB each)
            write(file, random, 1, 1, 21, 41, 61, 200, 300, 400, 500, 700, 900);
            atIncremental = Digests.sha256(file);
            JsonNode inc = a.succeeded(a.post("/v1/volumes/" + vol + "/backups", "{\"id\": \"" + incremental
                    + "\", \"incremental\": true}"));
            assertThat(inc.path("parent_id").asText()).isEqualTo(full.toString());
            assertThat(inc.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(file, 4 << 20));
            assertThat(inc.path("bytes_stored").asLong()).isBetween(22 * MIB, 23 * MIB);
            Set<String> whole = chunks();
            assertThat(whole).hasSize(26);

            assertThat(restored(a, files, full)).isEqualTo(atFull);
            assertThat(restored(a, files, incremental)).isEqualTo(atIncremental);

            // the gateway stopped half-way through a backup: 503, the backup in error, the volume untouched
            write(file, random, 96, 512);
            String atCut = Digests.sha256(file);
            HttpResponse<String> accepted = a.post("/v1/volumes/" + vol + "/backups", "{\"id\": \"" + cut + "\"}");
            assertThat(accepted.statusCode()).isEqualTo(202);
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end) {
                HttpResponse<String> now = a.get("/v1/backups/" + cut);
                if (now.statusCode() == 200 && JSON.readTree(now.body()).path("bytes_stored").asLong() > 0) {
                    break;
                }
                Thread.sleep(10);
            }
            ceph.stopRgw();
            JsonNode op = a.finished(accepted.headers().firstValue("Location").orElseThrow(), Duration.ofMinutes(2));
            assertThat(op.path("state").asText()).as(op.toString()).isEqualTo("failed");
            assertThat(op.path("status").asInt()).as(op.toString()).isEqualTo(503);
            assertThat(op.path("result").path("code").asText()).as(op.toString()).isEqualTo("backup_store_unavailable");
            JsonNode failed = json(a.get("/v1/backups/" + cut), 200);
            assertThat(failed.path("state").asText()).isEqualTo("error");
            HttpResponse<String> listing = a.get("/v1/backups");
            assertThat(listing.statusCode()).as(listing.body()).isEqualTo(503);
            assertThat(listing.headers().firstValue("Retry-After")).isPresent();
            assertThat(json(a.get("/v1/volumes/" + vol), 200).path("state").asText()).isEqualTo("available");
            assertThat(Digests.sha256(file)).isEqualTo(atCut);
            try (var left = Files.list(files)) {
                assertThat(left.map(p -> p.getFileName().toString())).as("temporary snapshot removed")
                        .noneMatch(n -> n.startsWith("_snapshot-"));
            }

            // the gateway back: forgetting the failed backup removes every chunk it wrote
            ceph.startRgw(18790);
            assertThat(chunks()).as("chunks the cut backup wrote").hasSizeGreaterThan(26);
            assertThat(a.delete("/v1/backups/" + cut).statusCode()).isEqualTo(204);
            assertThat(chunks()).isEqualTo(whole);
            assertThat(json(a.get("/v1/backups/" + cut), 404).path("code").asText()).isEqualTo("backup_not_found");
            a.stop();
        }

        // a fresh host: empty state directory, no volumes, the same bucket
        Path filesB = dir.resolve("files-b");
        try (AgentProcess b = agent("b", filesB)) {
            b.start();
            JsonNode listed = json(b.get("/v1/backups"), 200);
            assertThat(listed.findValuesAsText("id")).contains(full.toString(), incremental.toString())
                    .doesNotContain(cut.toString()).hasSize(3);
            JsonNode inc = json(b.get("/v1/backups/" + incremental), 200);
            assertThat(inc.path("state").asText()).isEqualTo("available");
            assertThat(inc.path("parent_id").asText()).isEqualTo(full.toString());
            assertThat(restored(b, filesB, incremental)).isEqualTo(atIncremental);
            JsonNode verified = b.succeeded(b.post("/v1/backups/" + full + "/verify", "{}"));
            assertThat(verified.path("chunks").asInt()).isEqualTo(16);
        }
        assertThat(new String(client.getObjectAsBytes(r -> r.bucket(BUCKET).key("site-a/manifests/" + full
                + ".json")).asByteArray(), StandardCharsets.UTF_8)).contains("\"format\":\"tether-backup/2\"");
    }
}
