package org.tether.compute.libvirt;

import org.junit.jupiter.api.Test;
import org.tether.concurrent.Deadline;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The decision logic of waiting on libvirt's device events; the real events are proven by the lab tests. */
class DeviceRemovalsTest {
    private final AtomicReference<DeviceEvents> subscribed = new AtomicReference<>();

    private DeviceRemovals removals() {
        return removals(Duration.ofMillis(1), Duration.ofMillis(5));
    }

    private DeviceRemovals removals(Duration firstPoll, Duration maxPoll) {
        Hypervisor h = (Hypervisor) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Hypervisor.class}, (proxy, method, args) -> {
                    if (method.getName().equals("onDeviceEvents")) {
                        subscribed.set((DeviceEvents) args[0]);
                        return (AutoCloseable) () -> subscribed.set(null);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return new DeviceRemovals(h, firstPoll, maxPoll);
    }

    @Test
    void theRemovedEventWakesTheWaiterThatWouldOtherwiseSleepPastItsDeadline() throws Exception {
        // polling every hour: only the event can end this wait before its deadline
        DeviceRemovals r = removals(Duration.ofHours(1), Duration.ofHours(1));
        AtomicBoolean gone = new AtomicBoolean();
        AtomicInteger probes = new AtomicInteger();
        java.util.concurrent.CountDownLatch probed = new java.util.concurrent.CountDownLatch(1);
        try (DeviceRemovals.Waiter w = r.expect("dom", "ua-1")) {
            CompletableFuture<DeviceRemovals.Outcome> outcome = CompletableFuture.supplyAsync(
                    () -> w.await(Deadline.in(Duration.ofSeconds(20)), () -> {
                        boolean answer = gone.get(); // read before this thread is let go, so the first is false
                        probes.incrementAndGet();
                        probed.countDown();
                        return answer;
                    }));
            assertThat(probed.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the first probe").isTrue();
            gone.set(true);
            subscribed.get().removed("dom", "ua-1");
            assertThat(outcome.get()).isEqualTo(DeviceRemovals.Outcome.REMOVED);
            assertThat(probes.get()).isEqualTo(2);
        }
        assertThat(r.eventsReceived()).isEqualTo(1);
    }

    @Test
    void aRefusalEndsTheWaitWithoutTheDiskGone() {
        DeviceRemovals r = removals();
        try (DeviceRemovals.Waiter w = r.expect("dom", "ua-1")) {
            subscribed.get().removalFailed("dom", "ua-1");
            assertThat(w.await(Deadline.in(Duration.ofSeconds(30)), () -> false))
                    .isEqualTo(DeviceRemovals.Outcome.REFUSED);
        }
    }

    @Test
    void eventsOfOtherDisksOrDomainsDoNotEndTheWaitAndPollingStillFindsTheDiskGone() {
        DeviceRemovals r = removals();
        AtomicInteger probes = new AtomicInteger();
        try (DeviceRemovals.Waiter w = r.expect("dom", "ua-1")) {
            subscribed.get().removed("dom", "ua-2");
            subscribed.get().removalFailed("other", "ua-1");
            assertThat(w.await(Deadline.in(Duration.ofSeconds(30)), () -> probes.incrementAndGet() >= 3))
                    .isEqualTo(DeviceRemovals.Outcome.REMOVED);
        }
    }

    @Test
    void theWaitEndsAtItsDeadline() {
        DeviceRemovals r = removals();
        try (DeviceRemovals.Waiter w = r.expect("dom", "ua-1")) {
            assertThat(w.await(Deadline.in(Duration.ofMillis(50)), () -> false))
                    .isEqualTo(DeviceRemovals.Outcome.WAITING);
        }
    }
}
