package org.tether.storage.volume;

import java.util.Map;
import java.util.UUID;

/**
 * A validated create request. At most one of the sources is set; {@code image} is the image a volume is made
 * from (its metadata, already read from the image's source), or null.
 */
public record CreateVolume(UUID id, int sizeGb, boolean thin, UUID sourceVolume, UUID sourceSnapshot,
                           Map<String, String> qosSpecs, VolumeRecord.ImageOrigin image,
                           VolumeRecord.Placement placement, VolumeRecord.Encryption encryption) {

    public CreateVolume(UUID id, int sizeGb, boolean thin, UUID sourceVolume, UUID sourceSnapshot,
                        Map<String, String> qosSpecs, VolumeRecord.ImageOrigin image,
                        VolumeRecord.Placement placement) {
        this(id, sizeGb, thin, sourceVolume, sourceSnapshot, qosSpecs, image, placement, null);
    }

    public CreateVolume(UUID id, int sizeGb, boolean thin, UUID sourceVolume, UUID sourceSnapshot,
                        Map<String, String> qosSpecs) {
        this(id, sizeGb, thin, sourceVolume, sourceSnapshot, qosSpecs, null, null);
    }

    public CreateVolume withImage(VolumeRecord.ImageOrigin origin) {
        return new CreateVolume(id, sizeGb, thin, sourceVolume, sourceSnapshot, qosSpecs, origin, placement,
                encryption);
    }

    /** Placed in {@code pool} by {@code type}, with the provisioning the type (or the request) asked for. */
    public CreateVolume placed(VolumeRecord.Placement where, boolean thinProvisioned) {
        return new CreateVolume(id, sizeGb, thinProvisioned, sourceVolume, sourceSnapshot, qosSpecs, image, where,
                encryption);
    }

    /** Encrypted with LUKS1 under this key (the writer formats it). */
    public CreateVolume withEncryption(VolumeRecord.Encryption e) {
        return new CreateVolume(id, sizeGb, thin, sourceVolume, sourceSnapshot, qosSpecs, image, placement, e);
    }
}
