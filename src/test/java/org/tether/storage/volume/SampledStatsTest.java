package org.tether.storage.volume;

import org.junit.jupiter.api.Test;
import org.tether.storage.volume.VolumeBackend.PoolStats;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SampledStatsTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final AtomicInteger reads = new AtomicInteger();
    private volatile RuntimeException failure;

    private PoolStats read() {
        if (failure != null) {
            throw failure;
        }
        int n = reads.incrementAndGet();
        return new PoolStats("rbd", 100L * n, 50L * n, null, null);
    }

    private final SampledStats stats = new SampledStats(this::read, Duration.ofSeconds(15), now::get);

    @Test
    void admissionsWithinTheAgeShareOneReading() {
        PoolStats first = stats.recent();
        now.addAndGet(Duration.ofSeconds(14).toNanos());
        assertThat(stats.recent()).isSameAs(first);
        assertThat(reads).hasValue(1);

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(stats.recent().totalBytes()).isEqualTo(200);
        assertThat(reads).hasValue(2);
    }

    @Test
    void aFreshReadingAlwaysAsksAndServesTheNextAdmission() {
        stats.recent();
        PoolStats fresh = stats.fresh();
        assertThat(reads).hasValue(2);
        assertThat(stats.recent()).isSameAs(fresh);
        assertThat(reads).hasValue(2);
    }

    @Test
    void aFailedReadingIsNotKeptAndTheStaleOneIsNotServedPastItsAge() {
        stats.recent();
        now.addAndGet(Duration.ofSeconds(20).toNanos());
        failure = new IllegalStateException("ceph df failed");
        assertThatThrownBy(stats::recent).isSameAs(failure);
        failure = null;
        assertThat(stats.recent().totalBytes()).isEqualTo(200);
    }

    @Test
    void zeroAgeReadsEveryTime() {
        SampledStats always = new SampledStats(this::read, Duration.ZERO, now::get);
        always.recent();
        always.recent();
        assertThat(reads).hasValue(2);
    }
}
