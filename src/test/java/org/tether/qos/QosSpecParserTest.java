package org.tether.qos;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QosSpecParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static QosSpec parse(String json) throws Exception {
        return QosSpecParser.parse(JSON.readTree(json), "qos_specs");
    }

    @Test
    void everyLibvirtKeyIsAcceptedWithStringValues() throws Exception {
        StringBuilder json = new StringBuilder("{");
        // read/write only (total excludes them), each with burst and burst length
        for (String unit : new String[] {"bytes", "iops"}) {
            for (String dir : new String[] {"read", "write"}) {
                String base = dir + "_" + unit + "_sec";
                json.append('"').append(base).append("\": \"100\", ")
                        .append('"').append(base).append("_max\": \"200\", ")
                        .append('"').append(base).append("_max_length\": \"3\", ");
            }
        }
        json.append("\"size_iops_sec\": \"4096\", \"group_name\": \"gold\"}");
        QosSpec spec = parse(json.toString());
        assertThat(spec.limits()).hasSize(13);
        assertThat(spec.get(QosKey.WRITE_IOPS_SEC_MAX_LENGTH)).isEqualTo(3L);
        assertThat(spec.groupName()).isEqualTo("gold");
        assertThat(spec.ignoredKeys()).isEmpty();
    }

    @Test
    void totalsWithBurstsAndNumbersAreAccepted() throws Exception {
        QosSpec spec = parse("{\"total_bytes_sec\": 1048576, \"total_bytes_sec_max\": \"2097152\","
                + " \"total_bytes_sec_max_length\": \"10\", \"total_iops_sec\": \"0\"}");
        assertThat(spec.limits()).containsOnlyKeys(QosKey.TOTAL_BYTES_SEC, QosKey.TOTAL_BYTES_SEC_MAX,
                QosKey.TOTAL_BYTES_SEC_MAX_LENGTH);
    }

    @Test
    void keysThatAreNotQosKeysAreReportedNotDropped() throws Exception {
        QosSpec spec = parse("{\"consumer\": \"front-end\", \"minIOPS\": \"10\", \"total_iops_sec\": \"5\"}");
        assertThat(spec.ignoredKeys()).containsExactly("consumer", "minIOPS");
    }

    @Test
    void nullMeansNoQos() {
        assertThat(QosSpecParser.parse(null, "q")).isSameAs(QosSpec.NONE);
        assertThat(QosSpecParser.parse(JSON.nullNode(), "q")).isSameAs(QosSpec.NONE);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"total_iops_sec\": \"-1\"}                                         | qos_specs.total_iops_sec",
            "{\"total_iops_sec\": \"1.5\"}                                        | qos_specs.total_iops_sec",
            "{\"total_iops_sec\": \"ten\"}                                        | qos_specs.total_iops_sec",
            "{\"total_iops_sec\": true}                                           | qos_specs.total_iops_sec",
            "{\"total_iops_sec\": \"1000000000000001\"}                           | qos_specs.total_iops_sec",
            "{\"total_iops_sec\": \"1\", \"read_iops_sec\": \"1\"}                | qos_specs.total_iops_sec",
            "{\"total_bytes_sec\": \"1\", \"write_bytes_sec\": \"1\"}             | qos_specs.total_bytes_sec",
            "{\"total_iops_sec_max\": \"9\", \"read_iops_sec\": \"1\", \"read_iops_sec_max\": \"2\"} | qos_specs.total_iops_sec_max",
            "{\"read_iops_sec_max\": \"100\"}                                     | qos_specs.read_iops_sec_max",
            "{\"read_iops_sec\": \"100\", \"read_iops_sec_max\": \"99\"}          | qos_specs.read_iops_sec_max",
            "{\"read_iops_sec\": \"100\", \"read_iops_sec_max_length\": \"5\"}    | qos_specs.read_iops_sec_max_length",
            "{\"group_name\": \"a b\"}                                            | qos_specs.group_name",
            "{\"group_name\": 5}                                                  | qos_specs.group_name",
            "[1, 2]                                                               | qos_specs"})
    void contradictoryOrMalformedSpecsAreRefused(String json, String field) {
        assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(TetherException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_QOS);
            assertThat(e.field()).isEqualTo(field);
        });
    }
}
