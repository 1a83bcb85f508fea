package org.tether.compute.attach;

import org.tether.metrics.OperationMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.state.AttachmentJournal;

import java.util.UUID;

/** Detach: the disk leaves the domain, then the host connection goes. An unknown attachment is a no-op. */
@ApplicationScoped
public class DetachService {
    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final Teardown teardown;

    private final OperationMetrics metrics;

    public DetachService(AttachmentJournal journal, AttachmentLocks locks, Teardown teardown,
                         OperationMetrics metrics) {
        this.metrics = metrics;
        this.journal = journal;
        this.locks = locks;
        this.teardown = teardown;
    }

    /** @return whether there was an attachment to detach */
    public boolean detach(UUID volumeId, String domain) {
        try (var held = locks.volume(volumeId)) {
            return journal.find(volumeId, domain).map(r -> metrics.time("detach", r.attachPath().wire(), () -> {
                teardown.detach(r);
                return true;
            })).orElse(false);
        }
    }
}
