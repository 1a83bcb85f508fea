package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.Digests;

import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tether.crash.AgentProcess.json;

/**
 * Backups with the packaged agent as its own process (file backend, a directory store): {@code kill -9} in the
 * middle of a backup leaves no backup listed and, after the restart, no temporary snapshot or volume, and
 * the chunks it had written collected; and a fresh agent with an empty state directory,
 * pointed at the same store, lists the backup and restores it byte for byte (disaster recovery).
 */
class BackupAgentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private AgentProcess agent(String name, Path files, Path store) throws Exception {
        Files.createDirectories(files);
        return new AgentProcess(18107, dir.resolve(name + "-state"), dir.resolve(name + ".log")).with(
                "-Dtether.mode=storage", "-Dtether.storage.backend=file", "-Dtether.storage.file.dir=" + files,
                "-Dtether.storage.target.driver=tgt", "-Dtether.storage.target.portals=127.0.0.1:3260",
                "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve(name + "-tgt"),
                "-Dtether.backup.stores.nfs.path=" + store);
    }




    private static Set<String> chunks(Path store) throws Exception {
        try (Stream<Path> s = Files.walk(store.resolve("chunks"))) {
            Set<String> out = new HashSet<>();
            s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                    .forEach(out::add);
            return out;
        }
    }

    private static UUID derived(String what, UUID backup) {
        return UUID.nameUUIDFromBytes((what + backup).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aBackupKilledHalfWayLeavesNothingAndAFreshAgentRestoresFromTheStoreAlone() throws Exception {
        Path filesA = dir.resolve("files-a");
        Path store = dir.resolve("store");
        UUID vol = UUID.randomUUID();
        UUID first = UUID.randomUUID();
        UUID killed = UUID.randomUUID();
        String content;
        try (AgentProcess a = agent("a", filesA, store)) {
            a.start();
            json(a.post("/v1/volumes", "{\"id\": \"" + vol + "\", \"size_gb\": 1}"), 201);
            // 192 MiB of incompressible data, then 1 GiB in all: the rest was never written
            byte[] mib = new byte[(int) MIB];
            SplittableRandom random = new SplittableRandom(32);
            try (RandomAccessFile f = new RandomAccessFile(filesA.resolve("volume-" + vol).toFile(), "rw")) {
                for (int i = 0; i < 192; i++) {
                    random.nextBytes(mib);
                    f.write(mib);
                }
            }
            content = Digests.sha256(filesA.resolve("volume-" + vol));
            JsonNode full = a.succeeded(a.post("/v1/volumes/" + vol + "/backups", "{\"id\": \"" + first + "\"}"));
            assertThat(full.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(filesA.resolve("volume-" + vol), 4 << 20));
            assertThat(full.path("bytes_read").asLong()).isEqualTo(192 * MIB);
            Set<String> ofFirst = chunks(store);
            assertThat(ofFirst).hasSize(48);

            // new data, and the agent killed while it backs it up
            try (RandomAccessFile f = new RandomAccessFile(filesA.resolve("volume-" + vol).toFile(), "rw")) {
                f.seek(256 * MIB);
                for (int i = 0; i < 256; i++) {
                    random.nextBytes(mib);
                    f.write(mib);
                }
            }
            HttpResponse<String> accepted = a.post("/v1/volumes/" + vol + "/backups", "{\"id\": \"" + killed + "\"}");
            assertThat(accepted.statusCode()).isEqualTo(202);
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end) { // 404 until the operation has begun
                HttpResponse<String> now = a.get("/v1/backups/" + killed);
                if (now.statusCode() == 200 && JSON.readTree(now.body()).path("bytes_stored").asLong() > 0) {
                    break;
                }
                Thread.sleep(20);
            }
            a.kill();
            assertThat(Files.exists(filesA.resolve("_snapshot-" + derived("tether-backup-snapshot:", killed))))
                    .as("the killed backup's temporary snapshot (read in place), before the restart").isTrue();
            assertThat(chunks(store)).as("chunks the killed backup wrote").hasSizeGreaterThan(48);

            a.start();
            assertThat(Files.exists(filesA.resolve("volume-" + derived("tether-backup-volume:", killed)))).isFalse();
            assertThat(Files.exists(filesA.resolve("_snapshot-" + derived("tether-backup-snapshot:", killed)))).isFalse();
            assertThat(json(a.get("/v1/backups/" + killed), 404).path("code").asText()).isEqualTo("backup_not_found");
            List<String> listed = json(a.get("/v1/backups"), 200).findValuesAsText("id");
            assertThat(listed).containsExactly(first.toString());

            assertThat(chunks(store)).as("the restart collected the killed backup's chunks").isEqualTo(ofFirst);
            // a delete collects what no manifest names any more
            JsonNode again = a.succeeded(a.post("/v1/volumes/" + vol + "/backups", "{\"incremental\": true}"));
            assertThat(again.path("parent_id").asText()).isEqualTo(first.toString());
            assertThat(a.delete("/v1/backups/" + again.path("id").asText()).statusCode()).isEqualTo(204);
            assertThat(chunks(store)).isEqualTo(ofFirst);
            a.stop();
        }

        // a fresh host: empty state directory, no volumes, the same store
        Path filesB = dir.resolve("files-b");
        try (AgentProcess b = agent("b", filesB, store)) {
            b.start();
            JsonNode listed = json(b.get("/v1/backups/" + first), 200);
            assertThat(listed.path("state").asText()).isEqualTo("available");
            assertThat(listed.path("volume_id").asText()).isEqualTo(vol.toString());
            JsonNode restored = b.succeeded(b.post("/v1/backups/" + first + "/restore", "{}"));
            Path file = filesB.resolve("volume-" + restored.path("id").asText());
            assertThat(Digests.sha256(file)).isEqualTo(content);
            // restored sparse: the 832 MiB never written take no blocks
            String used = org.tether.lab.Host.run("du", "--block-size=1", file.toString()).split("\\s+")[0];
            assertThat(Long.parseLong(used)).isLessThan(200 * MIB);

            // a restore over that volume, killed half-way: after the restart the volume is in error, never
            // available with half of the data; a new restore over it makes it whole
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(0);
                f.write(new byte[(int) MIB]); // so that the restore has something to put back
            }
            HttpResponse<String> over = b.post("/v1/backups/" + first + "/restore",
                    "{\"volume_id\": \"" + restored.path("id").asText() + "\"}");
            assertThat(over.statusCode()).isEqualTo(202);
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < end && !json(b.get("/v1/volumes/" + restored.path("id").asText()), 200)
                    .path("state").asText().equals("restoring")) {
                Thread.sleep(5);
            }
            b.kill();
            b.start();
            JsonNode after = json(b.get("/v1/volumes/" + restored.path("id").asText()), 200);
            assertThat(after.path("state").asText()).isEqualTo("error");
            JsonNode refused = json(b.put("/v1/volumes/" + restored.path("id").asText() + "/exports/iqn.1994-05.com"
                    + ".redhat:backup-it", "{\"initiator\": \"iqn.1994-05.com.redhat:backup-it\", \"ip\": \"127.0.0.1\"}"), 409);
            assertThat(refused.path("code").asText()).isEqualTo("volume_busy");
            b.succeeded(b.post("/v1/backups/" + first + "/restore", "{\"volume_id\": \"" + restored.path("id").asText() + "\"}"));
            assertThat(json(b.get("/v1/volumes/" + restored.path("id").asText()), 200).path("state").asText())
                    .isEqualTo("available");
            assertThat(Digests.sha256(file)).isEqualTo(content);
            assertThat(Files.size(file)).isEqualTo(1L << 30);
        }
    }
}
