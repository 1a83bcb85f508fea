package org.tether.compute.move;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.metrics.StepTimes;
import org.tether.state.JsonFileStore;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Moves of attached volumes under {@code <state-dir>/moves}, one atomic JSON file per attachment. */
@ApplicationScoped
public class MoveStore {
    private final JsonFileStore<MoveRecord> store;

    @Inject
    public MoveStore(TetherConfig config) {
        this(config.stateDir().resolve("moves"));
    }

    public MoveStore(Path dir) {
        this.store = new JsonFileStore<>(dir, MoveRecord.class, MoveRecord::key);
    }

    public Optional<MoveRecord> find(String key) {
        return store.get(key);
    }

    public List<MoveRecord> all() {
        return store.all();
    }

    /** Written and fsynced before this returns; its time counts as the operation's {@code journal} step. */
    public void put(MoveRecord r) {
        StepTimes.step("journal", () -> store.put(r));
    }

    public void remove(String key) {
        StepTimes.step("journal", () -> store.remove(key));
    }
}
