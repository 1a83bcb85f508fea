package org.tether.concurrent;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Polls a condition until it yields a value or the deadline passes. Never an unbounded wait. */
public final class Deadline {
    private final long endNanos;

    private Deadline(Duration timeout) {
        this.endNanos = System.nanoTime() + timeout.toNanos();
    }

    public static Deadline in(Duration timeout) {
        return new Deadline(timeout);
    }

    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
    }

    public boolean expired() {
        return System.nanoTime() - endNanos >= 0;
    }

    /**
     * Calls {@code probe} until it returns a value; sleeps between calls starting at {@code first} and
     * doubling up to {@code max}. Returns empty when the deadline passed first.
     */
    public <T> Optional<T> poll(Supplier<Optional<T>> probe, Duration first, Duration max) {
        long sleep = first.toNanos();
        while (true) {
            Optional<T> v = probe.get();
            if (v.isPresent()) {
                return v;
            }
            long left = endNanos - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            try {
                Thread.sleep(Math.max(1, Math.min(sleep, left) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            sleep = Math.min(sleep * 2, max.toNanos());
        }
    }
}
