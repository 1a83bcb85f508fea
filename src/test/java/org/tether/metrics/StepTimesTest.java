package org.tether.metrics;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Steps inside a timed operation are recorded per step, and only there. */
class StepTimesTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final OperationMetrics metrics = new OperationMetrics(registry);

    private Timer step(String op, String step) {
        return registry.find("tether." + op + ".step").tag("step", step).timer();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void stepsOfOneOperationAddUpUnderTheirNamesAndAreRecordedOnceWhenItEnds() {
        String out = metrics.time("attach", "kernel", () -> {
            StepTimes.step("journal", () -> sleep(5));
            StepTimes.step("connect", () -> sleep(20));
            StepTimes.step("journal", () -> sleep(5));
            return StepTimes.step("libvirt_plug", () -> "plugged");
        });
        assertThat(out).isEqualTo("plugged");
        Timer journal = step("attach", "journal");
        assertThat(journal.count()).as("two writes, one operation").isEqualTo(1);
        assertThat(journal.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(10);
        assertThat(step("attach", "connect").totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(20);
        assertThat(step("attach", "libvirt_plug").count()).isEqualTo(1);
        assertThat(journal.getId().getTag("kind")).isEqualTo("kernel");
    }

    @Test
    void aStepOutsideAnyOperationJustRunsAndRecordsNothing() {
        assertThat(StepTimes.step("journal", () -> 42)).isEqualTo(42);
        metrics.time("detach", "qemu", () -> "done");
        assertThat(registry.find("tether.detach.step").timers()).isEmpty();
        assertThat(registry.find("tether.attach.step").timers()).isEmpty();
    }

    @Test
    void aNestedOperationKeepsItsOwnStepsAndHandsBackToTheOuterOne() {
        metrics.time("boot", "kernel", () -> {
            StepTimes.step("define", () -> sleep(1));
            metrics.time("attach", "kernel", () -> {
                StepTimes.step("connect", () -> sleep(1));
                return null;
            });
            StepTimes.step("start", () -> sleep(1));
            return null;
        });
        assertThat(step("boot", "define")).isNotNull();
        assertThat(step("boot", "start")).as("recorded in the outer frame after the inner one closed").isNotNull();
        assertThat(step("boot", "connect")).isNull();
        assertThat(step("attach", "connect")).isNotNull();
        assertThat(step("attach", "start")).isNull();
        // and the thread is left with no frame: a later step records nothing
        StepTimes.step("stray", () -> sleep(1));
        assertThat(registry.find("tether.boot.step").tag("step", "stray").timer()).isNull();
    }

    @Test
    void aFailedOperationStillRecordsTheStepsItGotThrough() {
        assertThatThrownBy(() -> metrics.time("attach", "kernel", () -> {
            StepTimes.step("journal", () -> sleep(1));
            return StepTimes.step("connect", () -> {
                throw new TetherException(ErrorCode.NVME_CONNECT_FAILED, "refused");
            });
        })).isInstanceOf(TetherException.class);
        assertThat(step("attach", "journal").count()).isEqualTo(1);
        assertThat(step("attach", "connect").count()).isEqualTo(1);
        assertThat(registry.find("tether.attach").tag("result", "nvme_connect_failed").timer()).isNotNull();
    }
}
