package org.tether.state;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.metrics.StepTimes;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The attachments this host holds, one record each under {@code <state-dir>/attachments}, written
 * atomically before and after every host change. Callers serialise writes per attachment (volume lock).
 */
@ApplicationScoped
public class AttachmentJournal {
    private final JsonFileStore<AttachmentRecord> store;

    @Inject
    public AttachmentJournal(TetherConfig config) {
        this(config.stateDir().resolve("attachments"));
    }

    public AttachmentJournal(Path dir) {
        this.store = new JsonFileStore<>(dir, AttachmentRecord.class, AttachmentRecord::key);
    }

    public Optional<AttachmentRecord> find(UUID volumeId, String domain) {
        return store.get(AttachmentRecord.key(volumeId, domain));
    }

    /** Every record for a volume, on any domain (more than one only with multiattach). */
    public List<AttachmentRecord> forVolume(UUID volumeId) {
        return store.all().stream().filter(r -> r.volumeId().equals(volumeId)).toList();
    }

    public List<AttachmentRecord> all() {
        return store.all().stream()
                .sorted(Comparator.comparing(AttachmentRecord::createdAt).thenComparing((AttachmentRecord r) -> r.key()))
                .toList();
    }

    /** Written and fsynced before this returns; its time counts as the operation's {@code journal} step. */
    public void put(AttachmentRecord record) {
        StepTimes.step("journal", () -> store.put(record));
    }

    public void remove(AttachmentRecord record) {
        StepTimes.step("journal", () -> store.remove(record.key()));
    }
}
