package org.tether.concurrent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one shape of a retry in Tether: how many attempts, the backoff between them (exponential from
 * {@code first}, capped at {@code max}, with jitter: a wait is half to all of its step, so callers that failed
 * together do not retry together), and which outcomes are tried again. Used by the iscsiadm, lvm and OpenStack
 * calls.
 *
 * @param attempts how many times in all (1: no retry)
 */
public record Retry(int attempts, Duration first, Duration max, boolean jitter) {
    public Retry {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, not " + attempts);
        }
    }

    /** Waits; tests pass one that does not. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    public static final Sleeper THREAD_SLEEP = d -> Thread.sleep(d.toMillis());

    /** The wait after failed attempt {@code attempt} (1-based). */
    public Duration delay(int attempt) {
        return delay(attempt, ThreadLocalRandom.current());
    }

    /** The same, the jitter drawn from {@code random} (tests pass a seeded one). */
    public Duration delay(int attempt, java.util.random.RandomGenerator random) {
        long base = Math.min(max.toMillis(), first.toMillis() << Math.min(20, attempt - 1));
        if (!jitter || base <= 1) {
            return Duration.ofMillis(base);
        }
        return Duration.ofMillis(base / 2 + random.nextLong(base / 2 + 1));
    }

    /**
     * Runs {@code call} until its outcome is not one {@code again} retries, or the attempts are spent; the last
     * outcome is returned either way (the caller says what a final failure means).
     */
    public <T> T run(Supplier<T> call, Predicate<T> again, Sleeper sleeper) {
        T outcome = call.get();
        for (int attempt = 1; attempt < attempts && again.test(outcome); attempt++) {
            try {
                sleeper.sleep(delay(attempt));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return outcome;
            }
            outcome = call.get();
        }
        return outcome;
    }
}
