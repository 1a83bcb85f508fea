package org.tether.storage.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;
import org.tether.lab.Digests;
import org.tether.lab.Operations;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backups of file-backend volumes into a directory store, through the API: a full one that reads only what was
 * written, an incremental after 1 % changed that stores only the new chunk, restores whose content is the
 * source's at each backup (SHA-256 of the whole volume), the chain kept (a parent is not deleted under its
 * incremental), a corrupt chunk named at verify and at restore, and every chunk collected once no backup names it.
 */
@QuarkusTest
class BackupTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILES = Path.of("target/test-files").toAbsolutePath();
    private static final Path STORE = Path.of("target/test-backups").toAbsolutePath();
    private static final long MIB = 1 << 20;

    /**
     * {@code length} bytes of {@code value}, stamped with the volume's id at the start and at every 4 MiB within:
     * no chunk of this run is one an earlier run left in the store (which would be deduplicated).
     */
    private static void write(UUID vol, long offset, int length, int value) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(FILES.resolve("volume-" + vol).toFile(), "rw")) {
            byte[] b = new byte[length];
            java.util.Arrays.fill(b, (byte) value);
            for (long at = offset; at < offset + length; at = (at / (4 * MIB) + 1) * 4 * MIB) {
                byte[] stamp = (vol + "@" + at).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                System.arraycopy(stamp, 0, b, (int) (at - offset), Math.min(stamp.length, (int) (offset + length - at)));
            }
            f.seek(offset);
            f.write(b);
        }
    }


    private static List<Path> chunks() throws Exception {
        if (!Files.isDirectory(STORE.resolve("chunks"))) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(STORE.resolve("chunks"))) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private static JsonNode run(Response accepted, String endState) throws Exception {
        accepted.then().statusCode(202);
        return Operations.await(accepted.header("Location"), endState, Duration.ofSeconds(60));
    }

    private static JsonNode backup(UUID vol, String body) throws Exception {
        return run(given().contentType(ContentType.JSON).body(body).post("/v1/volumes/" + vol + "/backups"),
                "succeeded").path("result");
    }

    private static UUID restore(UUID backup) throws Exception {
        JsonNode made = run(given().contentType(ContentType.JSON).body("{}").post("/v1/backups/" + backup + "/restore"),
                "succeeded").path("result");
        assertThat(made.path("state").asText()).isEqualTo("available");
        return UUID.fromString(made.path("id").asText());
    }

    @Test
    void aFullAndAnIncrementalReadOnlyWhatWasWrittenStoreOnlyWhatIsNewAndRestoreByteForByte() throws Exception {
        UUID vol = UUID.randomUUID();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1}").post("/v1/volumes")
                .then().statusCode(201);
        write(vol, 5 * MIB, (int) MIB, 0x41);
        write(vol, 700 * MIB, 8192, 0x42);
        String atFull = Digests.sha256(FILES.resolve("volume-" + vol));
        int chunksBefore = chunks().size();

        JsonNode full = backup(vol, "{}");
        assertThat(full.path("state").asText()).isEqualTo("available");
        assertThat(full.path("store").asText()).isEqualTo("local");
        assertThat(full.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(FILES.resolve("volume-" + vol), 4 << 20));
        // two 4 MiB chunks hold data; the other 254 were never written and are neither read nor stored
        assertThat(full.path("bytes_read").asLong()).isEqualTo(8 * MIB);
        assertThat(full.path("chunks").asInt()).isEqualTo(256);
        assertThat(full.path("unwritten_chunks").asInt()).isEqualTo(254);
        assertThat(full.path("bytes_stored").asLong()).isPositive().isLessThan(MIB); // zstd of two patterns
        assertThat(chunks()).hasSize(chunksBefore + 2);
        UUID fullId = UUID.fromString(full.path("id").asText());

        // 1 % of the volume changes; the incremental stores one new chunk
        write(vol, 300 * MIB, (int) (10 * MIB), 0x43);
        String atIncremental = Digests.sha256(FILES.resolve("volume-" + vol));
        JsonNode inc = backup(vol, "{\"incremental\": true}");
        UUID incId = UUID.fromString(inc.path("id").asText());
        assertThat(inc.path("parent_id").asText()).isEqualTo(fullId.toString());
        assertThat(inc.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(FILES.resolve("volume-" + vol), 4 << 20));
        assertThat(chunks()).as("10 MiB from 300 MiB: three new chunks; the two before are the full's")
                .hasSize(chunksBefore + 2 + 3);
        assertThat(inc.path("bytes_read").asLong()).isEqualTo(20 * MIB);

        // the source goes on changing; each restore is the volume as it was at its backup
        write(vol, 5 * MIB, 4096, 0x44);
        UUID r1 = restore(fullId);
        UUID r2 = restore(incId);
        assertThat(Digests.sha256(FILES.resolve("volume-" + r1))).isEqualTo(atFull);
        assertThat(Digests.sha256(FILES.resolve("volume-" + r2))).isEqualTo(atIncremental);
        // over an existing volume: r1, which holds the full backup's content, gets the incremental's
        JsonNode over = run(given().contentType(ContentType.JSON).body("{\"volume_id\": \"" + r1 + "\"}")
                .post("/v1/backups/" + incId + "/restore"), "succeeded").path("result");
        assertThat(over.path("id").asText()).isEqualTo(r1.toString());
        assertThat(over.path("state").asText()).isEqualTo("available");
        assertThat(Digests.sha256(FILES.resolve("volume-" + r1))).isEqualTo(atIncremental);
        run(given().contentType(ContentType.JSON).body("{\"volume_id\": \"" + r1 + "\"}")
                .post("/v1/backups/" + fullId + "/restore"), "succeeded");
        assertThat(Digests.sha256(FILES.resolve("volume-" + r1))).as("holes of the backup written as zeroes")
                .isEqualTo(atFull);
        JsonNode sized = run(given().contentType(ContentType.JSON).body("{\"volume_id\": \"" + r1 + "\", "
                + "\"size_gb\": 2}").post("/v1/backups/" + fullId + "/restore"), "failed").path("result");
        assertThat(sized.path("field").asText()).isEqualTo("size_gb");
        JsonNode verified = run(given().post("/v1/backups/" + incId + "/verify"), "succeeded").path("result");
        assertThat(verified.path("chunks").asInt()).isEqualTo(5);
        assertThat(verified.path("bytes_checked").asLong()).isEqualTo(20 * MIB);

        // the chain holds: the parent is refused while its incremental exists
        JsonNode busy = JSON.readTree(given().delete("/v1/backups/" + fullId).then().statusCode(409).extract().asString());
        assertThat(busy.path("code").asText()).isEqualTo("backup_busy");
        assertThat(busy.path("detail").asText()).contains(incId.toString());
        JsonNode listed = JSON.readTree(given().get("/v1/backups").then().statusCode(200).extract().asString());
        assertThat(listed.findValuesAsText("id")).contains(fullId.toString(), incId.toString());
        JsonNode mine = JSON.readTree(given().queryParam("volume_id", vol.toString()).queryParam("store", "local")
                .get("/v1/backups").then().statusCode(200).extract().asString());
        assertThat(mine.findValuesAsText("id")).containsExactly(incId.toString(), fullId.toString());
        JsonNode noStore = JSON.readTree(given().queryParam("store", "nowhere").get("/v1/backups").then()
                .statusCode(400).extract().asString());
        assertThat(noStore.path("code").asText()).isEqualTo("backup_store_not_found");
        given().queryParam("volume_id", "not-a-uuid").get("/v1/backups").then().statusCode(400);

        // a chunk that is not what its name says is named at verify, and a restore of it leaves no volume
        Path chunk = chunks().stream().filter(p -> {
            try {
                return Files.readString(STORE.resolve("manifests/" + incId + ".json")).contains(p.getFileName().toString());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).filter(p -> {
            try {
                return !Files.readString(STORE.resolve("manifests/" + fullId + ".json")).contains(p.getFileName().toString());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).findFirst().orElseThrow();
        byte[] good = Files.readAllBytes(chunk);
        Files.write(chunk, org.tether.storage.backup.Zstd.compress(new byte[]{1, 2, 3}, 3));
        JsonNode bad = run(given().post("/v1/backups/" + incId + "/verify"), "failed").path("result");
        assertThat(bad.path("code").asText()).isEqualTo("backup_corrupt");
        assertThat(bad.path("detail").asText()).contains(chunk.getFileName().toString());
        UUID notMade = UUID.randomUUID();
        JsonNode refused = run(given().contentType(ContentType.JSON).body("{\"volume_id\": \"" + notMade + "\"}")
                .post("/v1/backups/" + incId + "/restore"), "failed").path("result");
        assertThat(refused.path("code").asText()).isEqualTo("backup_corrupt");
        given().get("/v1/volumes/" + notMade).then().statusCode(404);
        Files.write(chunk, good);

        // a manifest changed in the store fails its hash, and can still be deleted
        Path manifest = STORE.resolve("manifests/" + incId + ".json");
        String text = Files.readString(manifest);
        Files.writeString(manifest, text.replace("\"bytes_read\":", "\"bytes_read\":1"));
        JsonNode tampered = JSON.readTree(given().get("/v1/backups/" + incId).then().statusCode(422).extract().asString());
        assertThat(tampered.path("code").asText()).isEqualTo("backup_corrupt");
        assertThat(tampered.path("detail").asText()).contains("fails its hash");

        for (UUID v : List.of(r1, r2, vol)) {
            given().delete("/v1/volumes/" + v).then().statusCode(204);
        }
        given().delete("/v1/backups/" + incId).then().statusCode(204);
        given().delete("/v1/backups/" + fullId).then().statusCode(204);
        given().get("/v1/backups/" + fullId).then().statusCode(404);
        assertThat(chunks()).as("no backup names them any more").hasSize(chunksBefore);
    }

    @Test
    void badRequestsAreRefusedBeforeAnythingIsMade() throws Exception {
        UUID vol = UUID.randomUUID();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": 1}").post("/v1/volumes")
                .then().statusCode(201);
        JsonNode noStore = run(given().contentType(ContentType.JSON).body("{\"store\": \"nope\"}")
                .post("/v1/volumes/" + vol + "/backups"), "failed").path("result");
        assertThat(noStore.path("code").asText()).isEqualTo("backup_store_not_found");
        assertThat(noStore.path("field").asText()).isEqualTo("store");
        JsonNode noParent = run(given().contentType(ContentType.JSON).body("{\"incremental\": true}")
                .post("/v1/volumes/" + vol + "/backups"), "failed").path("result");
        assertThat(noParent.path("code").asText()).isEqualTo("backup_parent_not_found");
        JsonNode missing = JSON.readTree(given().get("/v1/backups/" + UUID.randomUUID()).then().statusCode(404)
                .extract().asString());
        assertThat(missing.path("code").asText()).isEqualTo("backup_not_found");
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
        assertThat(given().get("/v1/backups").then().statusCode(200).extract().asString()).doesNotContain(vol.toString());
    }
}
