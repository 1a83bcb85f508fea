package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.TgtTarget;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tether.lab.Digests.sha256;

/**
 * The packaged storage agent with two file pools, killed (SIGKILL) while it copies a volume with 256 MiB of
 * known data to the other pool (the copy slowed by {@code copy-bps-limit} so the kill lands mid-copy): the
 * next start removes the half copy, the volume is where it was with its data intact, it exports, and the same
 * move then succeeds with the data whole. While it moves, a delete is refused at once.
 */
class MigrateCrashIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void killedMidCopyTheVolumeStaysWhereItWasIntactAndTheMoveThenSucceeds() throws Exception {
        Path fast = dir.resolve("fast");
        Path slow = dir.resolve("slow");
        try (AgentProcess agent = new AgentProcess(18100, dir.resolve("state"), dir.resolve("agent.log"))
                .with("-Dtether.mode=storage", "-Dtether.storage.pools.fast.backend=file",
                        "-Dtether.storage.pools.fast.dir=" + fast, "-Dtether.storage.pools.slow.backend=file",
                        "-Dtether.storage.pools.slow.dir=" + slow, "-Dtether.storage.copy-bps-limit=33554432",
                        "-Dtether.storage.target.driver=tgt", "-Dtether.storage.target.portals=127.0.0.1:3260",
                        "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve("tgt-conf.d"))) {
            agent.start();
            String id = UUID.randomUUID().toString();
            HttpResponse<String> made = agent.post("/v1/volumes", "{\"id\":\"" + id + "\",\"size_gb\":1,\"pool\":\"fast\"}");
            assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
            Path source = fast.resolve("volume-" + id);
            byte[] data = new byte[256 << 20];
            new Random(3).nextBytes(data);
            try (var f = new java.io.RandomAccessFile(source.toFile(), "rw")) {
                f.write(data);
            }
            String before = sha256(source);

            HttpResponse<String> accepted = agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\":\"slow\"}");
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String operation = accepted.headers().firstValue("Location").orElseThrow();
            // at 32 MiB/s the 256 MiB take 8 s: the data is a quarter of the volume, so 5% is well inside it
            NeighbourRestartIT.await(() -> progress(agent, id) >= 5, 30, "the copy under way");
            HttpResponse<String> refused = agent.delete("/v1/volumes/" + id);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
            assertThat(refused.body()).contains("\"code\":\"volume_busy\"", "moving to pool slow");
            assertThat(slow.resolve("volume-" + id)).as("the half copy").exists();

            agent.kill();
            agent.start();
            JsonNode vol = JSON.readTree(agent.get("/v1/volumes/" + id).body());
            assertThat(vol.get("state").asText()).isEqualTo("available");
            assertThat(vol.get("pool").asText()).isEqualTo("fast");
            assertThat(slow.resolve("volume-" + id)).as("the half copy, removed").doesNotExist();
            assertThat(sha256(source)).as("the source, intact").isEqualTo(before);
            JsonNode op = JSON.readTree(agent.get(operation).body());
            assertThat(op.get("state").asText()).isEqualTo("failed");
            assertThat(op.get("result").get("code").asText()).isEqualTo("interrupted");

            String connector = agent.get("/v1/connector").body();
            HttpResponse<String> exported = agent.put("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator(),
                    connector);
            assertThat(exported.statusCode()).as(exported.body()).isEqualTo(200);
            assertThat(agent.delete("/v1/volumes/" + id + "/exports/" + TgtTarget.hostInitiator()).statusCode())
                    .isEqualTo(204);

            HttpResponse<String> again = agent.post("/v1/volumes/" + id + "/migrate", "{\"pool\":\"slow\"}");
            assertThat(again.statusCode()).isEqualTo(202);
            String location = again.headers().firstValue("Location").orElseThrow();
            NeighbourRestartIT.await(() -> agent.operationState(location).equals("succeeded"), 60, "the move done");
            assertThat(source).doesNotExist();
            assertThat(sha256(slow.resolve("volume-" + id))).as("the moved volume").isEqualTo(before);
            assertThat(agent.delete("/v1/volumes/" + id).statusCode()).isEqualTo(204);
            assertThat(slow.resolve("volume-" + id)).doesNotExist();
        }
    }

    private static int progress(AgentProcess agent, String id) {
        try {
            JsonNode v = JSON.readTree(agent.get("/v1/volumes/" + id).body());
            return v.path("state").asText().equals("migrating") ? v.path("progress_percent").asInt(0) : -1;
        } catch (Exception e) {
            return -1;
        }
    }
}
