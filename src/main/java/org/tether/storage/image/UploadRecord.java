package org.tether.storage.image;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * A volume's upload to Glance, recorded before anything is made: the Glance image {@code imageId}, and the
 * temporary snapshot of the volume and the temporary volume cloned from it that the data is read from (both
 * named after the image, so a crash leaves nothing unnamed). What the next start does with the Glance image
 * follows the phase, so that an image the agent did not make is never removed:
 * {@code STARTED}, nothing asked of Glance yet, so nothing there is removed; {@code REGISTERING}, the record was
 * asked for and the answer not seen, so the image is removed only while it is still {@code queued} (holding no
 * data); {@code REGISTERED}, Glance made it for this upload and it goes; {@code DONE}, Glance holds the verified
 * image and only the temporaries go. {@code GIVEN}: the caller registered the image (Cinder's
 * {@code copy_volume_to_image}) and removes it on failure itself while it holds no data (Cinder removes it only
 * while {@code queued} or {@code saving}); the agent leaves it, and removes its copy in the image store only while
 * the image does not point at it. {@code FILLING}: the caller's image is being given its data (the upload or the
 * location of the copy in the image store) and becomes {@code active} with it; a failure or crash from here on,
 * before the data was checked, removes it, since Cinder would leave an active image holding data no one checked.
 */
public record UploadRecord(UUID imageId, UUID volumeId, String diskFormat, Phase phase, Instant startedAt) {
    public enum Phase { STARTED, REGISTERING, REGISTERED, GIVEN, FILLING, DONE }

    public UploadRecord in(Phase next) {
        return new UploadRecord(imageId, volumeId, diskFormat, next, startedAt);
    }

    public UploadRecord done() {
        return in(Phase.DONE);
    }

    public UUID snapshotId() {
        return UUID.nameUUIDFromBytes(("tether-upload-snapshot:" + imageId).getBytes(StandardCharsets.UTF_8));
    }

    public UUID temporaryVolumeId() {
        return UUID.nameUUIDFromBytes(("tether-upload-volume:" + imageId).getBytes(StandardCharsets.UTF_8));
    }
}
