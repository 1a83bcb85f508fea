package org.tether.storage.volume;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A volume as the storage side keeps it: the agent's own state is the truth about what it created and
 * exported. Holds the volume's CHAP secret, so its file is private (0600) and it is never shown whole.
 */
public record VolumeRecord(
        UUID id,
        int sizeGb,
        boolean thin,
        State state,
        Source source,
        Map<String, String> qosSpecs,
        ChapSecret chap,
        List<SnapshotRecord> snapshots,
        List<ExportRecord> exports,
        Instant createdAt,
        Instant updatedAt,
        Integer progressPercent,
        ImageOrigin image,
        Placement placement,
        Encryption encryption) {

    /** Every field but the encryption, which only an encrypted volume has. */
    public VolumeRecord(UUID id, int sizeGb, boolean thin, State state, Source source, Map<String, String> qosSpecs,
                        ChapSecret chap, List<SnapshotRecord> snapshots, List<ExportRecord> exports,
                        Instant createdAt, Instant updatedAt, Integer progressPercent, ImageOrigin image,
                        Placement placement) {
        this(id, sizeGb, thin, state, source, qosSpecs, chap, snapshots, exports, createdAt, updatedAt,
                progressPercent, image, placement, null);
    }

    /**
     * A volume formatted with LUKS1 at create, as Cinder records its encryption: the key is in the key manager
     * under {@code keyId}; the host opens it (front-end). No key byte is kept here. {@code keyOwned}: the agent
     * stored the key, and removes it with the last volume that uses it (as Cinder does); a key the caller named
     * is the caller's.
     */
    public record Encryption(String provider, String cipher, int keySize, String controlLocation,
                             @com.fasterxml.jackson.annotation.JsonProperty("encryption_key_id") String keyId,
                             boolean keyOwned) {
    }

    /**
     * The pool a volume was put in and the volume type that chose it (null for volumes made before pools, which
     * live in the default pool and have no type), and a move to or from another pool not yet finished.
     * {@code exportTag}: set once the volume moved while exported, it tells its target's name from the one its
     * id alone gives (the old copy's target still existed when the new one was made); null for that one.
     */
    public record Placement(String pool, VolumeType type, Migration migration, String exportTag) {
        public Placement(String pool, VolumeType type) {
            this(pool, type, null, null);
        }

        public Placement(String pool, VolumeType type, Migration migration) {
            this(pool, type, migration, null);
        }

        public Placement withType(VolumeType t) {
            return new Placement(pool, t, migration, exportTag);
        }

        /** The move is over: nothing of the other copy is left. */
        public Placement settled() {
            return new Placement(pool, type, null, exportTag);
        }
    }

    /**
     * The other copy of a volume that is moving between pools. {@code COPYING}: the data is being copied to
     * {@code pool}, and the volume still lives (whole, unchanged) in its placement's pool; a crash undoes it by
     * removing the copy. {@code CLEANUP}: the copy was verified and the volume now lives in its placement's
     * pool; the old copy in {@code pool} is what is left to remove, and a crash finishes that. {@code thin}: how
     * that other copy is provisioned (a thick LV is wiped when removed).
     *
     * <p>A move of an exported volume (a live move: {@code export} set) exports the other copy too, to the same
     * initiators under its own target and CHAP account: while {@code COPYING} the guest is switched onto it by
     * its compute side, and whether that happened decides between finishing and undoing after a crash; in
     * {@code CLEANUP} it names the old copy's target, to remove. {@code type}: the volume type the volume has
     * once moved (a retype), null for its own; a swap after a crash gives it too.
     */
    public record Migration(String pool, boolean thin, Phase phase, OtherExport export, VolumeType type) {
        public enum Phase { COPYING, CLEANUP }

        public Migration(String pool, boolean thin, Phase phase) {
            this(pool, thin, phase, null, null);
        }

        /** Whether the other copy is exported as well (a move of a volume in use). */
        public boolean live() {
            return export != null;
        }
    }

    /**
     * The export of a live move's other copy: the tag of its target's name (null: the name the volume's id alone
     * gives) and its own CHAP account.
     */
    public record OtherExport(String tag, ChapSecret chap) {
    }

    public VolumeRecord withPlacement(Placement p, Instant now) {
        return new VolumeRecord(id, sizeGb, thin, state, source, qosSpecs, chap, snapshots, exports, createdAt, now,
                progressPercent, image, p, encryption);
    }

    public Migration migration() {
        return placement == null ? null : placement.migration();
    }

    /** The tag of the volume's target name, null for the name its id alone gives. */
    public String exportTag() {
        return placement == null ? null : placement.exportTag();
    }

    public VolumeType volumeType() {
        return placement == null ? null : placement.type();
    }

    /**
     * What the compute host gets in {@code connection_info.qos_specs}: the type's front-end specs scaled to
     * the current size (so an extend changes them), else the plain specs given at create, else none.
     */
    public Map<String, String> frontEndQos() {
        VolumeType t = volumeType();
        Map<String, String> typed = t == null ? null : t.frontEndSpecs(sizeGb);
        return typed != null ? typed : t != null && t.qos() != null ? Map.of() : qosSpecs;
    }

    /**
     * CREATING, DOWNLOADING, CONVERTING and DELETING are operations in flight; the next start finishes or undoes
     * them. DOWNLOADING and CONVERTING are the phases of a volume made from an image. RESTORING: a backup is
     * being written over the volume; an interrupted or failed restore leaves it ERROR (its old data partly
     * overwritten, the backup's not whole), never AVAILABLE: it can be restored into again, or deleted.
     */
    public enum State { CREATING, DOWNLOADING, CONVERTING, AVAILABLE, MIGRATING, DELETING, RESTORING, ERROR }

    /**
     * The image a volume holds: Cinder's {@code volume_image_metadata} (such a volume is bootable). A cache
     * entry (Cinder's image-volume cache) also names the image content it holds and when it last served a clone;
     * it is a volume of the backend, but never listed or addressable as one.
     */
    public record ImageOrigin(Map<String, String> metadata, String cacheKey, Instant lastUsed) {
        public ImageOrigin {
            metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(
                    new java.util.LinkedHashMap<>(metadata));
        }

        public boolean cacheEntry() {
            return cacheKey != null;
        }
    }

    /** What a volume was made from: {@code volume} or {@code snapshot}, and its id. */
    public record Source(String type, UUID id) {
    }

    public record SnapshotRecord(UUID id, int sizeGb, Instant createdAt) {
    }

    public record ExportRecord(String initiator, Instant createdAt) {
    }

    /** Per-volume CHAP credentials; {@link #toString()} never shows the password. */
    public record ChapSecret(String username, String password) {
        @Override
        public String toString() {
            return "ChapSecret[username=" + username + "]";
        }
    }

    public VolumeRecord {
        qosSpecs = qosSpecs == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(qosSpecs));
        snapshots = snapshots == null ? List.of() : List.copyOf(snapshots);
        exports = exports == null ? List.of() : List.copyOf(exports);
    }

    public String key() {
        return id.toString();
    }

    public long sizeBytes() {
        return (long) sizeGb << 30;
    }

    public Optional<SnapshotRecord> snapshot(UUID snapshotId) {
        return snapshots.stream().filter(s -> s.id().equals(snapshotId)).findFirst();
    }

    public boolean exportedTo(String initiator) {
        return exports.stream().anyMatch(e -> e.initiator().equals(initiator));
    }

    public VolumeRecord with(State s, Instant now) {
        return new VolumeRecord(id, sizeGb, thin, s, source, qosSpecs, chap, snapshots, exports, createdAt, now, progressPercent, image, placement, encryption);
    }

    /** A new phase; the progress of the last one is forgotten. */
    public VolumeRecord inPhase(State s, Integer percent, Instant now) {
        return new VolumeRecord(id, sizeGb, thin, s, source, qosSpecs, chap, snapshots, exports, createdAt, now,
                percent, image, placement, encryption);
    }

    public VolumeRecord withImage(ImageOrigin origin, Instant now) {
        return new VolumeRecord(id, sizeGb, thin, state, source, qosSpecs, chap, snapshots, exports, createdAt, now,
                progressPercent, origin, placement, encryption);
    }

    public boolean bootable() {
        return image != null && !image.cacheEntry();
    }

    public boolean cacheEntry() {
        return image != null && image.cacheEntry();
    }

    /** Moved: provisioned as {@code thin} in the placement's pool. */
    public VolumeRecord moved(boolean thinProvisioned, Placement p, Instant now) {
        return new VolumeRecord(id, sizeGb, thinProvisioned, State.AVAILABLE, source, qosSpecs, chap, snapshots,
                exports, createdAt, now, null, image, p, encryption);
    }

    public VolumeRecord withSize(int gb, Instant now) {
        return new VolumeRecord(id, gb, thin, state, source, qosSpecs, chap, snapshots, exports, createdAt, now, progressPercent, image, placement, encryption);
    }

    public VolumeRecord withChap(ChapSecret c, Instant now) {
        return new VolumeRecord(id, sizeGb, thin, state, source, qosSpecs, c, snapshots, exports, createdAt, now, progressPercent, image, placement, encryption);
    }

    public VolumeRecord withSnapshot(SnapshotRecord snap, Instant now) {
        List<SnapshotRecord> list = new ArrayList<>(snapshots);
        list.add(snap);
        return new VolumeRecord(id, sizeGb, thin, state, source, qosSpecs, chap, list, exports, createdAt, now, progressPercent, image, placement, encryption);
    }

    public VolumeRecord withoutSnapshot(UUID snapshotId, Instant now) {
        List<SnapshotRecord> list = snapshots.stream().filter(s -> !s.id().equals(snapshotId)).toList();
        return new VolumeRecord(id, sizeGb, thin, state, source, qosSpecs, chap, list, exports, createdAt, now, progressPercent, image, placement, encryption);
    }

    public VolumeRecord withExport(String initiator, Instant now) {
        List<ExportRecord> list = new ArrayList<>(exports);
        list.add(new ExportRecord(initiator, now));
        return new VolumeRecord(id, sizeGb, thin, state, source, qosSpecs, chap, snapshots, list, createdAt, now, progressPercent, image, placement, encryption);
    }

    public VolumeRecord withoutExport(String initiator, Instant now) {
        List<ExportRecord> list = exports.stream().filter(e -> !e.initiator().equals(initiator)).toList();
        return new VolumeRecord(id, sizeGb, thin, state, source, qosSpecs, chap, snapshots, list, createdAt, now, progressPercent, image, placement, encryption);
    }
}
