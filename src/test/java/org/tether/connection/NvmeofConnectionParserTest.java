package org.tether.connection;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NvmeofConnectionParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NQN = "nqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private final ConnectionInfoParser parser = new ConnectionInfoParser(List.of(new NvmeofConnectionParser()));

    private ConnectionInfo parse(String json) throws Exception {
        return parser.parse(JSON.readTree(json));
    }

    @Test
    void versionTwoAsCindersNvmetTargetSendsIt() throws Exception {
        NvmeofConnectionInfo n = (NvmeofConnectionInfo) parse("""
                {"driver_volume_type": "nvmeof", "data": {"target_nqn": "%s",
                 "vol_uuid": "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2",
                 "portals": [["192.0.2.10", "4420", "tcp"], ["198.51.100.10", 4420, "TCP"]], "ns_id": 10,
                 "qos_specs": {"total_iops_sec": "500"}, "access_mode": "rw", "encrypted": false}}""".formatted(NQN));
        assertThat(n.targetNqn()).isEqualTo(NQN);
        assertThat(n.portals()).containsExactly(new Portal("192.0.2.10", 4420), new Portal("198.51.100.10", 4420));
        assertThat(n.nsUuid()).isEqualTo(UUID.fromString("8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"));
        assertThat(n.nsId()).isEqualTo(10L);
        assertThat(n.paths()).extracting(IscsiPath::iqn).containsOnly(NQN);
        assertThat(n.paths()).extracting(IscsiPath::lun).containsOnly(10);
    }

    @Test
    void versionOneWithItsOwnFieldNames() throws Exception {
        NvmeofConnectionInfo n = (NvmeofConnectionInfo) parse("""
                {"driver_volume_type": "nvmeof", "data": {"nqn": "%s", "target_portal": "192.0.2.10",
                 "target_port": 4420, "transport_type": "tcp", "ns_id": "10"}}""".formatted(NQN));
        assertThat(n.portals()).containsExactly(new Portal("192.0.2.10", 4420));
        assertThat(n.nsUuid()).isNull();
        assertThat(n.nsId()).isEqualTo(10L);
    }

    @Test
    void whatCannotBeConnectedHereIsRefusedByField() {
        assertRefused("{\"target_nqn\": \"%s\", \"vol_uuid\": \"8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2\", \"portals\": [[\"192.0.2.10\", \"4420\", \"rdma\"]]}".formatted(NQN),
                "connection_info.data.portals[0]", ErrorCode.UNSUPPORTED_DRIVER_VOLUME_TYPE);
        assertRefused("{\"target_nqn\": \"iqn.2010-10.org.openstack:volume-x\", \"ns_id\": 1, \"portals\": [[\"192.0.2.10\", \"4420\", \"tcp\"]]}",
                "connection_info.data.target_nqn", ErrorCode.INVALID_FIELD);
        assertRefused("{\"target_nqn\": \"nqn.2010-10.org.openstack/../../etc\", \"ns_id\": 1, \"portals\": [[\"192.0.2.10\", \"4420\", \"tcp\"]]}",
                "connection_info.data.target_nqn", ErrorCode.INVALID_FIELD);
        assertRefused("{\"target_nqn\": \"%s\", \"portals\": [[\"192.0.2.10\", \"4420\", \"tcp\"]]}".formatted(NQN),
                "connection_info.data.vol_uuid", ErrorCode.MISSING_FIELD);
        assertRefused("{\"target_nqn\": \"%s\", \"ns_id\": 0, \"portals\": [[\"192.0.2.10\", \"4420\", \"tcp\"]]}".formatted(NQN),
                "connection_info.data.ns_id", ErrorCode.INVALID_FIELD);
        assertRefused("{\"target_nqn\": \"%s\", \"ns_id\": 1, \"portals\": [[\"192.0.2.10\", \"99999\", \"tcp\"]]}".formatted(NQN),
                "connection_info.data.portals[0]", ErrorCode.INVALID_FIELD);
        assertRefused("{\"target_nqn\": \"%s\", \"ns_id\": 1, \"portals\": [\"192.0.2.10:4420\"]}".formatted(NQN),
                "connection_info.data.portals[0]", ErrorCode.INVALID_FIELD);
    }

    private void assertRefused(String data, String field, ErrorCode code) {
        assertThatThrownBy(() -> parse("{\"driver_volume_type\": \"nvmeof\", \"data\": " + data + "}"))
                .as(data).isInstanceOfSatisfying(TetherException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.field()).isEqualTo(field);
                });
    }

}
