package org.tether.compute.reconcile;

import org.tether.disk.Drift;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one reconciliation pass found.
 *
 * @param drift           per attachment key (volume@domain): its differences, repaired or not
 * @param unownedSessions iSCSI sessions on this host that no attachment needs ("portal iqn")
 * @param unownedDisks    disks with a volume alias in a domain that Tether holds no attachment for
 * @param errors          what could not be checked, and why
 */
public record ReconcileReport(Instant at, long durationMs, int attachmentsChecked, int sessions,
                              Map<String, List<Drift>> drift, List<String> unownedSessions,
                              List<String> unownedDisks, List<String> errors) {

    public ReconcileReport {
        drift = Map.copyOf(drift);
        unownedSessions = List.copyOf(unownedSessions);
        unownedDisks = List.copyOf(unownedDisks);
        errors = List.copyOf(errors);
    }

    /** Differences still standing after the pass (repaired ones do not count). */
    public long openDrift() {
        return drift.values().stream().flatMap(List::stream).filter(d -> !d.repaired()).count()
                + unownedSessions.size() + unownedDisks.size();
    }
}
