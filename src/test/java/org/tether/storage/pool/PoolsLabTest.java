package org.tether.storage.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;
import org.tether.lab.Operations;
import static org.tether.lab.Digests.sha256;
import org.tether.lab.TgtTarget;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;

/**
 * Two file pools behind one agent, exported through the real tgt: each reports its own capabilities and
 * gauges, a volume type's {@code volume_backend_name} puts a volume in its pool (whose directory the live
 * target's LUN reads), the capacity filter and weigher choose among them with Cinder's arithmetic, and a copy
 * stays in its source's pool.
 */
@QuarkusTest
@TestProfile(PoolsLabTest.TwoPools.class)
class PoolsLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Path FAST = Path.of("target/test-pools/fast").toAbsolutePath();
    static final Path SLOW = Path.of("target/test-pools/slow").toAbsolutePath();

    public static class TwoPools implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tether.state-dir", "target/test-state-pools",
                    "tether.storage.pools.fast.backend", "file",
                    "tether.storage.pools.fast.dir", FAST.toString(),
                    "tether.storage.pools.fast.volume-backend-name", "fast",
                    "tether.storage.pools.slow.backend", "file",
                    "tether.storage.pools.slow.dir", SLOW.toString(),
                    "tether.storage.pools.slow.volume-backend-name", "slow",
                    "tether.storage.pools.slow.max-over-subscription-ratio", "1.0",
                    "tether.storage.pools.slow.reserved-percentage", "10",
                    "tether.storage.default-pool", "slow");
        }
    }

    private final List<String> volumes = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (int i = volumes.size() - 1; i >= 0; i--) {
            given().delete("/v1/volumes/" + volumes.get(i) + "/exports/" + TgtTarget.hostInitiator());
            given().delete("/v1/volumes/" + volumes.get(i));
        }
    }

    private Response create(String id, long gb, String extra) {
        return given().contentType(ContentType.JSON).body("{\"id\": \"" + id + "\", \"size_gb\": " + gb
                + (extra.isEmpty() ? "" : ", " + extra) + "}").post("/v1/volumes");
    }

    private static String type(String backend) {
        return "\"volume_type\": {\"name\": \"" + backend + "\", \"extra_specs\": {\"volume_backend_name\": \""
                + backend + "\"}}";
    }

    private static Map<String, JsonNode> pools() throws Exception {
        JsonNode all = JSON.readTree(given().get("/v1/pools").then().statusCode(200).extract().asString());
        Map<String, JsonNode> byName = new java.util.TreeMap<>();
        all.forEach(p -> byName.put(p.get("capabilities").get("pool_name").asText(), p));
        return byName;
    }

    @Test
    void eachPoolReportsItsOwnCapabilitiesGaugesAndReadiness() throws Exception {
        Map<String, JsonNode> pools = pools();
        assertThat(pools).containsOnlyKeys("fast", "slow");
        assertThat(pools.get("fast").get("name").asText()).endsWith("@fast#fast");
        JsonNode slow = pools.get("slow").get("capabilities");
        assertThat(slow.get("volume_backend_name").asText()).isEqualTo("slow");
        assertThat(slow.get("max_over_subscription_ratio").asDouble()).isEqualTo(1.0);
        assertThat(slow.get("reserved_percentage").asInt()).isEqualTo(10);
        assertThat(slow.get("location_info").asText()).endsWith(":" + SLOW);
        assertThat(pools.get("fast").get("capabilities").get("max_over_subscription_ratio").asDouble())
                .isEqualTo(20.0);

        String vol = UUID.randomUUID().toString();
        create(vol, 1, type("fast")).then().statusCode(201);
        volumes.add(vol);
        assertThat(pools().get("fast").get("capabilities").get("total_volumes").asInt()).isEqualTo(1);
        assertThat(pools().get("slow").get("capabilities").get("total_volumes").asInt()).isZero();

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern("tether_pool_free_bytes\\{pool=\"fast\"[^}]*} [0-9.E]+")
                .containsPattern("tether_pool_free_bytes\\{pool=\"slow\"[^}]*} [0-9.E]+")
                .containsPattern("tether_pool_provisioned_bytes\\{pool=\"fast\"[^}]*} 1\\.073741824E9")
                .containsPattern("tether_pool_volumes\\{pool=\"fast\"[^}]*} 1\\.0")
                .containsPattern("tether_pool_volumes\\{pool=\"slow\"[^}]*} 0\\.0");
        given().get("/q/health/ready").then().statusCode(200).body(containsString("\"fast.backend\""))
                .body(containsString("\"slow.free_bytes\""));
        // GET /v1/pool stays the default pool's
        given().get("/v1/pool").then().statusCode(200).body("provisioned_bytes", equalTo(0));
    }

    @Test
    void aTypePutsItsVolumeInItsPoolAndTheLiveTargetReadsThatPoolsFile() throws Exception {
        String fast = UUID.randomUUID().toString();
        String slow = UUID.randomUUID().toString();
        create(fast, 1, type("fast")).then().statusCode(201).body("pool", equalTo("fast"))
                .body("host", endsWith("@fast#fast"));
        volumes.add(fast);
        create(slow, 1, type("slow")).then().statusCode(201).body("pool", equalTo("slow"))
                .body("host", endsWith("@slow#slow"));
        volumes.add(slow);
        assertThat(FAST.resolve("volume-" + fast)).exists();
        assertThat(SLOW.resolve("volume-" + slow)).exists();
        assertThat(FAST.resolve("volume-" + slow)).doesNotExist();

        String connector = given().get("/v1/connector").asString();
        for (String v : List.of(fast, slow)) {
            given().contentType(ContentType.JSON).body(connector)
                    .put("/v1/volumes/" + v + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(200)
                    .body("data.target_iqn", endsWith("volume-" + v));
        }
        String live = Host.run("tgtadm", "--lld", "iscsi", "--mode", "target", "--op", "show");
        assertThat(live).contains("Backing store path: " + FAST.resolve("volume-" + fast))
                .contains("Backing store path: " + SLOW.resolve("volume-" + slow));
    }

    /** A move or retype, always asynchronous: the finished operation. */
    private static JsonNode move(String vol, String action, String body, String endState) throws Exception {
        Response r = given().contentType(ContentType.JSON).body(body).post("/v1/volumes/" + vol + "/" + action);
        r.then().statusCode(202);
        return Operations.await(r.header("Location"), endState, java.time.Duration.ofSeconds(120));
    }

    @Test
    void aVolumeWithDataMovesBetweenPoolsWholeAndARetypeMovesItOnlyWhenAllowed() throws Exception {
        String vol = UUID.randomUUID().toString();
        create(vol, 1, type("fast")).then().statusCode(201);
        volumes.add(vol);
        byte[] data = new byte[256 << 20]; // 256 MiB of known data at the start of the volume
        new java.util.Random(42).nextBytes(data);
        try (var f = new java.io.RandomAccessFile(FAST.resolve("volume-" + vol).toFile(), "rw")) {
            f.write(data);
        }
        String before = sha256(FAST.resolve("volume-" + vol));

        JsonNode done = move(vol, "migrate", "{\"pool\": \"slow\"}", "succeeded");
        assertThat(done.get("result").get("pool").asText()).isEqualTo("slow");
        assertThat(done.get("result").get("state").asText()).isEqualTo("available");
        assertThat(FAST.resolve("volume-" + vol)).doesNotExist();
        assertThat(sha256(SLOW.resolve("volume-" + vol))).isEqualTo(before);
        given().get("/v1/volumes/" + vol).then().statusCode(200).body("pool", equalTo("slow"))
                .body("host", endsWith("@slow#slow"));

        // the type fast is served by pool fast only: without migration allowed, a retype says where it could go
        JsonNode refused = move(vol, "retype", "{" + type("fast") + "}", "failed");
        assertThat(refused.get("result").get("detail").asText()).contains("pool fast can");
        JsonNode retyped = move(vol, "retype", "{" + type("fast") + ", \"migration_policy\": \"on-demand\"}",
                "succeeded");
        assertThat(retyped.get("result").get("pool").asText()).isEqualTo("fast");
        assertThat(retyped.get("result").get("volume_type").get("name").asText()).isEqualTo("fast");
        assertThat(sha256(FAST.resolve("volume-" + vol))).isEqualTo(before);
        assertThat(SLOW.resolve("volume-" + vol)).doesNotExist();

        // exported, it must not move: its data could change under the copy
        String connector = given().get("/v1/connector").asString();
        given().contentType(ContentType.JSON).body(connector)
                .put("/v1/volumes/" + vol + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(200);
        JsonNode nowhere = move(vol, "migrate", "{\"pool\": \"nowhere\"}", "failed");
        assertThat(nowhere.get("result").get("code").asText()).isEqualTo("invalid_field");
        assertThat(nowhere.get("result").get("detail").asText()).contains("no pool named nowhere");
        JsonNode busy = move(vol, "migrate", "{\"pool\": \"slow\"}", "failed");
        assertThat(busy.get("result").get("code").asText()).isEqualTo("volume_busy");
        assertThat(busy.get("result").get("detail").asText()).contains("unexport it first");
        assertThat(SLOW.resolve("volume-" + vol)).doesNotExist();
        assertThat(Host.run("tgtadm", "--lld", "iscsi", "--mode", "target", "--op", "show"))
                .contains("Backing store path: " + FAST.resolve("volume-" + vol));
    }

    @Test
    void theCapacityFilterAndWeigherChooseWithCindersArithmeticAndACopyStaysWithItsSource() throws Exception {
        JsonNode slow = pools().get("slow").get("capabilities");
        // slow: ratio 1.0 and 10% reserved, so it cannot promise its whole disk; fast (ratio 20) can
        long big = (long) Math.ceil(slow.get("total_capacity_gb").asDouble()) + 1;
        String bigVol = UUID.randomUUID().toString();
        create(bigVol, big, "").then().statusCode(201).body("pool", equalTo("fast"));
        volumes.add(bigVol);
        create(UUID.randomUUID().toString(), big, "\"pool\": \"slow\"").then().statusCode(507)
                .body("code", equalTo("insufficient_capacity"))
                .body("detail", containsString("pool slow removed by CapacityFilter"));
        create(UUID.randomUUID().toString(), 1, type("lvm")).then().statusCode(400)
                .body("code", equalTo("no_valid_pool"))
                .body("detail", containsString("pool fast removed by CapabilitiesFilter"))
                .body("detail", containsString("pool slow removed by CapabilitiesFilter"));

        // a small volume with no type goes where the most virtual capacity is free: fast
        String small = UUID.randomUUID().toString();
        create(small, 1, "").then().statusCode(201).body("pool", equalTo("fast"));
        volumes.add(small);
        String clone = UUID.randomUUID().toString();
        create(clone, 1, "\"source\": {\"volume_id\": \"" + small + "\"}, \"pool\": \"slow\"").then()
                .statusCode(400).body("detail", containsString("the source is in pool fast"));
        given().get("/v1/volumes/" + clone).then().statusCode(404);
        create(clone, 1, "\"source\": {\"volume_id\": \"" + small + "\"}").then().statusCode(201)
                .body("pool", equalTo("fast"));
        volumes.add(clone);
        assertThat(FAST.resolve("volume-" + clone)).exists();
        try (var s = Files.list(SLOW)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("volume-")).toList()).isEmpty();
        }
    }
}
