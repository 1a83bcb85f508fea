package org.tether.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.error.TetherException;

import java.util.function.Supplier;

/**
 * Latency histograms of the agent's operations, tagged with what they acted on and how they ended
 * ({@code ok} or the problem code), so a dashboard shows both speed and failure mix per path.
 */
@ApplicationScoped
public class OperationMetrics {
    private final MeterRegistry registry;

    public OperationMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Runs {@code op} and records its duration as {@code tether.<name>} with tag {@code kind} (attach path,
     * target driver...) and {@code result}; the {@link StepTimes} inside it as {@code tether.<name>.step} with tags
     * {@code kind} and {@code step}.
     */
    public <T> T time(String name, String kind, Supplier<T> op) {
        long start = System.nanoTime();
        String[] result = {"ok"};
        StepTimes steps = StepTimes.open();
        try {
            return outcome(op, result);
        } finally {
            Timer.builder("tether." + name).description("Duration of " + name + " operations")
                    .tag("kind", kind).tag("result", result[0]).publishPercentileHistogram()
                    .register(registry).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            steps.close().forEach((step, nanos) -> Timer.builder("tether." + name + ".step")
                    .description("Time of one step inside " + name + " operations").tag("kind", kind).tag("step", step)
                    .register(registry).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS));
        }
    }

    /**
     * Runs {@code op} and records it as {@code tether.<name>} with {@code tags} (name, value, ...) and
     * {@code result}: a count and a total time per series, without a histogram (series per pool or store and
     * operation would multiply its buckets).
     */
    public <T> T record(String name, Supplier<T> op, String... tags) {
        long start = System.nanoTime();
        String[] result = {"ok"};
        try {
            return outcome(op, result);
        } finally {
            Timer.builder("tether." + name).tags(tags).tag("result", result[0]).register(registry)
                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /** Adds {@code amount} to the counter {@code tether.<name>} with {@code tags} (name, value, ...). */
    public void add(String name, double amount, String... tags) {
        registry.counter("tether." + name, tags).increment(amount);
    }

    /** {@code op}'s value; how it ended into {@code result[0]}: {@code ok}, the problem's code, or {@code internal}. */
    private static <T> T outcome(Supplier<T> op, String[] result) {
        try {
            return op.get();
        } catch (TetherException e) {
            result[0] = e.code().code();
            throw e;
        } catch (RuntimeException e) {
            result[0] = "internal";
            throw e;
        }
    }

    /** {@code tether_export_repairs_total{driver}}: exports found missing from the live target and put back. */
    public void exportRepaired(String driver) {
        registry.counter("tether.export.repairs", "driver", driver).increment();
    }
}
