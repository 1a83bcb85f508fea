package org.tether.compute.instance;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A domain Tether defined to boot from a volume, as the instance journal keeps it. Its volumes'
 * attachments are in the attachment journal; this record says which of them the domain was built with.
 *
 * @param volumeIds the boot volume first
 */
public record InstanceRecord(String name, Phase phase, List<UUID> volumeIds, String fingerprint,
                             String consoleLog, Instant createdAt, Instant updatedAt) {

    public enum Phase {
        /** Volumes being connected, domain being defined and started; undone after a crash. */
        CREATING,
        ACTIVE,
        /** Being stopped and removed; finished after a crash. */
        DELETING,
        /** Arriving on this host with a live migration, which (or whose recovery) makes it ACTIVE or removes it. */
        INCOMING
    }

    public InstanceRecord {
        volumeIds = List.copyOf(volumeIds);
    }

    public UUID bootVolumeId() {
        return volumeIds.get(0);
    }

    public InstanceRecord withPhase(Phase p, Instant now) {
        return new InstanceRecord(name, p, volumeIds, fingerprint, consoleLog, createdAt, now);
    }
}
