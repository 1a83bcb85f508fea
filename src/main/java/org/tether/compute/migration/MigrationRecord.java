package org.tether.compute.migration;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A live migration this host is the source of, journalled before anything is asked of the destination, so that a
 * restart finishes it (the domain left: release the volumes here) or undoes it (the domain is still here).
 */
public record MigrationRecord(String domain, String peer, Phase phase, List<UUID> volumes, Instant startedAt,
                              Instant updatedAt) {

    public enum Phase {
        /** The destination is connecting the volumes; the guest runs here untouched. */
        PREPARING,
        /** libvirt is moving the guest. */
        MIGRATING,
        /** The guest runs on the destination; the volumes' host side here is being released. */
        CLEANING
    }

    public MigrationRecord {
        volumes = List.copyOf(volumes);
    }

    public MigrationRecord in(Phase p, Instant now) {
        return new MigrationRecord(domain, peer, p, volumes, startedAt, now);
    }
}
