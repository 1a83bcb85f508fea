package org.tether.storage.volume;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The pools of this agent, by name, and the one that holds volumes recorded without a pool. */
public final class PoolSet {
    private final Map<String, Pool> byName = new LinkedHashMap<>();
    private final Pool defaultPool;

    public PoolSet(Collection<Pool> pools, String defaultName) {
        if (pools.isEmpty()) {
            throw new IllegalArgumentException("no pool declared");
        }
        pools.stream().sorted(java.util.Comparator.comparing(Pool::name)).forEach(p -> byName.put(p.name(), p));
        if (byName.size() != pools.size()) {
            throw new IllegalArgumentException("two pools with one name");
        }
        var places = new java.util.HashMap<String, String>();
        for (Pool p : byName.values()) {
            String other = places.putIfAbsent(p.kind() + ":" + p.location(), p.name());
            if (other != null) {
                throw new IllegalArgumentException("pools " + other + " and " + p.name() + " both keep their volumes in "
                        + p.location() + "; each pool needs its own");
            }
        }
        this.defaultPool = byName.get(defaultName);
        if (defaultPool == null) {
            throw new IllegalArgumentException("the default pool " + defaultName + " is not declared");
        }
    }

    /** A set of one pool, which is its default. */
    public static PoolSet of(Pool only) {
        return new PoolSet(List.of(only), only.name());
    }

    public List<Pool> all() {
        return List.copyOf(byName.values());
    }

    public Pool defaultPool() {
        return defaultPool;
    }

    public Optional<Pool> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The name of the pool holding a volume, declared or not. */
    public String nameOf(VolumeRecord r) {
        return r.placement() == null || r.placement().pool() == null ? defaultPool.name() : r.placement().pool();
    }

    /**
     * The pool holding a volume: the one it records, or the default for a volume recorded before pools. A pool
     * that the configuration no longer declares is an operator's error the agent cannot mend: every call on
     * such a volume answers so, and nothing of it is touched.
     */
    public Pool of(VolumeRecord r) {
        Pool p = byName.get(nameOf(r));
        if (p == null) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, null, "volume " + r.id() + " is in pool "
                    + nameOf(r) + ", which tether.storage.pools no longer declares");
        }
        return p;
    }
}
