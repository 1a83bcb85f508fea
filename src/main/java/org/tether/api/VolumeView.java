package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.tether.storage.volume.VolumeRecord;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** A volume as the API shows it: never its CHAP secret. */
@Schema(name = "Volume")
public record VolumeView(UUID id, int sizeGb, boolean thin,
                         @Schema(description = "creating, downloading, converting, available or deleting") String state,
                         @Schema(description = "of the current phase, when it is known") Integer progressPercent,
                         VolumeRecord.Source source, Map<String, String> qosSpecs,
                         List<VolumeRecord.SnapshotRecord> snapshots, List<ExportView> exports,
                         @Schema(description = "made from an image") boolean bootable,
                         @Schema(description = "the image's id, name, formats, checksum, sizes and properties, "
                                 + "as Cinder records them") Map<String, String> volumeImageMetadata,
                         Instant createdAt, Instant updatedAt) {

    public record ExportView(String initiator, Instant createdAt) {
    }

    public static VolumeView of(VolumeRecord r) {
        return new VolumeView(r.id(), r.sizeGb(), r.thin(), r.state().name().toLowerCase(Locale.ROOT),
                r.progressPercent(), r.source(), r.qosSpecs(), r.snapshots(),
                r.exports().stream().map(e -> new ExportView(e.initiator(), e.createdAt())).toList(),
                r.bootable(), r.bootable() ? r.image().metadata() : null, r.createdAt(), r.updatedAt());
    }
}
