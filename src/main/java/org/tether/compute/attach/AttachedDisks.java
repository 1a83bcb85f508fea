package org.tether.compute.attach;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.util.UUID;

/** Finds the settled attachment a change to a running disk (QoS, size) applies to. */
@ApplicationScoped
public class AttachedDisks {
    private final AttachmentJournal journal;

    public AttachedDisks(AttachmentJournal journal) {
        this.journal = journal;
    }

    /**
     * @throws TetherException ATTACHMENT_NOT_FOUND when Tether holds no such attachment, ATTACHMENT_CONFLICT
     *                         when it is still being attached or detached
     */
    public AttachmentRecord require(UUID volumeId, String domain) {
        AttachmentRecord r = journal.find(volumeId, domain).orElseThrow(() -> new TetherException(
                ErrorCode.ATTACHMENT_NOT_FOUND, "volume_id", "volume " + volumeId + " is not attached to " + domain));
        if (r.phase() != AttachmentRecord.Phase.ATTACHED || r.device() == null) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, null, "attachment of " + volumeId + " to "
                    + domain + " is " + r.phase().name().toLowerCase(java.util.Locale.ROOT) + "; retry after it settles");
        }
        return r;
    }
}
