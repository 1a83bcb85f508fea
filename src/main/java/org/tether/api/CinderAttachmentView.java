package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.tether.compute.cinder.CinderAttachmentRecord;
import org.tether.state.AttachmentRecord;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/** A Cinder attachment as this host holds it, with the host attachment once the disk is in the domain. */
@Schema(name = "CinderAttachment")
public record CinderAttachmentView(
        UUID attachmentId,
        UUID volumeId,
        String instance,
        String projectId,
        @Schema(description = "completed; updating, attached or detaching while in progress or left by a crash")
        String state,
        String device,
        AttachmentView hostAttachment,
        Instant createdAt,
        Instant updatedAt,
        String lastError) {

    static CinderAttachmentView of(CinderAttachmentRecord r, Optional<AttachmentRecord> host) {
        return new CinderAttachmentView(r.attachmentId(), r.volumeId(), r.instance(), r.projectId(),
                r.phase().name().toLowerCase(Locale.ROOT), r.device(), host.map(AttachmentView::of).orElse(null),
                r.createdAt(), r.updatedAt(), r.lastError());
    }
}
