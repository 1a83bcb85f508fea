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
                         @Schema(description = "creating, downloading, converting, available, migrating or deleting") String state,
                         @Schema(description = "of the current phase, when it is known") Integer progressPercent,
                         VolumeRecord.Source source,
                         @Schema(description = "the pool it lives in") String pool,
                         @Schema(description = "Cinder's host@backend#pool") String host,
                         @Schema(description = "the type it was made with, or null") TypeView volumeType,
                         @Schema(description = "what a compute host gets in connection_info.qos_specs")
                         Map<String, String> qosSpecs,
                         List<VolumeRecord.SnapshotRecord> snapshots, List<ExportView> exports,
                         @Schema(description = "made from an image") boolean bootable,
                         @Schema(description = "the image's id, name, formats, checksum, sizes and properties, "
                                 + "as Cinder records them") Map<String, String> volumeImageMetadata,
                         @Schema(description = "LUKS1, opened by the host with the key manager's key") boolean encrypted,
                         @Schema(description = "as Cinder's GET /volumes/{id}/encryption answers it (the key's id, "
                                 + "never the key)") VolumeRecord.Encryption encryption,
                         Instant createdAt, Instant updatedAt) {

    public record ExportView(String initiator, Instant createdAt) {
    }

    public record TypeView(String name, Map<String, String> extraSpecs, String qosConsumer) {
    }

    /** The view of a volume with its pool and Cinder's {@code host@backend#pool}. */
    static VolumeView of(VolumeRecord r, org.tether.storage.volume.VolumeService volumes,
                         org.tether.storage.pool.StoragePools pools) {
        String pool = volumes.pools().nameOf(r);
        return of(r, pool, pools.hostOf(pool));
    }

    public static VolumeView of(VolumeRecord r, String pool, String host) {
        var t = r.volumeType();
        TypeView type = t == null ? null : new TypeView(t.name(), t.extraSpecs(),
                t.qos() == null ? null : t.qos().consumer());
        return new VolumeView(r.id(), r.sizeGb(), r.thin(), r.state().name().toLowerCase(Locale.ROOT),
                r.progressPercent(), r.source(), pool, host, type, r.frontEndQos(), r.snapshots(),
                r.exports().stream().map(e -> new ExportView(e.initiator(), e.createdAt())).toList(),
                r.bootable(), r.bootable() ? r.image().metadata() : null, r.encryption() != null, r.encryption(),
                r.createdAt(), r.updatedAt());
    }
}
