package org.tether.compute.instance;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.state.JsonFileStore;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Instances under {@code <state-dir>/instances}, one atomic JSON file each. Callers hold the instance lock. */
@ApplicationScoped
public class InstanceStore {
    private final JsonFileStore<InstanceRecord> store;

    @Inject
    public InstanceStore(TetherConfig config) {
        this(config.stateDir().resolve("instances"));
    }

    public InstanceStore(Path dir) {
        this.store = new JsonFileStore<>(dir, InstanceRecord.class, InstanceRecord::name);
    }

    public Optional<InstanceRecord> find(String name) {
        return store.get(name);
    }

    public List<InstanceRecord> all() {
        return store.all().stream().sorted(Comparator.comparing(InstanceRecord::createdAt)).toList();
    }

    public void put(InstanceRecord r) {
        store.put(r);
    }

    public void remove(String name) {
        store.remove(name);
    }
}
