package org.tether.state;

import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.connection.IscsiPath;
import org.tether.disk.GuestDevice;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One attachment as the journal keeps it: enough to finish or undo it after a crash, and to answer GETs.
 * Never holds a credential.
 *
 * @param fingerprint digest of the request's non-secret content, to tell a repeat from a different request
 */
public record AttachmentRecord(
        UUID volumeId,
        String domain,
        Phase phase,
        AttachPath attachPath,
        String driverVolumeType,
        List<IscsiPath> paths,
        GuestDevice device,
        boolean multiattach,
        ConnectedVolume connected,
        String diskXml,
        List<String> ignoredQosKeys,
        String fingerprint,
        Instant createdAt,
        Instant updatedAt,
        String lastError) {

    /** Where an attachment stands; everything but ATTACHED is an operation in flight or interrupted. */
    public enum Phase {
        /** Host connection being made; nothing may exist yet. */
        CONNECTING,
        /** Host side is up; the disk may or may not be in the domain yet. */
        CONNECTED,
        ATTACHED,
        DETACHING,
        /** A rollback failed part-way; the next start tries again. */
        ROLLBACK_PENDING,
        /** Attached to a domain that is migrating to another host: the migration (or its recovery) owns it. */
        MIGRATING,
        /**
         * Connected on this host for a domain migrating in from another; its disk arrives with the domain. The
         * migration (or its recovery) makes it ATTACHED or undoes it.
         */
        INCOMING,
        /**
         * Attached, its disk being copied onto another volume while the guest runs: the move (or its recovery)
         * owns it until the guest is on one of the two alone.
         */
        MOVING;

        /** A phase that a live migration owns. */
        public boolean migration() {
            return this == MIGRATING || this == INCOMING;
        }

        /** A phase that a long operation owns (a live migration, a volume move), not attach, detach or their recovery. */
        public boolean owned() {
            return migration() || this == MOVING;
        }
    }

    public AttachmentRecord {
        paths = paths == null ? List.of() : List.copyOf(paths);
        ignoredQosKeys = ignoredQosKeys == null ? List.of() : List.copyOf(ignoredQosKeys);
    }

    public String key() {
        return key(volumeId, domain);
    }

    public static String key(UUID volumeId, String domain) {
        return volumeId + "@" + domain;
    }

    public AttachmentRecord withPhase(Phase p, Instant now) {
        return new AttachmentRecord(volumeId, domain, p, attachPath, driverVolumeType, paths, device, multiattach,
                connected, diskXml, ignoredQosKeys, fingerprint, createdAt, now, lastError);
    }

    public AttachmentRecord withConnected(ConnectedVolume c, Instant now) {
        return new AttachmentRecord(volumeId, domain, Phase.CONNECTED, attachPath, driverVolumeType, paths, device,
                multiattach, c, diskXml, ignoredQosKeys, fingerprint, createdAt, now, lastError);
    }

    public AttachmentRecord withDisk(GuestDevice d, String xml, Instant now) {
        return new AttachmentRecord(volumeId, domain, phase, attachPath, driverVolumeType, paths, d, multiattach,
                connected, xml, ignoredQosKeys, fingerprint, createdAt, now, lastError);
    }

    /**
     * The same attachment reached through another connection (a move): its path, transport, paths, what the
     * connector made and the disk's element; device, QoS and history stay.
     */
    public AttachmentRecord movedTo(AttachPath path, String type, List<IscsiPath> newPaths, ConnectedVolume c,
                                    String xml, Instant now) {
        return new AttachmentRecord(volumeId, domain, Phase.ATTACHED, path, type, newPaths, device, multiattach, c,
                xml, ignoredQosKeys, fingerprint, createdAt, now, null);
    }

    public AttachmentRecord withError(Phase p, String error, Instant now) {
        return new AttachmentRecord(volumeId, domain, p, attachPath, driverVolumeType, paths, device, multiattach,
                connected, diskXml, ignoredQosKeys, fingerprint, createdAt, now, error);
    }
}
