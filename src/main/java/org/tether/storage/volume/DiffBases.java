package org.tether.storage.volume;

import java.util.UUID;

/**
 * Changed-block tracking between backups, for a backend that can diff two snapshots of a volume (RBD, as
 * Cinder's Ceph backup driver does with {@code export-diff --from-snap}): the snapshot a backup reads is kept as
 * the base of the next backup of the volume, which then reads only what changed since. One base per volume, the
 * latest backup's: a base that is missing only makes the next backup read everything (its chunks still
 * deduplicate), never a wrong incremental.
 */
public interface DiffBases {
    /** Takes the volume as it is now as the snapshot backup {@code backup} reads, and later keeps as its base. */
    void take(UUID volume, UUID backup);

    /**
     * The volume as backup {@code backup} took it, whose {@link BlockReader#changed} tells what differs from the
     * base kept for backup {@code base} (every range, when the volume has no such base, or {@code base} is null).
     */
    BlockReader reader(UUID volume, UUID backup, UUID base);

    /** Removes the volume's bases except {@code except}'s (null: every one); nothing when the volume is gone. */
    void dropExcept(UUID volume, UUID except);

    /** Removes the base kept for {@code backup}, if any. */
    void drop(UUID volume, UUID backup);
}
