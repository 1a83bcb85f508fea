package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.tether.compute.instance.InstanceService;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** An instance Tether defined, with the volumes it holds now. */
@Schema(name = "Instance")
public record InstanceView(
        String name,
        @Schema(description = "creating, active, deleting, or incoming (arriving with a live migration)") String state,
        boolean running,
        UUID bootVolumeId,
        @Schema(description = "File the serial console is logged to on this host") String consoleLog,
        List<AttachmentView> volumes,
        Instant createdAt) {

    static InstanceView of(InstanceService.Instance i) {
        return new InstanceView(i.record().name(), i.record().phase().name().toLowerCase(Locale.ROOT), i.running(),
                i.record().bootVolumeId(), i.record().consoleLog(),
                i.attachments().stream().map(AttachmentView::of).toList(), i.record().createdAt());
    }
}
