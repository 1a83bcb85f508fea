package org.tether.connection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tether.qos.QosKey;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RbdConnectionParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    /** A real cephx key (made by ceph-authtool for this test, used nowhere). */
    private static final String KEY = "AQBD8CxnAAAAABAAyq0Cxyr+3zJqYuSMr0aydQ==";

    private final ConnectionInfoParser parser =
            new ConnectionInfoParser(List.of(new IscsiConnectionParser(), new RbdConnectionParser()));

    /** The RBD example from cinder-formats.md, verbatim but for a full volume id. */
    private static final String NESTED = """
            {"driver_volume_type": "rbd", "data": {"name": "volumes/volume-%s",
             "hosts": ["10.0.0.11", "10.0.0.12", "10.0.0.13"], "ports": ["6789", "6789", "6789"], "cluster_name": "ceph",
             "auth_enabled": true, "auth_username": "cinder", "secret_type": "ceph",
             "secret_uuid": "457eb676-33da-42ec-9a8c-9293d545c337", "volume_id": "%s", "discard": true,
             "keyring": null, "qos_specs": null, "access_mode": "rw", "encrypted": false}}""".formatted(VOL, VOL);

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private RbdConnectionInfo parse(String s) {
        return (RbdConnectionInfo) parser.parse(json(s));
    }

    private static String data(String fields) {
        return "{\"driver_volume_type\": \"rbd\", \"data\": {\"name\": \"volumes/volume-" + VOL + "\"" + fields + "}}";
    }

    @Test
    void parsesCindersRbdExample() {
        RbdConnectionInfo info = parse(NESTED);
        assertThat(info.volumeId()).isEqualTo(UUID.fromString(VOL));
        assertThat(info.pool()).isEqualTo("volumes");
        assertThat(info.image()).isEqualTo("volume-" + VOL);
        assertThat(info.monitors()).containsExactly(new Portal("10.0.0.11", 6789), new Portal("10.0.0.12", 6789),
                new Portal("10.0.0.13", 6789));
        assertThat(info.authEnabled()).isTrue();
        assertThat(info.authUsername()).isEqualTo("cinder");
        assertThat(info.secretUuid()).isEqualTo(UUID.fromString("457eb676-33da-42ec-9a8c-9293d545c337"));
        assertThat(info.keyringKey()).isNull();
        assertThat(info.options().discard()).isTrue();
        assertThat(info.clusterName()).isEqualTo("ceph");
    }

    @Test
    void theFlatShapeOfV3AttachmentsIsTheSame() {
        JsonNode nested = json(NESTED);
        com.fasterxml.jackson.databind.node.ObjectNode flat = (com.fasterxml.jackson.databind.node.ObjectNode) nested.get("data").deepCopy();
        flat.put("driver_volume_type", "rbd");
        assertThat(parser.parse(flat)).isEqualTo(parser.parse(nested));
    }

    @Test
    void portsMayBeNumbersAndIpv6HostsAreBare() {
        RbdConnectionInfo info = parse(data(", \"hosts\": [\"fd00::11\", \"[fd00::12]\", \"mon-3.example.org\"],"
                + " \"ports\": [6789, \"3300\", \"6789\"], \"auth_enabled\": false"));
        assertThat(info.monitors()).containsExactly(new Portal("fd00::11", 6789), new Portal("fd00::12", 3300),
                new Portal("mon-3.example.org", 6789));
        assertThat(info.authEnabled()).isFalse();
        assertThat(info.authUsername()).isNull();
    }

    @Test
    void noMonitorsMeansTheHostsCephConf() {
        assertThat(parse(data(", \"hosts\": [], \"ports\": [], \"auth_enabled\": false")).monitors()).isEmpty();
        assertThat(parse(data(", \"auth_enabled\": false")).monitors()).isEmpty();
    }

    @Test
    void aKeyringSentAlongGivesTheKeyOfItsUser() {
        String keyring = "[client.admin]\\n\\tkey = AQAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAA==\\n"
                + "[client.cinder]\\n\\tkey = " + KEY + "\\n\\tcaps mon = \\\"profile rbd\\\"\\n";
        RbdConnectionInfo info = parse(data(", \"auth_enabled\": true, \"auth_username\": \"cinder\", \"keyring\": \""
                + keyring + "\""));
        assertThat(info.keyringKey()).isEqualTo(KEY);
        assertThat(info.toString()).doesNotContain(KEY);
    }

    @Test
    void qosAndAccessModeAreReadAsForIscsi() {
        RbdConnectionInfo info = parse(data(", \"auth_enabled\": false, \"access_mode\": \"ro\","
                + " \"qos_specs\": {\"total_iops_sec\": \"300\"}"));
        assertThat(info.options().readOnly()).isTrue();
        assertThat(info.options().qos().limits()).containsEntry(QosKey.TOTAL_IOPS_SEC, 300L);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'\"name\": \"volumes\"'                                              | connection_info.data.name",
            "'\"name\": \"volumes/a/b\"'                                          | connection_info.data.name",
            "'\"name\": \"volumes/../x\"'                                         | connection_info.data.name",
            "'\"name\": \"volumes/.x\"'                                           | connection_info.data.name",
            "'\"name\": \"vol umes/x\"'                                           | connection_info.data.name",
            "'\"name\": \"v/x\", \"hosts\": [\"a\", \"b\"], \"ports\": [\"1\"]'   | connection_info.data.ports",
            "'\"name\": \"v/x\", \"hosts\": [\"a<b\"]'                            | connection_info.data.hosts[0]",
            "'\"name\": \"v/x\", \"hosts\": [\"a\"], \"ports\": [\"0\"]'          | connection_info.data.ports[0]",
            "'\"name\": \"v/x\", \"ports\": [\"6789\"]'                           | connection_info.data.ports",
            "'\"name\": \"v/x\", \"auth_enabled\": true'                          | connection_info.data.auth_username",
            "'\"name\": \"v/x\", \"auth_username\": \"a b\"'                      | connection_info.data.auth_username",
            "'\"name\": \"v/x\", \"secret_type\": \"iscsi\"'                      | connection_info.data.secret_type",
            "'\"name\": \"v/x\", \"auth_username\": \"c\", \"secret_uuid\": \"1\"' | connection_info.data.secret_uuid",
            "'\"name\": \"v/x\", \"auth_username\": \"c\", \"keyring\": \"[client.c]\"' | connection_info.data.keyring",
            "'\"name\": \"v/x\", \"auth_username\": \"c\", \"keyring\": \"key = !!\"'   | connection_info.data.keyring",
            "'\"name\": \"v/x\", \"auth_username\": \"c\", \"keyring\": \"key = QUJD\"' | connection_info.data.keyring",
            "'\"name\": \"v/x\", \"cluster_name\": \"../etc\"'                    | connection_info.data.cluster_name",
    })
    void badFieldsAreNamed(String fields, String field) {
        assertThatThrownBy(() -> parser.parse(json("{\"driver_volume_type\": \"rbd\", \"data\": {" + fields + "}}")))
                .isInstanceOfSatisfying(TetherException.class, e -> {
                    assertThat(e.code()).isIn(ErrorCode.INVALID_FIELD, ErrorCode.MISSING_FIELD);
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.getMessage()).doesNotContain("QUJD");
                });
    }

    @Test
    void encryptedIsKeptAsForIscsi() {
        assertThat(parse(data(", \"auth_enabled\": false, \"encrypted\": true")).options().encrypted()).isTrue();
    }
}
