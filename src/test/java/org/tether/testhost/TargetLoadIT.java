package org.tether.testhost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Benchmark, not a test of speed: exports under concurrency on LIO and on tgt in the same test-host VM, one
 * after the other (16 clients, each looping export + unexport of an LVM thin volume of its own for 45 s), printing
 * each driver's latencies. What it checks is what must hold under load: no error, nothing left in the agent or
 * the target. Run by {@code bash lab/bench-testhost.sh}; left out of {@code lab/test.sh} (tag benchmark).
 */
@org.junit.jupiter.api.parallel.ResourceLock(TestHostVm.LOCK)
@Tag("benchmark")
class TargetLoadIT {

    @Test
    void printsExportsUnderLoadOnLioAndOnTgt() throws Exception {
        try (TestHostVm vm = TestHostVm.boot()) {
            for (String driver : new String[] {"lio", "tgt"}) {
                String report = vm.probe("what=targetload&driver=" + driver);
                System.out.println("exports under load, " + driver + " (test-host VM, TCG):\n" + report);
                JsonNode r = new ObjectMapper().readTree(report.substring(report.indexOf('{')));
                assertThat(r.get("cycles").asInt()).as(report).isPositive();
                assertThat(r.get("errors").asInt()).as(report).isZero();
                assertThat(r.get("volumes_left").asInt()).as(report).isZero();
                assertThat(r.get("targets_left").asInt()).as(report).isZero();
            }
        }
    }
}
