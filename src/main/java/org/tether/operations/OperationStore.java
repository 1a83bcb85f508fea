package org.tether.operations;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.state.JsonFileStore;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Operations under {@code <state-dir>/operations}, one atomic 0600 JSON file each. */
@ApplicationScoped
public class OperationStore {
    private final JsonFileStore<OperationRecord> store;

    @Inject
    public OperationStore(TetherConfig config) {
        this(config.stateDir().resolve("operations"));
    }

    public OperationStore(Path dir) {
        this.store = new JsonFileStore<>(dir, OperationRecord.class, OperationRecord::id);
    }

    public Optional<OperationRecord> find(String id) {
        return store.get(id);
    }

    /**
     * The operation {@code caller} named with this Idempotency-Key: keys are scoped to the caller, so another
     * caller's key, however spelled, neither finds nor blocks it.
     */
    public synchronized Optional<OperationRecord> byKey(String caller, String idempotencyKey) {
        return store.all().stream().filter(o -> idempotencyKey.equals(o.idempotencyKey())
                && java.util.Objects.equals(caller, o.caller())).findFirst();
    }

    public List<OperationRecord> all() {
        return store.all();
    }

    public synchronized void put(OperationRecord r) {
        store.put(r);
    }

    synchronized void remove(String id) {
        store.remove(id);
    }
}
