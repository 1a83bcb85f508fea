package org.tether.storage.image;

import java.time.Instant;
import java.util.UUID;

/**
 * A volume's upload to Glance, recorded before anything is made: the Glance image {@code imageId}, and the
 * temporary snapshot of the volume and the temporary volume cloned from it that the data is read from (both
 * named after the image, so a crash leaves nothing unnamed). {@code STARTED}: the next start removes the
 * image and the temporaries; {@code DONE}: Glance holds the verified image, only the temporaries go.
 */
public record UploadRecord(UUID imageId, UUID volumeId, String diskFormat, Phase phase, Instant startedAt) {
    public enum Phase { STARTED, DONE }

    public UploadRecord done() {
        return new UploadRecord(imageId, volumeId, diskFormat, Phase.DONE, startedAt);
    }

    public UUID snapshotId() {
        return UUID.nameUUIDFromBytes(("tether-upload-snapshot:" + imageId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public UUID temporaryVolumeId() {
        return UUID.nameUUIDFromBytes(("tether-upload-volume:" + imageId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
