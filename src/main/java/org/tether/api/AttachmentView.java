package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.tether.disk.Drift;
import org.tether.connection.IscsiPath;
import org.tether.state.AttachmentRecord;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** An attachment as the API shows it. Holds no credential: the disk XML names a secret, never a password. */
@Schema(name = "Attachment")
public record AttachmentView(
        UUID volumeId,
        String domain,
        @Schema(description = "attached, connecting, connected, detaching, rollback_pending, migrating, incoming or moving") String state,
        @Schema(description = "Guest device name", example = "vdb") String device,
        String bus,
        String attachPath,
        @Schema(description = "The transport: iscsi, rbd or nvmeof") String driverVolumeType,
        @Schema(description = "Host block device (kernel path only)") String hostDevice,
        List<PathView> paths,
        @Schema(description = "The disk XML given to libvirt") String diskXml,
        @Schema(description = "qos_specs keys that are not libvirt iotune keys and were not applied")
        List<String> ignoredQosKeys,
        boolean multiattach,
        Instant createdAt,
        Instant updatedAt,
        String lastError,
        @Schema(description = "Differences the last reconciliation found between this attachment and the host")
        List<Drift> drift) {

    public record PathView(String portal, String iqn, int lun) {
    }

    public static AttachmentView of(AttachmentRecord r) {
        return of(r, null);
    }

    public static AttachmentView of(AttachmentRecord r, List<Drift> drift) {
        return new AttachmentView(r.volumeId(), r.domain(), r.phase().name().toLowerCase(Locale.ROOT),
                r.device() == null ? null : r.device().dev(),
                r.device() == null ? null : r.device().bus().wire(),
                r.attachPath().wire(),
                r.driverVolumeType() == null ? "iscsi" : r.driverVolumeType(),
                r.connected() == null ? null : r.connected().hostDevice(),
                r.paths().stream().map(AttachmentView::path).toList(),
                r.diskXml(), r.ignoredQosKeys(), r.multiattach(), r.createdAt(), r.updatedAt(), r.lastError(),
                drift == null || drift.isEmpty() ? null : drift);
    }

    private static PathView path(IscsiPath p) {
        return new PathView(p.portal().hostPort(), p.iqn(), p.lun());
    }
}
