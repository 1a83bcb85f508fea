package org.tether.compute.cinder;

import java.time.Instant;
import java.util.UUID;

/**
 * Tether's side of one Cinder attachment, written before each step so that a crash leaves a phase the next
 * start can finish or undo. Holds no connection_info: the CHAP secret lives only in the attachment journal's
 * libvirt secret or node record, as for a direct attach.
 */
public record CinderAttachmentRecord(UUID attachmentId, UUID volumeId, String projectId, String instance,
                                     String device, String bus, String attachPath, boolean multiattach,
                                     boolean hostAttachmentPreexisted, Phase phase, Instant createdAt,
                                     Instant updatedAt, String lastError) {

    public enum Phase {
        /** The connector is on its way to Cinder, or the host is connecting; undone at the next start. */
        UPDATING,
        /** The disk is in the domain; os-complete is due. Finished at the next start. */
        ATTACHED,
        /** Cinder has the attachment as in-use. */
        COMPLETED,
        /** Detaching, then deleting in Cinder; finished at the next start. */
        DETACHING
    }

    public boolean sameTarget(UUID volume, String domain, String project) {
        return volumeId.equals(volume) && instance.equals(domain) && projectId.equals(project);
    }

    CinderAttachmentRecord in(Phase next, Instant now, String error) {
        return new CinderAttachmentRecord(attachmentId, volumeId, projectId, instance, device, bus, attachPath,
                multiattach, hostAttachmentPreexisted, next, createdAt, now, error);
    }

    CinderAttachmentRecord withDevice(String dev) {
        return new CinderAttachmentRecord(attachmentId, volumeId, projectId, instance, dev, bus, attachPath,
                multiattach, hostAttachmentPreexisted, phase, createdAt, updatedAt, lastError);
    }
}
