package org.tether.concurrent;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class KeyedLocksTest {
    private final KeyedLocks locks = new KeyedLocks();

    @Test
    void differentKeysDoNotWaitOnEachOther() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        try (KeyedLocks.Held a = locks.lock("vol-a")) {
            Thread t = new Thread(() -> {
                try (KeyedLocks.Held b = locks.lock("vol-b")) {
                    done.countDown();
                }
            });
            t.start();
            assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void sameKeyIsExclusiveAndEntriesAreDroppedAfterUse() throws Exception {
        AtomicBoolean entered = new AtomicBoolean();
        Thread t;
        try (KeyedLocks.Held a = locks.lock("vol-a")) {
            t = new Thread(() -> {
                try (KeyedLocks.Held b = locks.lock("vol-a")) {
                    entered.set(true);
                }
            });
            t.start();
            // the second locker is parked on the lock (its state, not a sleep, says it got there)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.BLOCKED) {
                assertThat(System.nanoTime()).as("the second locker waits").isLessThan(deadline);
                Thread.onSpinWait();
            }
            assertThat(entered).isFalse();
        }
        t.join(5000);
        assertThat(entered).isTrue();
        assertThat(locks.size()).isZero();
    }
}
