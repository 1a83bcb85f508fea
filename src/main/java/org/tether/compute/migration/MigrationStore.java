package org.tether.compute.migration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.state.JsonFileStore;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Outgoing migrations under {@code <state-dir>/migrations}, one atomic JSON file per domain. */
@ApplicationScoped
public class MigrationStore {
    private final JsonFileStore<MigrationRecord> store;

    @Inject
    public MigrationStore(TetherConfig config) {
        this(config.stateDir().resolve("migrations"));
    }

    public MigrationStore(Path dir) {
        this.store = new JsonFileStore<>(dir, MigrationRecord.class, MigrationRecord::domain);
    }

    public Optional<MigrationRecord> find(String domain) {
        return store.get(domain);
    }

    public List<MigrationRecord> all() {
        return store.all();
    }

    public void put(MigrationRecord r) {
        store.put(r);
    }

    public void remove(String domain) {
        store.remove(domain);
    }
}
