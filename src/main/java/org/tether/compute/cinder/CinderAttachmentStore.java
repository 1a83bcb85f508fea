package org.tether.compute.cinder;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.state.JsonFileStore;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Cinder attachments under {@code <state-dir>/cinder-attachments}, one atomic 0600 JSON file each. */
@ApplicationScoped
public class CinderAttachmentStore {
    private final JsonFileStore<CinderAttachmentRecord> store;

    @Inject
    public CinderAttachmentStore(TetherConfig config) {
        this(config.stateDir().resolve("cinder-attachments"));
    }

    CinderAttachmentStore(Path dir) {
        this.store = new JsonFileStore<>(dir, CinderAttachmentRecord.class, r -> r.attachmentId().toString());
    }

    public Optional<CinderAttachmentRecord> find(UUID attachmentId) {
        return store.get(attachmentId.toString());
    }

    public List<CinderAttachmentRecord> all() {
        return store.all();
    }

    void put(CinderAttachmentRecord r) {
        store.put(r);
    }

    void remove(UUID attachmentId) {
        store.remove(attachmentId.toString());
    }
}
