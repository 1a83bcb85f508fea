package org.tether.compute.move;

import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.connection.IscsiPath;
import org.tether.state.AttachmentRecord;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A move of an attached volume onto another, journalled before each step so that a restart finishes or undoes
 * it: which connection the guest leaves ({@code from}) and which it is given ({@code to}). Never holds a
 * credential.
 *
 * @param bandwidthBytes the copy's cap in bytes per second, or null
 */
public record MoveRecord(UUID volumeId, String domain, Phase phase, Side from, Side to, Long bandwidthBytes,
                         Instant createdAt, Instant updatedAt, String lastError) {

    public enum Phase {
        /** The new connection is being made; part of it may exist. */
        CONNECTING,
        /** Connected; libvirt copies the disk onto it. The guest is on {@code from} until the pivot. */
        COPYING,
        /** The guest is on {@code to}; {@code from} is still to be disconnected. */
        PIVOTED
    }

    /**
     * One connection of the volume.
     *
     * @param key names the host objects the connector makes for the side the guest is given (a libvirt secret's
     *            usage), distinct from the other side's so both can exist at once; null for the side the guest
     *            leaves, whose recorded connection says what to take down
     */
    public record Side(String key, AttachPath path, String driverVolumeType, List<IscsiPath> paths,
                       ConnectedVolume connected) {
        public Side {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }

        static Side of(AttachmentRecord r) {
            return new Side(null, r.attachPath(), r.driverVolumeType() == null ? "iscsi" : r.driverVolumeType(),
                    r.paths(), r.connected());
        }

        Side connected(ConnectedVolume c) {
            return new Side(key, path, driverVolumeType, paths, c);
        }
    }

    public String key() {
        return AttachmentRecord.key(volumeId, domain);
    }

    MoveRecord in(Phase p, Instant now) {
        return new MoveRecord(volumeId, domain, p, from, to, bandwidthBytes, createdAt, now, lastError);
    }

    MoveRecord connected(ConnectedVolume c, Instant now) {
        return new MoveRecord(volumeId, domain, Phase.COPYING, from, to.connected(c), bandwidthBytes, createdAt, now,
                lastError);
    }

    MoveRecord withError(String error, Instant now) {
        return new MoveRecord(volumeId, domain, phase, from, to, bandwidthBytes, createdAt, now, error);
    }
}
