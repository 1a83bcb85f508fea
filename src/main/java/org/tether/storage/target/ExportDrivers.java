package org.tether.storage.target;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The export driver of each pool: one target (LIO or tgt) shared by the iSCSI pools, RBD's own per RBD pool. */
public final class ExportDrivers {
    private final Map<String, ExportDriver> byPool;

    public ExportDrivers(Map<String, ExportDriver> byPool) {
        this.byPool = Map.copyOf(byPool);
    }

    public ExportDriver of(String pool) {
        ExportDriver d = byPool.get(pool);
        if (d == null) {
            throw new IllegalStateException("no export driver for pool " + pool);
        }
        return d;
    }

    /** Each driver once, however many pools share it. */
    public Collection<ExportDriver> distinct() {
        Set<ExportDriver> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<ExportDriver> out = new ArrayList<>();
        byPool.keySet().stream().sorted().map(byPool::get).filter(seen::add).forEach(out::add);
        return out;
    }
}
