package org.tether.cli;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/** tetherctl against an agent played by WireMock: what it sends, what it shows, and its exit codes. */
class TetherctlTest {
    private static final String ATTACHMENTS = """
            [{"volume_id": "9f2b", "domain": "web-1", "state": "attached", "device": "vdb", "attach_path": "qemu",
              "driver_volume_type": "iscsi", "host_device": null},
             {"volume_id": "77aa01", "domain": "db", "state": "detaching", "device": "sda", "attach_path": "kernel",
              "driver_volume_type": "rbd", "host_device": "/dev/sdc"}]""";

    private WireMockServer agent;
    @TempDir
    Path dir;
    private String out;
    private String err;

    @BeforeEach
    void start() {
        agent = new WireMockServer(WireMockConfiguration.options().dynamicPort().bindAddress("127.0.0.1"));
        agent.start();
    }

    @AfterEach
    void stop() {
        agent.stop();
    }

    private int run(String... args) {
        List<String> all = new ArrayList<>(List.of("--config", dir.resolve("none.properties").toString(),
                "--url", agent.baseUrl()));
        all.addAll(List.of(args));
        return runBare(all.toArray(String[]::new));
    }

    private int runBare(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Tetherctl.run(args, new PrintWriter(o), new PrintWriter(e), Map.of());
        out = o.toString();
        err = e.toString();
        return code;
    }

    @Test
    void aListingIsAnAlignedTableAJsonDocumentOrBareValues() {
        agent.stubFor(get("/v1/attachments").willReturn(okJson(ATTACHMENTS)));
        assertThat(run("attachments")).isZero();
        assertThat(out.lines().toList()).containsExactly(
                "VOLUME ID  DOMAIN  STATE      DEVICE  ATTACH PATH  DRIVER VOLUME TYPE  HOST DEVICE",
                "9f2b       web-1   attached   vdb     qemu         iscsi               -",
                "77aa01     db      detaching  sda     kernel       rbd                 /dev/sdc");

        assertThat(run("attachments", "-o", "json")).isZero();
        assertThat(out).contains("\"driver_volume_type\" : \"rbd\"").contains("\"host_device\" : null");
        assertThat(run("-o", "value", "attachments")).isZero();
        assertThat(out.lines().toList()).containsExactly("9f2b web-1 attached vdb qemu iscsi -",
                "77aa01 db detaching sda kernel rbd /dev/sdc");
        assertThat(run("attachments", "-o", "YAML")).isZero();
        assertThat(out).startsWith("- volume_id: \"9f2b\"").contains("  host_device: \"/dev/sdc\"");
    }

    @Test
    void theAgentsConfigurationGivesItsAddressAndTokenSoRootNeedsNoFlags() throws Exception {
        Path token = dir.resolve("api-token");
        Files.writeString(token, "s3cr3t-token\n");
        Path config = dir.resolve("agent.properties");
        Files.writeString(config, "tether.api.token-file=" + token + "\nquarkus.http.port=" + agent.port() + "\n");
        agent.stubFor(get("/v1/connector").willReturn(okJson("""
                {"host": "compute-1", "ip": "10.0.0.5", "initiator": "iqn.1993-08.org.debian:01:abc",
                 "nqn": "nqn.2014-08.org.nvmexpress:uuid:1", "multipath": false}""")));
        assertThat(runBare("--config", config.toString(), "connector")).as(err).isZero();
        assertThat(out).contains("compute-1").contains("iqn.1993-08.org.debian:01:abc");
        agent.verify(getRequestedFor(urlEqualTo("/v1/connector"))
                .withHeader("Authorization", equalTo("Bearer s3cr3t-token")));
    }

    @Test
    void aProblemIsShownByItsCodeDetailAndFieldWithExitOne() {
        agent.stubFor(put("/v1/instances/web-1/volumes/9f2b").willReturn(aResponse().withStatus(409)
                .withHeader("Content-Type", "application/problem+json").withBody("""
                        {"type": "urn:tether:problem:attachment_conflict", "title": "Attachment conflict",
                         "status": 409, "code": "attachment_conflict", "detail": "9f2b is attached to db",
                         "field": "volume_id"}""")));
        Path info = dir.resolve("info.json");
        assertThat(run("attach", "web-1", "9f2b", "--connection-info", write(info, """
                {"connection_info": {"driver_volume_type": "iscsi", "data": {"target_lun": 0}}}"""), "--path", "qemu"))
                .isEqualTo(1);
        assertThat(err).contains("Error: attachment_conflict: 9f2b is attached to db (field: volume_id)");
        agent.verify(putRequestedFor(urlEqualTo("/v1/instances/web-1/volumes/9f2b")).withRequestBody(equalToJson("""
                {"connection_info": {"driver_volume_type": "iscsi", "data": {"target_lun": 0}}, "attach_path": "qemu"}""")));
    }

    @Test
    void anAgentThatDoesNotAnswerIsExitThreeAndAUsageErrorExitTwo() {
        assertThat(runBare("--config", dir.resolve("none").toString(), "--url", "http://127.0.0.1:1", "volumes"))
                .isEqualTo(3);
        assertThat(err).contains("cannot reach the agent at http://127.0.0.1:1");
        assertThat(run("volumes", "--no-such-flag")).isEqualTo(2);
        // the error and where to read on, not the whole help page
        assertThat(err.lines().toList()).containsExactly("Error: Unknown option: '--no-such-flag'",
                "Try 'tetherctl volumes --help' for more information.");
        assertThat(run("attach", "only-a-domain")).isEqualTo(2);
        assertThat(err).startsWith("Error: Missing required options and parameters").contains("Try 'tetherctl attach --help'");
        assertThat(run("attach", "d", "v", "--connection-info", dir.resolve("missing.json").toString())).isEqualTo(2);
        assertThat(err).contains("missing.json");
    }

    @Test
    void detachIsOneDeleteAndSaysWhatItDid() {
        agent.stubFor(delete("/v1/instances/web-1/volumes/9f2b").willReturn(aResponse().withStatus(204)));
        assertThat(run("detach", "web-1", "9f2b")).isZero();
        assertThat(out).contains("detached 9f2b from web-1");
        agent.verify(deleteRequestedFor(urlEqualTo("/v1/instances/web-1/volumes/9f2b")));

        // a name as typed is one path segment, whatever it holds
        agent.stubFor(delete("/v1/instances/my%20dom%2F..%3F/volumes/9f2b").willReturn(aResponse().withStatus(204)));
        assertThat(run("detach", "my dom/..?", "9f2b")).as(err).isZero();
        agent.verify(deleteRequestedFor(urlEqualTo("/v1/instances/my%20dom%2F..%3F/volumes/9f2b")));
    }

    @Test
    void qosAndExtendSendCindersShapesAndABadSpecChangesNothing() {
        agent.stubFor(put("/v1/instances/web-1/volumes/9f2b/qos").willReturn(okJson("""
                {"volume_id": "9f2b", "domain": "web-1", "device": "vdb", "live": {"total_iops_sec": 500,
                 "read_bytes_sec": 1048576, "write_iops_sec": 0, "group_name": "g"}, "persistent": {"total_iops_sec": 500}, "ignored_qos_keys": []}""")));
        assertThat(run("qos", "web-1", "9f2b", "total_iops_sec=500", "read_bytes_sec=1048576")).as(err).isZero();
        agent.verify(putRequestedFor(urlEqualTo("/v1/instances/web-1/volumes/9f2b/qos")).withRequestBody(equalToJson(
                "{\"qos_specs\": {\"total_iops_sec\": \"500\", \"read_bytes_sec\": \"1048576\"}}")));
        // the limits that are set, not every field QEMU answers with
        assertThat(out).contains(" total_iops_sec=500,read_bytes_sec=1048576 ").doesNotContain("write_iops_sec");
        assertThat(run("-o", "json", "qos", "web-1", "9f2b", "total_iops_sec=500")).isZero();
        assertThat(out).contains("\"write_iops_sec\" : 0");
        assertThat(run("qos", "web-1", "9f2b", "total_iops_sec")).isEqualTo(2);
        assertThat(err).contains("KEY=VALUE");
        agent.verify(2, putRequestedFor(urlEqualTo("/v1/instances/web-1/volumes/9f2b/qos")));

        agent.stubFor(post("/v1/instances/web-1/volumes/9f2b/extend").willReturn(okJson("""
                {"volume_id": "9f2b", "domain": "web-1", "device": "vdb", "size_bytes": 2147483648,
                 "previous_size_bytes": 1073741824}""")));
        assertThat(run("extend", "web-1", "9f2b", "--size-gb", "2")).as(err).isZero();
        agent.verify(postRequestedFor(urlEqualTo("/v1/instances/web-1/volumes/9f2b/extend"))
                .withRequestBody(equalToJson("{\"new_size\": 2147483648}")));
        assertThat(out).contains("1073741824").contains("2147483648");
    }

    @Test
    void aVolumesSnapshotsAndExportsAreItsOwnLists() {
        agent.stubFor(get("/v1/volumes/v-1").willReturn(okJson("""
                {"id": "v-1", "snapshots": [{"id": "s-1", "size_gb": 1, "created_at": "2026-12-06T20:00:00Z"}],
                 "exports": [{"initiator": "iqn.1993-08.org.debian:01:abc", "created_at": "2026-12-06T20:01:00Z"}]}""")));
        assertThat(run("snapshots", "v-1")).isZero();
        assertThat(out.lines().toList()).containsExactly("ID   SIZE GB  CREATED AT", "s-1  1        2026-12-06T20:00:00Z");
        assertThat(run("-o", "value", "exports", "v-1")).isZero();
        assertThat(out.strip()).isEqualTo("iqn.1993-08.org.debian:01:abc 2026-12-06T20:01:00Z");
    }

    @Test
    void waitingShowsAPlainLinePerChangeOffATerminalAndEndsWithTheOperationsOutcome() {
        String op = "/v1/operations/op-1";
        agent.stubFor(get(op).inScenario("op").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("2")
                .willReturn(okJson("{\"id\": \"op-1\", \"state\": \"running\", \"path\": \"/v1/instances/d/volumes/v/move\"}")));
        agent.stubFor(get("/v1/instances/d/volumes/v/move").willReturn(okJson("{\"phase\": \"copying\"}")));
        agent.stubFor(get(op).inScenario("op").whenScenarioStateIs("2").willSetStateTo("3")
                .willReturn(okJson("{\"id\": \"op-1\", \"state\": \"running\", \"path\": \"/v1/instances/d/volumes/v/move\"}")));
        agent.stubFor(get(op).inScenario("op").whenScenarioStateIs("3")
                .willReturn(okJson("{\"id\": \"op-1\", \"state\": \"succeeded\", \"status\": 200, "
                        + "\"result\": {\"volume_id\": \"v\", \"state\": \"attached\"}}")));
        assertThat(run("operations", "wait", "op-1", "--interval", "PT0.01S")).as(err).isZero();
        assertThat(err.lines().toList()).containsExactly("running, phase copying", "succeeded");
        assertThat(out).contains("attached");

        agent.stubFor(get("/v1/operations/op-2").willReturn(okJson("""
                {"id": "op-2", "state": "failed", "status": 502, "result": {"code": "move_failed",
                 "detail": "QEMU refused the copy", "status": 502}}""")));
        assertThat(run("operations", "wait", "op-2")).isEqualTo(1);
        assertThat(err).contains("Error: move_failed: QEMU refused the copy");
    }

    @Test
    void aMigrationAndAMoveAreSentWithTheirFilesWaitedForShownAndCancelled() throws Exception {
        Path info = dir.resolve("dest.json");
        Files.writeString(info, "{\"driver_volume_type\": \"rbd\", \"data\": {\"name\": \"volumes/v\"}}");
        Path enc = dir.resolve("enc.json");
        Files.writeString(enc, "{\"provider\": \"luks\", \"encryption_key_id\": \"k\"}");
        agent.stubFor(post("/v1/instances/web-1/migrations").willReturn(aResponse().withStatus(202)
                .withHeader("Location", "/v1/operations/op-m")));
        agent.stubFor(get("/v1/operations/op-m").willReturn(okJson("""
                {"id": "op-m", "state": "succeeded", "status": 200, "path": "/v1/instances/web-1/migrations",
                 "result": {"domain": "web-1", "destination": "b", "volumes": ["v"], "downtime_ms": 41,
                 "total_ms": 5300}}""")));
        assertThat(run("migrations", "create", "web-1", "b", "--volume", "v=" + info, "--encryption", "v=" + enc,
                "--max-downtime-ms", "300", "--interval", "PT0.01S")).as(err).isZero();
        agent.verify(postRequestedFor(urlEqualTo("/v1/instances/web-1/migrations")).withRequestBody(equalToJson("""
                {"destination": "b", "max_downtime_ms": 300, "volumes": {"v": {"connection_info":
                 {"driver_volume_type": "rbd", "data": {"name": "volumes/v"}},
                 "encryption": {"provider": "luks", "encryption_key_id": "k"}}}}""")));
        assertThat(out).contains("web-1").contains("5300");
        assertThat(run("migrations", "create", "web-1", "b", "--encryption", "v=" + enc)).isEqualTo(2);
        assertThat(err).contains("--encryption v has no --volume v");

        agent.stubFor(get("/v1/instances/web-1/migrations").willReturn(okJson("""
                {"domain": "web-1", "destination": "b", "phase": "migrating", "memory_total": 1000,
                 "memory_remaining": 250, "memory_processed": 750}""")));
        assertThat(run("-o", "value", "migrations", "web-1")).isZero();
        assertThat(out.strip()).isEqualTo("web-1 b migrating 1000 250 750");
        agent.stubFor(delete("/v1/instances/web-1/migrations").willReturn(aResponse().withStatus(202)));
        assertThat(run("migrations", "cancel", "web-1")).isZero();
        assertThat(out).contains("cancel asked: the guest stays on this host");
        agent.stubFor(delete("/v1/instances/db/migrations").willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/problem+json").withBody(
                        "{\"code\": \"operation_not_found\", \"detail\": \"domain db is not migrating\"}")));
        assertThat(run("migrations", "cancel", "db")).isEqualTo(1);
        assertThat(err).contains("operation_not_found: domain db is not migrating");

        agent.stubFor(post("/v1/instances/web-1/volumes/v/move").willReturn(aResponse().withStatus(202)
                .withHeader("Location", "/v1/operations/op-v")));
        agent.stubFor(get("/v1/operations/op-v").willReturn(okJson("""
                {"id": "op-v", "state": "succeeded", "status": 200, "path": "/v1/instances/web-1/volumes/v/move",
                 "result": {"volume_id": "v", "domain": "web-1", "state": "attached", "device": "vdb"}}""")));
        assertThat(run("moves", "create", "web-1", "v", "--connection-info", info.toString(), "--bandwidth-mib-s",
                "50", "--interval", "PT0.01S")).as(err).isZero();
        agent.verify(postRequestedFor(urlEqualTo("/v1/instances/web-1/volumes/v/move")).withRequestBody(equalToJson("""
                {"bandwidth_mib_s": 50, "connection_info": {"driver_volume_type": "rbd", "data": {"name":
                 "volumes/v"}}}""")));
        assertThat(out).contains("attached").contains("vdb");
        agent.stubFor(get("/v1/instances/web-1/volumes/v/move").willReturn(okJson("""
                {"domain": "web-1", "volume_id": "v", "phase": "copying", "copied_bytes": 5, "total_bytes": 10}""")));
        assertThat(run("-o", "value", "moves", "web-1", "v")).isZero();
        assertThat(out.strip()).isEqualTo("web-1 v copying 5 10");
        agent.stubFor(delete("/v1/instances/web-1/volumes/v/move").willReturn(aResponse().withStatus(202)));
        assertThat(run("moves", "cancel", "web-1", "v")).isZero();
        assertThat(out).contains("cancel asked: the guest stays on the volume it had");
        assertThat(run("moves", "web-1")).isEqualTo(2);
        assertThat(run("moves", "create", "web-1", "v")).as("--connection-info is required").isEqualTo(2);
    }

    /** The bar a terminal shows is read from the resource the operation works on, never guessed. */
    @Test
    void progressIsReadFromTheResourceTheOperationWorksOn() {
        agent.stubFor(get("/v1/instances/d/volumes/v/move").willReturn(okJson(
                "{\"phase\": \"copying\", \"copied_bytes\": 256, \"total_bytes\": 1024}")));
        agent.stubFor(get("/v1/instances/d/migrations").willReturn(okJson(
                "{\"phase\": \"migrating\", \"memory_total\": 1000, \"memory_remaining\": 250}")));
        agent.stubFor(get("/v1/volumes/v1").willReturn(okJson("{\"id\": \"v1\", \"progress_percent\": 40}")));
        agent.stubFor(get("/v1/volumes/v2").willReturn(okJson("{\"id\": \"v2\", \"progress_percent\": null}")));
        agent.stubFor(get(urlEqualTo("/v1/backups?volume_id=v3")).willReturn(okJson("""
                [{"id": "b1", "state": "available", "bytes_read": 4096, "size_bytes": 4096},
                 {"id": "b2", "state": "creating", "bytes_read": 512, "size_bytes": 2048}]""")));
        Tetherctl root = new Tetherctl();
        root.url = agent.baseUrl();
        root.config = dir.resolve("none.properties");
        root.timeout = java.time.Duration.ofSeconds(5);

        OperationProgress move = OperationProgress.of(root, running("/v1/instances/d/volumes/v/move"));
        assertThat(move).isEqualTo(new OperationProgress("copying", 0.25));
        assertThat(move.bar()).isEqualTo("[######..................]  25 % ");
        assertThat(move.phaseSuffix()).isEqualTo(", phase copying");
        assertThat(OperationProgress.of(root, running("/v1/instances/d/migrations")))
                .isEqualTo(new OperationProgress("migrating", 0.75));
        assertThat(OperationProgress.of(root, running("/v1/volumes/v1/migrate")).bar())
                .isEqualTo("[##########..............]  40 % ");
        assertThat(OperationProgress.of(root, running("/v1/volumes/v2/retype"))).isEqualTo(OperationProgress.UNKNOWN);
        assertThat(OperationProgress.of(root, running("/v1/volumes/v3/backups")).fraction()).isEqualTo(0.25);
        // a volume the command named (from an image, a restore's target): its state is the phase
        agent.stubFor(get("/v1/volumes/v5").willReturn(okJson(
                "{\"id\": \"v5\", \"state\": \"downloading\", \"progress_percent\": 30}")));
        assertThat(OperationProgress.of(root, running("/v1/volumes"), "/v1/volumes/v5"))
                .isEqualTo(new OperationProgress("downloading", 0.3));
        assertThat(OperationProgress.of(root, running("/v1/volumes"), "/v1/volumes/not-yet"))
                .as("not made yet").isEqualTo(OperationProgress.UNKNOWN);
        // nothing known: no bar, and no call for an operation that ended or a resource that says nothing
        assertThat(OperationProgress.UNKNOWN.bar()).isEmpty();
        assertThat(OperationProgress.of(root, running("/v1/volumes/v9/snapshots"))).isEqualTo(OperationProgress.UNKNOWN);
        assertThat(OperationProgress.of(root, AgentClient.JSON.createObjectNode().put("state", "succeeded")
                .put("path", "/v1/instances/d/volumes/v/move"))).isEqualTo(OperationProgress.UNKNOWN);
        assertThat(new OperationProgress(null, 1.7).bar()).isEqualTo("[########################] 100 % ");
        agent.verify(0, getRequestedFor(urlEqualTo("/v1/volumes/v9")));
    }

    private static com.fasterxml.jackson.databind.JsonNode running(String path) {
        return AgentClient.JSON.createObjectNode().put("state", "running").put("path", path);
    }

    @Test
    void volumesAreCreatedWithWhatTheFlagsSayAndAnAnswerWithoutBodySaysWhatWasDone() {
        agent.stubFor(post("/v1/volumes").willReturn(aResponse().withStatus(201).withHeader("Content-Type",
                "application/json").withBody("""
                {"id": "v-2", "size_gb": 2, "state": "available", "pool": "gold", "thin": false, "bootable": false}""")));
        assertThat(run("volumes", "create", "--size-gb", "2", "--id", "v-2", "--pool", "gold", "--thick",
                "--from-snapshot", "s-1")).as(err).isZero();
        agent.verify(postRequestedFor(urlEqualTo("/v1/volumes")).withRequestBody(equalToJson("""
                {"id": "v-2", "size_gb": 2, "thin": false, "pool": "gold", "source": {"snapshot_id": "s-1"}}""")));
        assertThat(out.lines().toList()).containsExactly("ID   SIZE GB  STATE      POOL  THIN   BOOTABLE",
                "v-2  2        available  gold  false  false");

        assertThat(run("volumes", "create", "--size-gb", "1", "--from-volume", "a", "--from-image", "b")).isEqualTo(2);
        assertThat(err).contains("not more");
        assertThat(run("volumes", "create")).as("--size-gb is required").isEqualTo(2);

        agent.stubFor(delete("/v1/volumes/v-2").willReturn(aResponse().withStatus(204)));
        assertThat(run("volumes", "delete", "v-2")).isZero();
        assertThat(out.strip()).isEqualTo("deleted volume v-2");

        agent.stubFor(post("/v1/volumes/v-2/snapshots").willReturn(aResponse().withStatus(201).withHeader(
                "Content-Type", "application/json").withBody("{\"id\": \"s-9\", \"size_gb\": 2}")));
        assertThat(run("snapshots", "create", "v-2", "--id", "s-9")).as(err).isZero();
        agent.verify(postRequestedFor(urlEqualTo("/v1/volumes/v-2/snapshots")).withRequestBody(equalToJson(
                "{\"id\": \"s-9\"}")));
        assertThat(run("snapshots")).as("a listing of no volume's snapshots").isEqualTo(2);
    }

    @Test
    void workTheAgentRunsAsAnOperationIsWaitedForOrLeftRunningWithNoWait() {
        agent.stubFor(post("/v1/volumes/v-1/backups").willReturn(aResponse().withStatus(202)
                .withHeader("Location", "/v1/operations/op-7").withHeader("Content-Type", "application/json")
                .withBody("{\"id\": \"op-7\", \"state\": \"running\"}")));
        agent.stubFor(get("/v1/operations/op-7").willReturn(okJson("""
                {"id": "op-7", "state": "succeeded", "status": 201, "path": "/v1/volumes/v-1/backups",
                 "result": {"id": "b-1", "volume_id": "v-1", "store": "pool", "state": "available",
                 "parent_id": "b-0", "bytes_read": 8388608, "bytes_stored": 4200000}}""")));
        assertThat(run("backups", "create", "v-1", "--incremental", "--store", "pool", "--interval", "PT0.01S"))
                .as(err).isZero();
        agent.verify(postRequestedFor(urlEqualTo("/v1/volumes/v-1/backups")).withRequestBody(equalToJson(
                "{\"store\": \"pool\", \"incremental\": true}")));
        assertThat(err.lines().toList()).containsExactly("succeeded");
        assertThat(out).contains("b-1").contains("8388608");

        assertThat(run("-o", "value", "backups", "create", "v-1", "--no-wait")).isZero();
        assertThat(out.strip()).isEqualTo("op-7 running");

        agent.stubFor(post("/v1/backups/b-1/restore").willReturn(aResponse().withStatus(202)
                .withHeader("Location", "/v1/operations/op-8")));
        agent.stubFor(get("/v1/operations/op-8").willReturn(okJson("""
                {"id": "op-8", "state": "failed", "status": 422, "result": {"code": "backup_corrupt",
                 "detail": "chunk ab12 is missing", "status": 422}}""")));
        assertThat(run("backups", "restore", "b-1", "--size-gb", "4")).isEqualTo(1);
        assertThat(err).contains("Error: backup_corrupt: chunk ab12 is missing");
        // a new volume's id is chosen here, so that the restore's filling of it can be followed
        agent.verify(postRequestedFor(urlEqualTo("/v1/backups/b-1/restore"))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath("$.size_gb",
                        equalTo("4")))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath("$.volume_id",
                        com.github.tomakehurst.wiremock.client.WireMock.matching("[0-9a-f-]{36}"))));
        assertThat(run("backups", "restore", "b-1", "--volume", "v-9")).isEqualTo(1);
        agent.verify(postRequestedFor(urlEqualTo("/v1/backups/b-1/restore")).withRequestBody(equalToJson(
                "{\"volume_id\": \"v-9\"}")));

        agent.stubFor(post("/v1/backup-stores/vault/reseal").willReturn(aResponse().withStatus(202)
                .withHeader("Location", "/v1/operations/op-9")));
        agent.stubFor(get("/v1/operations/op-9").willReturn(okJson("""
                {"id": "op-9", "state": "succeeded", "status": 200, "path": "/v1/backup-stores/vault/reseal",
                 "result": {"store": "vault", "manifests": 2, "chunks": 17, "removed_chunks": 17}}""")));
        assertThat(run("-o", "value", "backups", "reseal", "vault", "--interval", "PT0.01S")).as(err).isZero();
        assertThat(out.strip()).isEqualTo("vault 2 17 17");
        agent.verify(postRequestedFor(urlEqualTo("/v1/backup-stores/vault/reseal")));
    }

    @Test
    void anExportSendsTheConnectorAndPrintsConnectionInfoAsJson() {
        agent.stubFor(put("/v1/volumes/v-1/exports/iqn.1993-08.org.debian%3A01%3Aabc").willReturn(okJson("""
                {"driver_volume_type": "iscsi", "data": {"target_iqn": "iqn.2010-10.org.openstack:volume-v-1",
                 "target_portal": "10.0.0.9:3260", "target_lun": 1, "auth_method": "CHAP"}}""")));
        Path connector = dir.resolve("connector.json");
        assertThat(run("exports", "create", "v-1", "iqn.1993-08.org.debian:01:abc", "--connector", write(connector,
                "{\"initiator\": \"iqn.1993-08.org.debian:01:abc\", \"ip\": \"10.0.0.5\"}"))).as(err).isZero();
        agent.verify(putRequestedFor(urlEqualTo("/v1/volumes/v-1/exports/iqn.1993-08.org.debian%3A01%3Aabc"))
                .withRequestBody(equalToJson("{\"initiator\": \"iqn.1993-08.org.debian:01:abc\", \"ip\": \"10.0.0.5\"}")));
        assertThat(out).contains("\"target_portal\" : \"10.0.0.9:3260\"");
        assertThat(run("exports", "create", "v-1", "iqn.x", "--connector", dir.resolve("none.json").toString()))
                .isEqualTo(2);
    }

    @Test
    void statusShowsEveryCheckAndIsExitOneUnlessUp() {
        agent.stubFor(get("/q/health").willReturn(okJson("""
                {"status": "UP", "checks": [{"name": "libvirt", "status": "UP", "data": {"uri": "qemu:///system"}},
                 {"name": "state-dir", "status": "UP"}, {"name": "reconciliation", "status": "UP", "data": {"n": 3}},
                 {"name": "reconciliation", "status": "UP", "data": {"n": 3}}]}""")));
        agent.stubFor(get("/v1/reconciliation").willReturn(okJson("""
                {"at": "2026-12-06T20:00:00Z", "attachments_checked": 3, "drift": {}, "unowned_sessions": [],
                 "unowned_disks": ["web-1/vdc"], "errors": []}""")));
        assertThat(run("status")).isZero();
        // a check in two groups (readiness and startup) is listed twice by /q/health, shown once
        assertThat(out.lines().filter(l -> l.startsWith("reconciliation ")).count()).isEqualTo(1);
        assertThat(out).contains(": UP").contains("libvirt").contains("state-dir")
                .contains("3 attachments checked, 0 with drift, 0 unowned sessions, 1 unowned disks, 0 errors");

        agent.stubFor(get("/q/health").willReturn(aResponse().withStatus(503).withHeader("Content-Type",
                "application/json").withBody("{\"status\": \"DOWN\", \"checks\": [{\"name\": \"libvirt\", \"status\": \"DOWN\"}]}")));
        assertThat(run("status")).isEqualTo(1);
        assertThat(out).contains(": DOWN");
    }

    @Test
    void bashCompletionIsMadeFromTheCommandModel() {
        assertThat(run("generate-completion")).isZero();
        assertThat(out).contains("complete -F _complete_tetherctl").contains("attachments").contains("operations");
    }

    private static String write(Path p, String text) {
        try {
            Files.writeString(p, text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return p.toString();
    }
}
