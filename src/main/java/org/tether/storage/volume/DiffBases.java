package org.tether.storage.volume;

import java.util.UUID;

/**
 * Changed-block tracking between backups, for a backend that can diff two snapshots of a volume (RBD, as
 * Cinder's Ceph backup driver does with {@code export-diff --from-snap}): a backup's snapshot is kept as the
 * base of the next backup of the volume, which then reads only what changed since. One base per volume, the
 * latest backup's: a base that is missing only makes the next backup read everything (its chunks still
 * deduplicate), never a wrong incremental.
 */
public interface DiffBases {
    /**
     * The volume at {@code snapshot}, whose {@link BlockReader#changed} tells what differs from the base kept
     * for backup {@code base} (every range, when the volume has no such base).
     */
    BlockReader reader(UUID volume, UUID snapshot, UUID base);

    /** The backup's temporary snapshot {@code snapshot} becomes the volume's base for backup {@code backup}. */
    void keep(UUID volume, UUID snapshot, UUID backup);

    /** Removes the volume's bases except {@code except}'s (null: every one); nothing when the volume is gone. */
    void dropExcept(UUID volume, UUID except);

    /** Removes the base kept for {@code backup}, if any. */
    void drop(UUID volume, UUID backup);
}
