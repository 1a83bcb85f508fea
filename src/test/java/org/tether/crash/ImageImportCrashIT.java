package org.tether.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged storage agent killed (SIGKILL) while it downloads an image: the next start removes the
 * half-made volume and the scratch file, the operation ends failed with {@code interrupted}, and the same
 * create then succeeds. While it downloads, a delete of that volume is refused at once (it never waits).
 */
class ImageImportCrashIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void killedMidDownloadLeavesNothingAndTheSameCreateThenSucceeds() throws Exception {
        byte[] image = new byte[48 << 20];
        new Random(1).nextBytes(image);
        WireMockServer web = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        web.start();
        web.stubFor(get(urlEqualTo("/slow.img")).willReturn(aResponse().withStatus(200).withBody(image)
                .withChunkedDribbleDelay(400, 40_000)));
        web.stubFor(get(urlEqualTo("/fast.img")).willReturn(aResponse().withStatus(200).withBody(image)));
        Path files = dir.resolve("files");
        Path scratch = dir.resolve("scratch");
        try (AgentProcess agent = new AgentProcess(18099, dir.resolve("state"), dir.resolve("agent.log"))
                .with("-Dtether.mode=storage", "-Dtether.storage.backend=file", "-Dtether.storage.file.dir=" + files,
                        "-Dtether.storage.target.driver=tgt", "-Dtether.storage.target.portals=127.0.0.1:3260",
                        "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve("tgt-conf.d"),
                        "-Dtether.storage.images.scratch-dir=" + scratch,
                        "-Dtether.storage.images.scratch-reserve-mb=16",
                        "-Dtether.storage.images.url-hosts=127.0.0.1")) {
            agent.start();
            String id = UUID.randomUUID().toString();
            String body = "{\"id\":\"" + id + "\",\"size_gb\":1,\"source\":{\"image\":{\"url\":\""
                    + "http://127.0.0.1:" + web.port() + "/slow.img\",\"disk_format\":\"raw\"}}}";
            HttpResponse<String> accepted = agent.post("/v1/volumes", body);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String operation = accepted.headers().firstValue("Location").orElseThrow();

            // chunked, so no length is declared: no percentage, but the scratch file grows
            NeighbourRestartIT.await(() -> downloading(agent, id) && scratchBytes(scratch) > 0, 30, "the download under way");
            HttpResponse<String> refused = agent.delete("/v1/volumes/" + id);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
            assertThat(refused.body()).contains("\"code\":\"volume_busy\"", "being made from an image");
            assertThat(list(scratch)).as("the download's scratch file").hasSize(1);

            agent.kill();
            agent.start();
            assertThat(agent.get("/v1/volumes/" + id).statusCode()).isEqualTo(404);
            assertThat(list(files)).as("no half-made volume, no cache entry").isEmpty();
            assertThat(list(scratch)).as("no scratch file").isEmpty();
            JsonNode op = JSON.readTree(agent.get(operation).body());
            assertThat(op.get("state").asText()).isEqualTo("failed");
            assertThat(op.get("result").get("code").asText()).isEqualTo("interrupted");

            HttpResponse<String> again = agent.post("/v1/volumes", body.replace("/slow.img", "/fast.img"));
            assertThat(again.statusCode()).isEqualTo(202);
            String location = again.headers().firstValue("Location").orElseThrow();
            NeighbourRestartIT.await(() -> agent.operationState(location).equals("succeeded"), 60, "the second create done");
            JsonNode vol = JSON.readTree(agent.get("/v1/volumes/" + id).body());
            assertThat(vol.get("state").asText()).isEqualTo("available");
            assertThat(vol.get("bootable").asBoolean()).isTrue();
            byte[] head = new byte[image.length];
            try (var f = new java.io.RandomAccessFile(files.resolve("volume-" + id).toFile(), "r")) {
                f.readFully(head);
            }
            assertThat(java.util.Arrays.equals(head, image)).as("the volume holds the image").isTrue();
            assertThat(agent.delete("/v1/volumes/" + id).statusCode()).isEqualTo(204);
        } finally {
            web.stop();
        }
    }

    private static boolean downloading(AgentProcess agent, String id) {
        try {
            return JSON.readTree(agent.get("/v1/volumes/" + id).body()).path("state").asText().equals("downloading");
        } catch (Exception e) {
            return false;
        }
    }

    private static long scratchBytes(Path scratch) {
        try (var s = Files.list(scratch)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        } catch (Exception e) {
            return 0;
        }
    }

    private static List<String> list(Path d) throws Exception {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
