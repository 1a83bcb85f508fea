package org.tether.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where the time of one operation goes: the steps that run inside an {@link OperationMetrics#time} on the same
 * thread (journal writes, libvirt calls, the host connect and its waits) add their durations under a name, and
 * the operation records each as {@code tether_<operation>_step_seconds{step}} when it ends. A step outside any
 * timed operation just runs. A step nested in another carries a dotted name ({@code connect.login}) and is part
 * of its parent's time, not added to it.
 */
public final class StepTimes {
    private static final ThreadLocal<StepTimes> CURRENT = new ThreadLocal<>();

    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private final StepTimes outer;

    private StepTimes(StepTimes outer) {
        this.outer = outer;
    }

    /** Opens the frame of an operation on this thread; {@link #close} hands back to the one it interrupted. */
    static StepTimes open() {
        StepTimes frame = new StepTimes(CURRENT.get());
        CURRENT.set(frame);
        return frame;
    }

    /** Ends the frame and returns each step's total in nanoseconds, in the order first seen. */
    Map<String, Long> close() {
        if (outer == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(outer);
        }
        return nanos;
    }

    public static <T> T step(String name, Supplier<T> op) {
        StepTimes frame = CURRENT.get();
        if (frame == null) {
            return op.get();
        }
        long start = System.nanoTime();
        try {
            return op.get();
        } finally {
            frame.nanos.merge(name, System.nanoTime() - start, Long::sum);
        }
    }

    public static void step(String name, Runnable op) {
        step(name, () -> {
            op.run();
            return null;
        });
    }
}
