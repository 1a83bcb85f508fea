package org.tether.storage.target;

import java.util.HashSet;
import java.util.Set;

/**
 * tgtd target ids being created right now. Exports for different volumes run side by side; each picks the
 * lowest id that tgtd's listing shows free and no other export is creating, so two never ask for the same
 * one from the same listing. A listing already stale (an id taken since) makes tgtd refuse, and the caller
 * chooses again from a fresh listing.
 */
final class TidReservations {
    private final Set<Integer> creating = new HashSet<>();

    synchronized int reserve(TgtTargets listed) {
        Set<Integer> used = listed.tids();
        int tid = 1;
        while (used.contains(tid) || creating.contains(tid)) {
            tid++;
        }
        creating.add(tid);
        return tid;
    }

    synchronized void release(int tid) {
        creating.remove(tid);
    }
}
