package org.tether.concurrent;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryTest {
    @Test
    void retriesOnlyWhatItIsToldToAndStopsAtTheAttempts() {
        List<Duration> waits = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        Retry r = new Retry(4, Duration.ofMillis(50), Duration.ofMillis(400), false);
        assertThat(r.run(calls::incrementAndGet, n -> n < 3, waits::add)).isEqualTo(3);
        assertThat(waits).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100));
        calls.set(0);
        waits.clear();
        assertThat(r.run(calls::incrementAndGet, n -> true, waits::add)).as("the last outcome, after 4 tries")
                .isEqualTo(4);
        assertThat(waits).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void theBackoffDoublesToItsCapAndJitterKeepsEachWaitBetweenHalfAndAllOfItsStep() {
        Retry plain = new Retry(10, Duration.ofMillis(100), Duration.ofMillis(1000), false);
        assertThat(List.of(plain.delay(1), plain.delay(2), plain.delay(4), plain.delay(5), plain.delay(9)))
                .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(800),
                        Duration.ofMillis(1000), Duration.ofMillis(1000));
        Retry jittered = new Retry(10, Duration.ofMillis(100), Duration.ofMillis(1000), true);
        SplittableRandom random = new SplittableRandom(42);
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            long step = plain.delay(3).toMillis();
            long d = jittered.delay(3, random).toMillis();
            assertThat(d).isBetween(step / 2, step);
            seen.add(d);
        }
        assertThat(seen).as("callers that failed together do not all wait the same").hasSizeGreaterThan(50);
    }

    @Test
    void noRetryIsOneAttemptAndZeroAttemptsIsRefused() {
        AtomicInteger calls = new AtomicInteger();
        assertThat(new Retry(1, Duration.ofMillis(1), Duration.ofMillis(1), true).run(calls::incrementAndGet,
                n -> true, d -> { })).isEqualTo(1);
        assertThatThrownBy(() -> new Retry(0, Duration.ZERO, Duration.ZERO, false))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
