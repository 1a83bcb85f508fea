package org.tether.storage.volume;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.state.JsonFileStore;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The storage side's records, one private file per volume under {@code <state-dir>/volumes}. */
@ApplicationScoped
public class VolumeStore {
    private final JsonFileStore<VolumeRecord> store;

    @Inject
    public VolumeStore(TetherConfig config) {
        this(config.stateDir().resolve("volumes"));
    }

    public VolumeStore(Path dir) {
        this.store = new JsonFileStore<>(dir, VolumeRecord.class, VolumeRecord::key);
    }

    public Optional<VolumeRecord> find(UUID id) {
        return store.get(id.toString());
    }

    public List<VolumeRecord> all() {
        return store.all().stream().sorted(Comparator.comparing(VolumeRecord::createdAt)
                .thenComparing(VolumeRecord::key)).toList();
    }

    /** The volume that owns a snapshot, if any. */
    public Optional<VolumeRecord> ownerOf(UUID snapshotId) {
        return store.all().stream().filter(v -> v.snapshot(snapshotId).isPresent()).findFirst();
    }

    public void put(VolumeRecord r) {
        store.put(r);
    }

    public void remove(VolumeRecord r) {
        store.remove(r.key());
    }
}
