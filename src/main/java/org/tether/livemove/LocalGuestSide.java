package org.tether.livemove;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.compute.move.AttachedVolumeMoves;
import org.tether.compute.move.MoveStore;
import org.tether.disk.AttachPath;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.storage.volume.VolumeRecord;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The guest runs on this agent's own host (mode both): its attachment journal and its attached-volume moves. */
@ApplicationScoped
class LocalGuestSide implements GuestSide {
    private final AttachmentJournal journal;
    private final AttachedVolumeMoves moves;
    private final MoveStore moveStore;
    private final ObjectMapper json;

    LocalGuestSide(AttachmentJournal journal, AttachedVolumeMoves moves, MoveStore moveStore, ObjectMapper json) {
        this.journal = journal;
        this.moves = moves;
        this.moveStore = moveStore;
        this.json = json;
    }

    @Override
    public String name() {
        return "this host";
    }

    @Override
    public Using using(VolumeRecord r, String current) {
        List<AttachmentRecord> using = journal.forVolume(r.id()).stream()
                .filter(a -> GuestSide.mentions(text(a), current)).toList();
        InUseVolumeMoves.requireOne(r, using.size(), name());
        return new Using(using.get(0).domain(), using.get(0).attachPath().wire());
    }

    @Override
    public void move(Using using, UUID volumeId, Map<String, Object> connectionInfo, Long bandwidthMibS) {
        moves.move(using.domain(), volumeId, new AttachedVolumeMoves.Request(json.valueToTree(connectionInfo),
                AttachPath.valueOf(using.attachPath().toUpperCase(java.util.Locale.ROOT)), bandwidthMibS));
    }

    @Override
    public Where where(UUID volumeId, String copy) {
        List<AttachmentRecord> using = journal.forVolume(volumeId);
        if (using.stream().anyMatch(a -> moveStore.find(a.key()).isPresent())) {
            return Where.UNSETTLED;
        }
        if (using.stream().anyMatch(a -> GuestSide.mentions(text(a), copy))) {
            return Where.COPY;
        }
        return using.isEmpty() ? Where.NO_ATTACHMENT : Where.ORIGINAL;
    }

    private String text(AttachmentRecord a) {
        try {
            return json.writeValueAsString(a);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
