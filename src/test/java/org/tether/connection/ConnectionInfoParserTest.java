package org.tether.connection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tether.connection.ConnectionInfo.AccessMode;
import org.tether.qos.QosKey;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConnectionInfoParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private static final String IQN = "iqn.2010-10.org.openstack:volume-" + VOL;

    private final ConnectionInfoParser parser = new ConnectionInfoParser(List.of(new IscsiConnectionParser()));

    /** The LVM+LIO example from cinder-formats.md, verbatim. */
    private static final String NESTED = """
            {"driver_volume_type": "iscsi", "data": {"target_discovered": false,
             "target_portal": "10.0.0.1:3260", "target_iqn": "%s",
             "target_lun": 0, "volume_id": "%s", "auth_method": "CHAP",
             "auth_username": "nE9PY8juynmmZ95F7Xb7", "auth_password": "YZ2Hceyh7VySh5HY",
             "encrypted": false, "qos_specs": null, "access_mode": "rw"}}""".formatted(IQN, VOL);

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private IscsiConnectionInfo parse(String s) {
        return (IscsiConnectionInfo) parser.parse(json(s));
    }

    @Test
    void parsesCindersNestedLioExample() {
        IscsiConnectionInfo info = parse(NESTED);
        assertThat(info.volumeId()).isEqualTo(UUID.fromString(VOL));
        assertThat(info.paths()).containsExactly(new IscsiPath(new Portal("10.0.0.1", 3260), IQN, 0));
        assertThat(info.sessionChap().username()).isEqualTo("nE9PY8juynmmZ95F7Xb7");
        assertThat(info.sessionChap().password()).isEqualTo("YZ2Hceyh7VySh5HY");
        assertThat(info.discoveryChap()).isNull();
        assertThat(info.options().accessMode()).isEqualTo(AccessMode.RW);
        assertThat(info.options().qos().isEmpty()).isTrue();
    }

    @Test
    void flatShapeOfV3AttachmentsGivesTheSameResult() {
        String flat = """
                {"driver_volume_type": "iscsi", "attachment_id": "5c0b7a4e-5b1a-4b8e-9a55-3d3b2d0c4f11",
                 "target_discovered": false, "target_portal": "10.0.0.1:3260", "target_iqn": "%s",
                 "target_lun": 0, "volume_id": "%s", "auth_method": "CHAP",
                 "auth_username": "nE9PY8juynmmZ95F7Xb7", "auth_password": "YZ2Hceyh7VySh5HY",
                 "encrypted": false, "qos_specs": null, "access_mode": "rw"}""".formatted(IQN, VOL);
        assertThat(parse(flat)).isEqualTo(parse(NESTED));
    }

    @Test
    void pluralKeysBecomeOnePathPerPortal() {
        IscsiConnectionInfo info = parse("""
                {"driver_volume_type": "iscsi", "data": {
                 "target_portal": "10.0.0.1:3260", "target_iqn": "%1$s", "target_lun": 1,
                 "target_portals": ["10.0.0.1:3260", "[2001:db8::5]:3261"],
                 "target_iqns": ["%1$s", "%1$s"], "target_luns": [1, 1]}}""".formatted(IQN));
        assertThat(info.paths()).containsExactly(
                new IscsiPath(new Portal("10.0.0.1", 3260), IQN, 1),
                new IscsiPath(new Portal("2001:db8::5", 3261), IQN, 1));
        assertThat(info.paths().get(1).portal().hostPort()).isEqualTo("[2001:db8::5]:3261");
    }

    @Test
    void pluralPortalsWithoutPluralIqnsReuseTheSingularOnes() {
        IscsiConnectionInfo info = parse("""
                {"driver_volume_type": "iscsi", "data": {"target_iqn": "%s", "target_lun": "2",
                 "target_portals": ["10.0.0.1:3260", "10.0.0.2"]}}""".formatted(IQN));
        assertThat(info.paths()).extracting(p -> p.portal().hostPort())
                .containsExactly("10.0.0.1:3260", "10.0.0.2:3260");
        assertThat(info.paths()).allMatch(p -> p.lun() == 2 && p.iqn().equals(IQN));
    }

    @Test
    void readsOptionsQosAndBlockSizes() {
        IscsiConnectionInfo info = parse("""
                {"driver_volume_type": "iscsi", "data": {"target_portal": "10.0.0.1:3260",
                 "target_iqn": "%s", "target_lun": 0, "access_mode": "ro", "discard": true,
                 "logical_block_size": "512", "physical_block_size": "4096", "cacheable": false,
                 "qos_specs": {"total_iops_sec": "500", "consumer": "front-end"},
                 "addressing_mode": "SAM3-flat"}}""".formatted(IQN));
        assertThat(info.options().readOnly()).isTrue();
        assertThat(info.options().discard()).isTrue();
        assertThat(info.options().blockSizes()).isEqualTo(new ConnectionInfo.BlockSizes(512, 4096));
        assertThat(info.options().qos().get(QosKey.TOTAL_IOPS_SEC)).isEqualTo(500L);
        assertThat(info.options().qos().ignoredKeys()).containsExactly("consumer");
        assertThat(info.addressingMode()).isEqualTo(IscsiConnectionInfo.AddressingMode.SAM3_FLAT);
    }

    @Test
    void unsupportedTypeNamesTheSupportedOnes() {
        assertThatThrownBy(() -> parser.parse(json("{\"driver_volume_type\": \"nfs\", \"data\": {}}")))
                .isInstanceOfSatisfying(TetherException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_DRIVER_VOLUME_TYPE);
                    assertThat(e.field()).isEqualTo("connection_info.driver_volume_type");
                    assertThat(e.getMessage()).contains("iscsi");
                });
    }

    @Test
    void chapNamesOperatorsUseAreAccepted() {
        for (String name : new String[]{"nE9PY8juynmmZ95F7Xb7", "iqn.1993-08.org.debian:01:abc", "svc_tether@site-1"}) {
            assertThat(parse(NESTED.replace("\"auth_username\": \"", "\"auth_username\": \"" + name + "x")))
                    .isNotNull();
        }
    }

    @Test
    void chapCredentialsNeverShowInToString() {
        assertThat(parse(NESTED).toString()).doesNotContain("YZ2Hceyh7VySh5HY");
    }

    /** Each row: a change to the valid nested example (key=JSON value, or key=- to remove), the field blamed. */
    @ParameterizedTest(name = "{0}={1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "auth_username  | \"<user>\"                          | connection_info.data.auth_username",
            "auth_username  | \"user;reboot\"                     | connection_info.data.auth_username",
            "auth_username  | \"a'b\"                             | connection_info.data.auth_username",
            "target_iqn     | \"iqn.2010-13.org.x:y\"             | connection_info.data.target_iqn",
            "target_iqn     | \"IQN.2010-10.org.x:y\"             | connection_info.data.target_iqn",
            "target_iqn     | \"iqn.2010-10.org.x:y;rm -rf /\"    | connection_info.data.target_iqn",
            "target_iqn     | \"eui.12345\"                       | connection_info.data.target_iqn",
            "target_iqn     | 42                                  | connection_info.data.target_iqn",
            "target_iqn     | -                                   | connection_info.data.target_iqn",
            "target_portal  | \"10.0.0.1:99999\"                  | connection_info.data.target_portal",
            "target_portal  | \"10.0.0.300:3260\"                 | connection_info.data.target_portal",
            "target_portal  | \"fe80::1:3260\"                    | connection_info.data.target_portal",
            "target_portal  | \"[fe80::zz]:3260\"                 | connection_info.data.target_portal",
            "target_portal  | \"host name:3260\"                  | connection_info.data.target_portal",
            "target_portal  | \"10.0.0.1:3260\\n\"                | connection_info.data.target_portal",
            "target_portal  | -                                   | connection_info.data.target_portal",
            "target_lun     | -1                                  | connection_info.data.target_lun",
            "target_lun     | 16384                               | connection_info.data.target_lun",
            "target_lun     | \"one\"                             | connection_info.data.target_lun",
            "target_lun     | 1.5                                 | connection_info.data.target_lun",
            "target_lun     | -                                   | connection_info.data.target_lun",
            "volume_id      | \"not-a-uuid\"                      | connection_info.data.volume_id",
            "auth_method    | \"PAP\"                             | connection_info.data.auth_method",
            "auth_method    | -                                   | connection_info.data.auth_method",
            "auth_password  | -                                   | connection_info.data.auth_password",
            "auth_username  | \"\"                                | connection_info.data.auth_username",
            "auth_password  | \"has space\"                       | connection_info.data.auth_password",
            "auth_username_in | \"target\"                        | connection_info.data.auth_password_in",
            "discovery_auth_username | \"u\"                      | connection_info.data.discovery_auth_method",
            "access_mode    | \"rwx\"                             | connection_info.data.access_mode",
            "discard        | \"yes\"                             | connection_info.data.discard",
            "logical_block_size | \"1000\"                        | connection_info.data.logical_block_size",
            "physical_block_size | 256                           | connection_info.data.physical_block_size",
            "addressing_mode | \"SAM4\"                           | connection_info.data.addressing_mode",
            "target_portals | []                                  | connection_info.data.target_portals",
            "target_portals | \"10.0.0.1:3260\"                   | connection_info.data.target_portals",
            "qos_specs      | {\"total_iops_sec\": \"-5\"}        | connection_info.data.qos_specs.total_iops_sec",
    })
    void refusesBadFieldsNamingTheField(String key, String value, String field) {
        var data = (com.fasterxml.jackson.databind.node.ObjectNode) json(NESTED).get("data");
        if (value.equals("-")) {
            data.remove(key);
        } else {
            data.set(key, json(value));
        }
        JsonNode info = JSON.createObjectNode().put("driver_volume_type", "iscsi").set("data", data);
        assertThatThrownBy(() -> parser.parse(info))
                .isInstanceOfSatisfying(TetherException.class, e -> {
                    assertThat(e.code().status()).isEqualTo(400);
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.getMessage()).doesNotContain("YZ2Hceyh7VySh5HY");
                });
    }

    @Test
    void pluralListsOfDifferentLengthsAreRefused() {
        assertThatThrownBy(() -> parse("""
                {"driver_volume_type": "iscsi", "data": {"target_iqns": ["%1$s"], "target_luns": [0, 0],
                 "target_portals": ["10.0.0.1:3260", "10.0.0.2:3260"]}}""".formatted(IQN)))
                .isInstanceOfSatisfying(TetherException.class,
                        e -> assertThat(e.field()).isEqualTo("connection_info.data.target_iqns"));
    }

    @Test
    void theEncryptedFlagIsKeptForTheAttachToOpenTheVolume() {
        assertThat(parse(NESTED.replace("\"encrypted\": false", "\"encrypted\": true")).options().encrypted())
                .isTrue();
        assertThat(parse(NESTED).options().encrypted()).isFalse();
    }

    @Test
    void shapeErrorsNameTheTopLevelField() {
        assertThatThrownBy(() -> parser.parse(json("[]"))).hasMessageContaining("must be an object");
        assertThatThrownBy(() -> parser.parse(json("{\"data\": {}}")))
                .isInstanceOfSatisfying(TetherException.class,
                        e -> assertThat(e.field()).isEqualTo("connection_info.driver_volume_type"));
        assertThatThrownBy(() -> parser.parse(json("{\"driver_volume_type\": \"iscsi\", \"data\": 3}")))
                .isInstanceOfSatisfying(TetherException.class,
                        e -> assertThat(e.field()).isEqualTo("connection_info.data"));
    }

    @Test
    void mutualChapIsReadWhenBothHalvesAreGiven() {
        IscsiConnectionInfo info = parse(NESTED.replace("\"encrypted\"",
                "\"auth_username_in\": \"tgtuser\", \"auth_password_in\": \"tgtsecret1234\", \"encrypted\""));
        assertThat(info.sessionChap().mutual()).isTrue();
        assertThat(info.sessionChap().passwordIn()).isEqualTo("tgtsecret1234");
    }

    @Test
    void discoveryChapIsSeparateFromSessionChap() {
        IscsiConnectionInfo info = parse(NESTED.replace("\"encrypted\"",
                "\"discovery_auth_method\": \"CHAP\", \"discovery_auth_username\": \"d\","
                        + " \"discovery_auth_password\": \"dpass\", \"encrypted\""));
        assertThat(info.discoveryChap().username()).isEqualTo("d");
        assertThat(info.sessionChap().username()).isEqualTo("nE9PY8juynmmZ95F7Xb7");
    }
}
