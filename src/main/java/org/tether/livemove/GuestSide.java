package org.tether.livemove;

import org.tether.storage.volume.VolumeRecord;

import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The compute side of a move of an exported volume in use: the agent whose guest reads the export (this one, in
 * mode both, or a compute agent the storage agent names), what it is asked to do and what it says happened.
 */
interface GuestSide {

    /** The domain whose disk the volume's export serves, and the attach path it uses. */
    record Using(String domain, String attachPath) {
    }

    /** Which copy the guest reads, as the compute side says now. */
    enum Where {
        /** The copy: the move is to be finished. */
        COPY,
        /** The volume where it was: the move is to be undone. */
        ORIGINAL,
        /** Its own move is still going or being settled, or it cannot be asked now: ask again later. */
        UNSETTLED,
        /** No attachment of the volume is left there to say which copy the guest last wrote. */
        NO_ATTACHMENT
    }

    /** The one domain the volume's current export serves there; 409 {@code volume_busy} when none or several. */
    Using using(VolumeRecord r);

    /**
     * Moves the guest's disk onto the copy (block copy, pivot, the old connection down); returns once it reads
     * from it. Throws when it did not, or when it cannot say: {@link #where} then decides.
     */
    void move(Using using, UUID volumeId, Map<String, Object> connectionInfo, Long bandwidthMibS);

    Where where(UUID volumeId, String copyTag);

    /** Who the compute side is, for messages. */
    String name();

    /**
     * Whether an attachment, as JSON, names the volume's target with this tag (null: the plain name) in its
     * connection's IQN or NQN or its disk's source.
     */
    static boolean mentions(String attachmentJson, UUID id, String tag) {
        Pattern target = Pattern.compile(Pattern.quote("volume-" + id) + (tag == null ? "(?!-m[0-9a-f]{8})"
                : Pattern.quote("-" + tag)));
        return target.matcher(attachmentJson).find();
    }
}
