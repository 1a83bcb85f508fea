package org.tether.compute.libvirt;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.concurrent.Deadline;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Waits for a disk to leave a running domain the way libvirt tells it: the device-removed event (or
 * removal-failed, when the guest refused) wakes the waiter at once. Polling the domain's XML stays as the
 * fallback, slower than before, so a lost event or a libvirt without events costs latency, never
 * correctness; every wait is bounded by its deadline.
 */
@ApplicationScoped
public class DeviceRemovals implements DeviceEvents {
    private static final Logger LOG = Logger.getLogger(DeviceRemovals.class);
    static final Duration FIRST_POLL = Duration.ofMillis(10);
    static final Duration MAX_POLL = Duration.ofMillis(100);

    private final Hypervisor hypervisor;
    private final Map<String, Waiter> waiters = new ConcurrentHashMap<>();
    private volatile AutoCloseable subscription;
    private final java.util.concurrent.atomic.AtomicLong events = new java.util.concurrent.atomic.AtomicLong();

    private final Duration firstPoll;
    private final Duration maxPoll;

    @Inject
    public DeviceRemovals(Hypervisor hypervisor) {
        this(hypervisor, FIRST_POLL, MAX_POLL);
    }

    DeviceRemovals(Hypervisor hypervisor, Duration firstPoll, Duration maxPoll) {
        this.hypervisor = hypervisor;
        this.firstPoll = firstPoll;
        this.maxPoll = maxPoll;
    }

    /** How the wait for one unplug request ended. */
    public enum Outcome { REMOVED, REFUSED, WAITING }

    /** Expect an unplug of {@code alias} from {@code domain}; register before asking libvirt. */
    public Waiter expect(String domain, String alias) {
        subscribe();
        Waiter w = new Waiter(key(domain, alias));
        waiters.put(w.key, w);
        return w;
    }

    private void subscribe() {
        if (subscription == null) {
            synchronized (this) {
                if (subscription == null) {
                    try {
                        subscription = hypervisor.onDeviceEvents(this);
                    } catch (RuntimeException e) {
                        LOG.warnf("no libvirt device events (%s); detach polls", e.getMessage());
                        subscription = () -> { };
                    }
                }
            }
        }
    }

    @Override
    public void removed(String domain, String alias) {
        signal(domain, alias, Outcome.REMOVED);
    }

    @Override
    public void removalFailed(String domain, String alias) {
        signal(domain, alias, Outcome.REFUSED);
    }

    /** Device events libvirt delivered since start (for tests and metrics). */
    public long eventsReceived() {
        return events.get();
    }

    private void signal(String domain, String alias, Outcome outcome) {
        events.incrementAndGet();
        LOG.debugf("libvirt: device %s of %s %s", alias, domain, outcome == Outcome.REMOVED ? "removed" : "refused");
        Waiter w = waiters.get(key(domain, alias));
        if (w != null) {
            w.signal(outcome);
        }
    }

    private static String key(String domain, String alias) {
        return domain + "\u0000" + alias;
    }

    @PreDestroy
    void close() throws Exception {
        if (subscription != null) {
            subscription.close();
        }
    }

    /** One pending unplug. */
    public final class Waiter implements AutoCloseable {
        private final String key;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private Outcome event = Outcome.WAITING;

        private Waiter(String key) {
            this.key = key;
        }

        void signal(Outcome outcome) {
            lock.lock();
            try {
                event = outcome;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /**
         * Waits until the disk is gone ({@code gone} confirms it against libvirt), the guest refused, or
         * the deadline passed. An event wakes it at once; otherwise {@code gone} is polled with backoff.
         */
        public Outcome await(Deadline deadline, BooleanSupplier gone) {
            long sleep = firstPoll.toNanos();
            while (true) {
                Outcome seen = take();
                if (seen == Outcome.REFUSED) {
                    return seen;
                }
                if (gone.getAsBoolean()) {
                    return Outcome.REMOVED;
                }
                long left = deadline.remaining().toNanos();
                if (left <= 0) {
                    return Outcome.WAITING;
                }
                lock.lock();
                try {
                    if (event == Outcome.WAITING) {
                        changed.await(Math.min(sleep, left), TimeUnit.NANOSECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Outcome.WAITING;
                } finally {
                    lock.unlock();
                }
                sleep = Math.min(sleep * 2, maxPoll.toNanos());
            }
        }

        private Outcome take() {
            lock.lock();
            try {
                Outcome seen = event;
                event = Outcome.WAITING;
                return seen;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            waiters.remove(key, this);
        }
    }
}
