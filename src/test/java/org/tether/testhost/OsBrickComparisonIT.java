package org.tether.testhost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Benchmark, not a test of speed: times os-brick's connect/disconnect against Tether's kernel path on the
 * same LIO targets in the test-host VM, and the bare open-iscsi + udev sequence (the floor any connector
 * has), and prints all three. Run by {@code bash lab/bench-testhost.sh}; left out
 * of {@code lab/test.sh} (tag benchmark) because it only measures.
 */
@org.junit.jupiter.api.parallel.ResourceLock(TestHostVm.LOCK)
@Tag("benchmark")
class OsBrickComparisonIT {

    @Test
    void printsOsBrickAndTetherSideBySide() throws Exception {
        try (TestHostVm vm = TestHostVm.boot()) {
            String report = vm.probe("what=osbrick");
            System.out.println("os-brick vs Tether (test-host VM, TCG):\n" + report);
            JsonNode r = new ObjectMapper().readTree(report.substring(report.indexOf('{')));
            assertThat(r.get("os_brick").get("p50_ms").asDouble()).isPositive();
            assertThat(r.get("tether").get("p50_ms").asDouble()).isPositive();
            assertThat(r.get("floor").get("p50_ms").asDouble()).isPositive();
        }
    }
}
