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

    /**
     * The one domain the volume's current export ({@code current}: the name a host's connection knows it by)
     * serves there; 409 {@code volume_busy} when none or several.
     */
    Using using(VolumeRecord r, String current);

    /**
     * Moves the guest's disk onto the copy (block copy, pivot, the old connection down); returns once it reads
     * from it. Throws when it did not, or when it cannot say: {@link #where} then decides.
     */
    void move(Using using, UUID volumeId, Map<String, Object> connectionInfo, Long bandwidthMibS);

    /** Which copy the guest reads; {@code copy}: the name a host's connection knows the copy's export by. */
    Where where(UUID volumeId, String copy);

    /** Who the compute side is, for messages. */
    String name();

    /**
     * Whether an attachment, as JSON, names this export (a target's IQN or NQN, an RBD image's pool/image) in its
     * connection or its disk's source: the name whole, never as the start of a longer one (a moved volume's
     * target is its plain name followed by {@code -m} and a tag) nor as the end of one (pool {@code xvolumes}).
     */
    static boolean mentions(String attachmentJson, String name) {
        return Pattern.compile("(?<![A-Za-z0-9_.-])" + Pattern.quote(name) + "(?![A-Za-z0-9_.-])")
                .matcher(attachmentJson).find();
    }
}
