package org.tether.concurrent;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per key (a volume, a target, a domain), created on demand and dropped when nobody holds or waits
 * for it. Operations on different keys never wait on each other: there is no host-wide lock.
 */
public final class KeyedLocks {
    private final ConcurrentHashMap<String, Entry> locks = new ConcurrentHashMap<>();

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }

    /** A held lock; close it to release. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    public Held lock(String key) {
        Entry e = enter(key);
        e.lock.lock();
        return () -> {
            e.lock.unlock();
            leave(key);
        };
    }

    /** The lock if nobody holds it now; empty (without waiting) when somebody does. */
    public java.util.Optional<Held> tryLock(String key) {
        Entry e = enter(key);
        if (!e.lock.tryLock()) {
            leave(key);
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(() -> {
            e.lock.unlock();
            leave(key);
        });
    }

    private Entry enter(String key) {
        return locks.compute(key, (k, v) -> {
            Entry entry = v == null ? new Entry() : v;
            entry.users++;
            return entry;
        });
    }

    private void leave(String key) {
        locks.compute(key, (k, v) -> {
            if (v == null) {
                return null;
            }
            v.users--;
            return v.users == 0 ? null : v;
        });
    }

    /** Keys currently held or waited for; for tests and diagnostics. */
    public int size() {
        return locks.size();
    }
}
