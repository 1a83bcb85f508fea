package org.tether.docs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;
import org.tether.lab.Operations;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard ({@code docs/grafana-dashboard.json}) names only metrics the agent exposes: the agent
 * (both modes, real libvirt + QEMU and tgtd) attaches and detaches a disk, counts its I/O, makes, snapshots,
 * exports, backs up and restores a volume, and every {@code tether_*} name in every panel's query must be in
 * one of its Prometheus scrapes. A metric renamed or removed in the code fails here, not on an operator's
 * empty panel. It also covers what the dashboard is for: attach and detach with their steps, drift, repairs,
 * exports, pools, per-disk I/O, backups and operations.
 */
@QuarkusTest
class DashboardLabTest {
    private static final Path DASHBOARD = Path.of("docs/grafana-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\btether_[a-z0-9_]+");
    private static final Pattern SCRAPED = Pattern.compile("(?m)^(tether_[a-z0-9_]+)[{ ]");
    private static final ObjectMapper JSON = new ObjectMapper();

    @jakarta.inject.Inject
    org.tether.compute.stats.DiskIoMetrics diskIo;

    @Test
    void everyMetricTheDashboardNamesIsExposedByTheAgent() throws Exception {
        JsonNode dashboard = JSON.readTree(Files.readString(DASHBOARD));
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.path("title").asText()).as("every panel has a title").isNotBlank();
            assertThat(panel.path("targets")).as(panel.path("title").asText() + " has a query").isNotEmpty();
            panel.path("targets").forEach(t -> queries.add(t.path("expr").asText()));
        }
        Set<String> named = new TreeSet<>();
        for (String q : queries) {
            Matcher m = METRIC.matcher(q);
            while (m.find()) {
                named.add(m.group());
            }
        }
        assertThat(named).as("what the dashboard is for").contains("tether_attach_seconds_bucket",
                "tether_attach_step_seconds_sum", "tether_detach_seconds_bucket", "tether_detach_step_seconds_sum",
                "tether_drift", "tether_drift_repaired_total", "tether_export_repairs_total",
                "tether_export_seconds_bucket", "tether_pool_free_bytes", "tether_disk_read_requests_total",
                "tether_disk_write_bytes_total", "tether_operations", "tether_pool_operation_seconds_count",
                "tether_backups_total");

        Set<String> exposed = new TreeSet<>();
        Path dir = Files.createTempDirectory("tether-dashboard");
        try (TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING); TgtTarget tgt = TgtTarget.create(dir, true)) {
            String url = "/v1/instances/" + dom.name + "/volumes/" + tgt.volumeId;
            given().contentType(ContentType.JSON).body("{\"connection_info\": " + tgt.connectionInfo()
                    + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}").put(url).then().statusCode(200);
            assertThat(diskIo.refresh()).isPositive();
            exposed.addAll(scrape()); // the disk's counters, while it is attached
            given().delete(url).then().statusCode(204);
        } finally {
            Files.deleteIfExists(dir);
        }
        String volume = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + volume + "\", \"size_gb\": 1}").post("/v1/volumes")
                .then().statusCode(201);
        String snapshot = UUID.randomUUID().toString();
        given().contentType(ContentType.JSON).body("{\"id\": \"" + snapshot + "\"}")
                .post("/v1/volumes/" + volume + "/snapshots").then().statusCode(201);
        given().delete("/v1/snapshots/" + snapshot).then().statusCode(204);
        String connector = given().get("/v1/connector").asString();
        given().contentType(ContentType.JSON).body(connector)
                .put("/v1/volumes/" + volume + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(200);
        given().delete("/v1/volumes/" + volume + "/exports/" + TgtTarget.hostInitiator()).then().statusCode(204);
        String backup = succeeded(given().contentType(ContentType.JSON).body("{}")
                .post("/v1/volumes/" + volume + "/backups")).path("id").asText();
        String restored = succeeded(given().contentType(ContentType.JSON).body("{}")
                .post("/v1/backups/" + backup + "/restore")).path("id").asText();
        given().delete("/v1/volumes/" + restored).then().statusCode(204);
        given().delete("/v1/backups/" + backup).then().statusCode(204);
        given().delete("/v1/volumes/" + volume).then().statusCode(204);
        exposed.addAll(scrape());

        assertThat(named).as("metrics the dashboard names that the agent does not expose")
                .isSubsetOf(exposed);
    }

    private static JsonNode succeeded(Response accepted) throws Exception {
        accepted.then().statusCode(202);
        return Operations.await(accepted.header("Location"), "succeeded", Duration.ofSeconds(60)).path("result");
    }

    private static Set<String> scrape() {
        Set<String> names = new TreeSet<>();
        Matcher m = SCRAPED.matcher(given().get("/q/metrics").then().statusCode(200).extract().asString());
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
