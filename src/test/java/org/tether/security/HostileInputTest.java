package org.tether.security;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * More than two hundred hostile requests against every mutating endpoint: malformed JSON, wrong types, bodies
 * past the limit, traversal in ids, shell and XML metacharacters and newlines in names, IQNs and portals,
 * out-of-range sizes and LUNs, contradictory QoS. They aim at a domain and a volume that exist, so that no
 * refusal is a mere "not found"; each must be exactly the problem recorded for it in
 * {@code src/test/resources/hostile/expected.tsv} (status, code and field: removing one validation changes
 * one of them), and the host must be the same afterwards: domains, libvirt secrets, tgt targets, iSCSI
 * sessions, the journal, the volume store. {@code -Dhostile.record=true} writes what was answered to
 * {@code target/hostile-actual.tsv}, to review against the expected file after a deliberate change.
 */
@org.junit.jupiter.api.Tag("host")
@QuarkusTest
class HostileInputTest {
    private static final String VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private static final String IQN = "iqn.2010-10.org.openstack:volume-" + VOL;
    private static String before;
    private static TestDomain domain;
    private static String dom = "d1";
    private static final List<String> actual = java.util.Collections.synchronizedList(new ArrayList<>());

    record Case(String name, String method, String path, String contentType, String body) {
    }

    @BeforeAll
    static void snapshot() throws IOException {
        domain = TestDomain.create(TestDomain.Kind.RUNNING);
        dom = domain.name;
        given().port(testPort()).contentType("application/json").body("{\"id\": \"" + VOL + "\", \"size_gb\": 1}")
                .post("/v1/volumes").then().statusCode(201);
        before = hostState();
    }

    @AfterAll
    static void unchanged() throws IOException {
        try {
            assertThat(hostState()).as("host state after all hostile requests").isEqualTo(before);
            if (Boolean.getBoolean("hostile.record")) {
                Files.write(Path.of("target/hostile-actual.tsv"), actual.stream().sorted(
                        java.util.Comparator.comparingInt(l -> Integer.parseInt(l.substring(0, l.indexOf('\t'))))).toList());
            }
        } finally {
            given().port(testPort()).delete("/v1/volumes/" + VOL);
            domain.close();
        }
    }

    /** RestAssured gets the agent's port per test; the class-level set-up runs before that. */
    private static int testPort() {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    }

    /** index → "status\tcode\tfield" as recorded and reviewed. */
    private static java.util.Map<Integer, String> expected() throws IOException {
        java.util.Map<Integer, String> m = new java.util.HashMap<>();
        try (var in = HostileInputTest.class.getResourceAsStream("/hostile/expected.tsv")) {
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                m.put(Integer.parseInt(f[0]), f[2] + "\t" + f[3] + "\t" + f[4]);
            }
        }
        return m;
    }

    static String hostState() throws IOException {
        StringBuilder s = new StringBuilder();
        s.append(Host.run("virsh", "-c", "qemu:///system", "list", "--all", "--name")).append('\n');
        s.append(String.join(",", Host.secretUsages())).append('\n');
        s.append(Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target")).append('\n');
        s.append(Host.exec("iscsiadm", "-m", "session").out()).append('\n');
        for (String dir : List.of("target/test-state/attachments", "target/test-state/volumes",
                "target/test-state/instances", "target/test-files")) {
            Path p = Path.of(dir);
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.list(p)) {
                    files.map(f -> f.getFileName().toString()).sorted().forEach(n -> s.append(n).append(','));
                }
            }
            s.append('\n');
        }
        return s.toString();
    }

    private static String ci(String data) {
        return "{\"driver_volume_type\": \"iscsi\", \"data\": {" + data + "}}";
    }

    private static String goodData() {
        return "\"target_portal\": \"127.0.0.1:3260\", \"target_iqn\": \"" + IQN + "\", \"target_lun\": 1";
    }

    private static String attach(String data) {
        return "{\"connection_info\": " + ci(data) + "}";
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r")
                .replace("\t", "\\t") + "\"";
    }

    private static String cinderBody(String attachment, String instanceJson, String projectJson) {
        return "{\"attachment_id\": \"" + attachment + "\", \"volume_id\": \"" + VOL + "\", \"instance\": " + instanceJson
                + ", \"project_id\": " + projectJson + "}";
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        String attachUrl = "/v1/instances/" + dom + "/volumes/" + VOL;
        String[][] mutating = {
                {"PUT", attachUrl},
                {"PUT", attachUrl + "/qos"},
                {"POST", attachUrl + "/extend"},
                {"POST", "/v1/instances"},
                {"POST", "/v1/volumes"},
                {"POST", "/v1/volumes/" + VOL + "/extend"},
                {"POST", "/v1/volumes/" + VOL + "/snapshots"},
                {"POST", "/v1/volumes/" + VOL + "/revert"},
                {"PUT", "/v1/volumes/" + VOL + "/exports/iqn.1993-08.org.debian:01:abc"},
                {"POST", "/v1/cinder-attachments"},
        };
        String[] malformed = {"{", "{\"a\":}", "[1, 2]", "\"text\"", "{\"a\": 1} trailing", "{'single': 1}",
                "\u0000\u0001", "{\"a\": tru}"};
        for (String[] m : mutating) {
            for (String body : malformed) {
                c.add(new Case("malformed " + m[0] + " " + m[1], m[0], m[1], "application/json", body));
            }
            c.add(new Case("too large " + m[1], m[0], m[1], "application/json",
                    "{\"x\": \"" + "A".repeat(300 * 1024) + "\"}"));
            c.add(new Case("not json " + m[1], m[0], m[1], "text/plain", "hello"));
        }
        // wrong types
        for (String body : new String[] {"{\"connection_info\": \"iscsi\"}", "{\"connection_info\": 42}",
                "{\"connection_info\": [1]}", "{\"connection_info\": " + ci(goodData()) + ", \"bus\": 7}",
                "{\"connection_info\": " + ci(goodData()) + ", \"device\": {\"x\": 1}}",
                "{\"connection_info\": " + ci(goodData()) + ", \"multiattach\": \"perhaps\"}",
                attach("\"target_portal\": 3260, \"target_iqn\": \"" + IQN + "\", \"target_lun\": 1"),
                attach("\"target_portal\": \"127.0.0.1:3260\", \"target_iqn\": [\"" + IQN + "\"], \"target_lun\": 1"),
                attach(goodData() + ", \"qos_specs\": \"fast\""),
                attach(goodData() + ", \"auth_method\": 5")}) {
            c.add(new Case("wrong type", "PUT", attachUrl, "application/json", body));
        }
        for (String body : new String[] {"{\"id\": 5, \"size_gb\": 1}", "{\"id\": \"" + VOL + "\", \"size_gb\": \"big\"}",
                "{\"id\": \"" + VOL + "\", \"size_gb\": 1.5}", "{\"id\": \"" + VOL + "\", \"size_gb\": [1]}",
                "{\"id\": \"" + VOL + "\", \"size_gb\": 1, \"thin\": \"yes\"}"}) {
            c.add(new Case("wrong type volume", "POST", "/v1/volumes", "application/json", body));
        }
        c.add(new Case("wrong type vcpus", "POST", "/v1/instances", "application/json",
                "{\"name\": \"a\", \"vcpus\": \"two\", \"memory_mb\": 64}"));
        c.add(new Case("wrong type memory", "POST", "/v1/instances", "application/json",
                "{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": true}"));
        // traversal and metacharacters in path ids
        for (String bad : new String[] {"..", "..%2F..%2Fetc", "%2e%2e", "a%0Ab", "a%3Bls", "%24(reboot)", "%60id%60",
                "x%27y", "%3Cdomain%3E", "a%26b", "a%20b", VOL + "%00"}) {
            c.add(new Case("bad domain " + bad, "PUT", "/v1/instances/" + bad + "/volumes/" + VOL, "application/json",
                    attach(goodData())));
            if (!bad.equals("..") && !bad.equals("%2e%2e")) { // dot segments normalise to another route
                c.add(new Case("bad volume id " + bad, "DELETE", "/v1/instances/" + dom + "/volumes/" + bad, null, null));
            }
        }
        for (String bad : new String[] {"..%2F..%2Fetc%2Fpasswd", "iqn.x%0Ay", "iqn.1993-08.org.debian:01:a%3Brm",
                "%24(id)", "iqn.1993-08.org.debian:01:%3Cx%3E"}) {
            c.add(new Case("bad initiator " + bad, "PUT", "/v1/volumes/" + VOL + "/exports/" + bad,
                    "application/json", "{\"initiator\": \"x\"}"));
        }
        // shell / XML metacharacters and newlines in IQNs and portals
        for (String iqn : new String[] {IQN + ";rm -rf /", IQN + "$(reboot)", IQN + "`id`", IQN + "\nnode.startup=x",
                "iqn.2010-10.org.openstack:<disk/>", "iqn.2010-10.org.openstack:a'b", "iqn.2010-10.org.openstack:a\"b",
                "-T evil", "iqn.2010-10.org.openstack:vol|cat", "eui.ZZZZ", "naa.12", ""}) {
            c.add(new Case("bad iqn", "PUT", attachUrl, "application/json", attach("\"target_portal\": "
                    + "\"127.0.0.1:3260\", \"target_iqn\": " + json(iqn) + ", \"target_lun\": 1")));
        }
        for (String portal : new String[] {"127.0.0.1:3260;ls", "127.0.0.1:3260\n", "$(hostname):3260", "`id`:3260",
                "127.0.0.1:99999", "127.0.0.1:-1", "[::1:3260", "host name:3260", "127.0.0.1:3260 -o new",
                "<x>:3260", "-p:3260"}) {
            c.add(new Case("bad portal", "PUT", attachUrl, "application/json", attach("\"target_portal\": "
                    + json(portal) + ", \"target_iqn\": \"" + IQN + "\", \"target_lun\": 1")));
        }
        for (String lun : new String[] {"-1", "16384", "70000", "4294967296", "\"one\"", "1.5"}) {
            c.add(new Case("bad lun " + lun, "PUT", attachUrl, "application/json", attach("\"target_portal\": "
                    + "\"127.0.0.1:3260\", \"target_iqn\": \"" + IQN + "\", \"target_lun\": " + lun)));
        }
        for (String user : new String[] {"a\nb", "<user>", "user;reboot"}) {
            c.add(new Case("bad chap user", "PUT", attachUrl, "application/json", attach(goodData()
                    + ", \"auth_method\": \"CHAP\", \"auth_username\": " + json(user) + ", \"auth_password\": \"pw\"")));
        }
        // XML metacharacters in device and instance names
        for (String dev : new String[] {"vd<a>", "vdb'/>", "vdb\"", "../vdb", "vdb\n"}) {
            c.add(new Case("bad device", "PUT", attachUrl, "application/json",
                    "{\"connection_info\": " + ci(goodData()) + ", \"device\": " + json(dev) + "}"));
        }
        for (String name : new String[] {"<domain>", "a'b", "a&b", "a\nb", "../x", ""}) {
            c.add(new Case("bad instance name", "POST", "/v1/instances", "application/json",
                    "{\"name\": " + json(name) + ", \"vcpus\": 1, \"memory_mb\": 64, \"boot_volume\": {}}"));
        }
        // out-of-range sizes
        for (String size : new String[] {"0", "-1", "1099511627776", "100000000000000000000"}) {
            c.add(new Case("bad size " + size, "POST", "/v1/volumes", "application/json",
                    "{\"id\": \"" + VOL + "\", \"size_gb\": " + size + "}"));
            c.add(new Case("bad extend " + size, "POST", "/v1/volumes/" + VOL + "/extend", "application/json",
                    "{\"new_size_gb\": " + size + "}"));
        }
        for (String size : new String[] {"-512", "0", "3", "513"}) {
            c.add(new Case("bad disk extend " + size, "POST", attachUrl + "/extend", "application/json",
                    "{\"new_size\": " + size + "}"));
        }
        // contradictory or impossible QoS, at attach and as a live change
        for (String qos : new String[] {"{\"total_iops_sec\": \"10\", \"read_iops_sec\": \"5\"}",
                "{\"total_bytes_sec\": \"10\", \"write_bytes_sec\": \"5\"}",
                "{\"total_iops_sec\": \"100\", \"total_iops_sec_max\": \"50\"}",
                "{\"total_iops_sec_max_length\": \"10\"}", "{\"read_iops_sec\": \"-5\"}",
                "{\"read_iops_sec\": \"fast\"}", "{\"read_iops_sec\": \"9999999999999999999\"}",
                "{\"group_name\": \"<g>\", \"total_iops_sec\": \"5\"}", "[\"total_iops_sec\"]"}) {
            c.add(new Case("bad qos at attach", "PUT", attachUrl, "application/json",
                    attach(goodData() + ", \"qos_specs\": " + qos)));
            c.add(new Case("bad qos live", "PUT", attachUrl + "/qos", "application/json", "{\"qos_specs\": " + qos + "}"));
        }
        // Cinder attachments: every field is checked before Keystone or Cinder is asked anything
        String cinder = "/v1/cinder-attachments";
        for (String project : new String[] {"../admin", "p;rm", "p\n", "", "a".repeat(65), "p/q", "%2e%2e"}) {
            c.add(new Case("bad project id", "POST", cinder, "application/json", cinderBody(VOL, json(dom), json(project))));
        }
        for (String instance : new String[] {"<domain>", "a'b", "../x", "", "a b"}) {
            c.add(new Case("bad cinder instance", "POST", cinder, "application/json",
                    cinderBody(VOL, json(instance), "\"p1\"")));
        }
        for (String body : new String[] {"{\"attachment_id\": 5}", cinderBody("not-a-uuid", json(dom), "\"p1\""),
                cinderBody(VOL, json(dom), "42"), cinderBody(VOL, json(dom), "\"p1\"").replace("}", ", \"bus\": \"ide\"}"),
                cinderBody(VOL, json(dom), "\"p1\"").replace("}", ", \"connector\": {\"initiator\": \"x\"}}"),
                cinderBody(VOL, json(dom), "\"p1\"").replace("}", ", \"device\": \"vdb'/>\"}"), "{}"}) {
            c.add(new Case("bad cinder attachment", "POST", cinder, "application/json", body));
        }
        for (String bad : new String[] {"x", "..%2F..", VOL + "%00", "%24(id)"}) {
            c.add(new Case("bad cinder attachment id " + bad, "DELETE", cinder + "/" + bad, null, null));
        }
        // unknown fields
        c.add(new Case("unknown field attach", "PUT", attachUrl, "application/json",
                "{\"connection_info\": " + ci(goodData()) + ", \"shell\": \"rm -rf /\"}"));
        c.add(new Case("unknown field volume", "POST", "/v1/volumes", "application/json",
                "{\"id\": \"" + VOL + "\", \"size_gb\": 1, \"path\": \"/etc/passwd\"}"));
        c.add(new Case("unknown field instance", "POST", "/v1/instances", "application/json",
                "{\"name\": \"a\", \"vcpus\": 1, \"memory_mb\": 64, \"emulator\": \"/bin/sh\"}"));
        c.add(new Case("encrypted", "PUT", attachUrl, "application/json", attach(goodData() + ", \"encrypted\": true")));
        c.add(new Case("other transport", "PUT", attachUrl, "application/json",
                "{\"connection_info\": {\"driver_volume_type\": \"nfs\", \"data\": {\"export\": \"h:/x\"}}}"));
        // RBD: every field reaches libvirt's XML or a secret; none may carry what XML or a path reads twice
        String[][] rbd = {
                {"rbd name traversal", "\"name\": \"volumes/../../etc\", \"auth_enabled\": false"},
                {"rbd name without pool", "\"name\": \"volume-1\", \"auth_enabled\": false"},
                {"rbd name xml", "\"name\": \"volumes/<disk>\", \"auth_enabled\": false"},
                {"rbd host xml", "\"name\": \"volumes/v\", \"hosts\": [\"a'/><x\"], \"ports\": [\"6789\"]"},
                {"rbd ports mismatch", "\"name\": \"volumes/v\", \"hosts\": [\"10.0.0.1\", \"10.0.0.2\"], \"ports\": [\"6789\"]"},
                {"rbd port text", "\"name\": \"volumes/v\", \"hosts\": [\"10.0.0.1\"], \"ports\": [\"http\"]"},
                {"rbd user xml", "\"name\": \"volumes/v\", \"auth_enabled\": true, \"auth_username\": \"a'b\""},
                {"rbd auth without user", "\"name\": \"volumes/v\", \"auth_enabled\": true"},
                {"rbd secret type", "\"name\": \"volumes/v\", \"secret_type\": \"iscsi\""},
                {"rbd secret uuid", "\"name\": \"volumes/v\", \"auth_enabled\": true, \"auth_username\": \"c\", \"secret_uuid\": \"x\""},
                {"rbd keyring garbage", "\"name\": \"volumes/v\", \"auth_enabled\": true, \"auth_username\": \"c\", \"keyring\": \"[client.c]\\n key = not base64!\""},
                {"rbd keyring no key", "\"name\": \"volumes/v\", \"auth_enabled\": true, \"auth_username\": \"c\", \"keyring\": \"[client.c]\""},
                {"rbd no secret here", "\"name\": \"volumes/v\", \"auth_enabled\": true, \"auth_username\": \"c\", \"secret_uuid\": \"" + java.util.UUID.nameUUIDFromBytes(new byte[]{1}) + "\""},
        };
        for (String[] r : rbd) {
            c.add(new Case(r[0], "PUT", attachUrl, "application/json",
                    "{\"connection_info\": {\"driver_volume_type\": \"rbd\", \"data\": {" + r[1] + "}}}"));
        }
        c.add(new Case("rbd kernel path", "PUT", attachUrl, "application/json",
                "{\"connection_info\": {\"driver_volume_type\": \"rbd\", \"data\": {\"name\": \"volumes/v\", "
                        + "\"auth_enabled\": false}}, \"attach_path\": \"kernel\"}"));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> everyHostileRequestIsExactlyItsProblem() throws IOException {
        List<Case> all = cases();
        boolean recording = Boolean.getBoolean("hostile.record");
        java.util.Map<Integer, String> expected = recording ? java.util.Map.of() : expected();
        assertThat(all).hasSizeGreaterThanOrEqualTo(200);
        if (!recording) {
            assertThat(expected).as("one expectation per case in hostile/expected.tsv").hasSameSizeAs(all);
        }
        return java.util.stream.IntStream.range(0, all.size()).mapToObj(i -> {
            Case k = all.get(i);
            return DynamicTest.dynamicTest(i + " " + k.name() + " " + k.method() + " "
                    + k.path().substring(0, Math.min(60, k.path().length())),
                    () -> check(i, k, recording ? null : expected.get(i)));
        });
    }

    /** Sends one case; its answer must be a problem with exactly the expected status, code and field. */
    private static void check(int i, Case k, String expected) {
        var req = given().urlEncodingEnabled(false);
        if (k.contentType() != null) {
            req = req.contentType(k.contentType());
        }
        if (k.body() != null) {
            req = req.body(k.body());
        }
        Response r = req.request(k.method(), k.path());
        assertThat(r.statusCode()).as(k.name() + ": " + r.asString()).isBetween(400, 499);
        assertThat(r.getContentType()).as(k.name()).startsWith("application/problem+json");
        String got = r.statusCode() + "\t" + r.jsonPath().getString("code") + "\t"
                + java.util.Objects.requireNonNullElse(r.jsonPath().getString("field"), "-");
        actual.add(i + "\t" + k.name().replace(dom, "DOMAIN") + "\t" + got);
        if (expected != null) {
            assertThat(got).as(i + " " + k.name() + ": " + r.asString()).isEqualTo(expected);
        }
    }
}
