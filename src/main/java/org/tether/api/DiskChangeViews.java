package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.tether.compute.attach.LiveQos;
import org.tether.compute.attach.LiveResize;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Answers of the calls that change an attached disk in place: what libvirt reports afterwards. */
public final class DiskChangeViews {
    private DiskChangeViews() {
    }

    @Schema(name = "QosChange")
    public record Qos(UUID volumeId, String domain, String device,
                      @Schema(description = "Throttling the running QEMU reports now (empty when shut off)")
                      Map<String, Object> live,
                      @Schema(description = "Throttling in the persistent definition (empty when transient)")
                      Map<String, Object> persistent,
                      List<String> ignoredQosKeys) {
        static Qos of(LiveQos.Applied a) {
            return new Qos(a.attachment().volumeId(), a.attachment().domain(), a.attachment().device().dev(),
                    a.live(), a.persistent(), a.ignoredKeys());
        }
    }

    @Schema(name = "Extend")
    public record Extend(UUID volumeId, String domain, String device,
                         @Schema(description = "Disk capacity QEMU reports now, in bytes") long sizeBytes,
                         @Schema(description = "Capacity before, in bytes; -1 when the domain is not running")
                         long previousSizeBytes) {
        static Extend of(LiveResize.Resized r) {
            return new Extend(r.attachment().volumeId(), r.attachment().domain(), r.attachment().device().dev(),
                    r.sizeBytes(), r.previousBytes());
        }
    }
}
