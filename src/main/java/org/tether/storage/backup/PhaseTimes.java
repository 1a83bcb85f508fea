package org.tether.storage.backup;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one backup's time went, phase by phase, for its log line: an operator (and a benchmark) sees whether the
 * store, the snapshot, the read or the upload took it. Not thread-safe: one per backup, marked by its thread.
 */
final class PhaseTimes {
    private final long started = System.nanoTime();
    private long last = started;
    private final List<String> phases = new ArrayList<>();

    /** The phase that ends now. */
    void mark(String phase) {
        long now = System.nanoTime();
        phases.add(phase + " " + (now - last) / 1_000_000 + " ms");
        last = now;
    }

    @Override
    public String toString() {
        return (System.nanoTime() - started) / 1_000_000 + " ms: " + String.join(", ", phases);
    }
}
