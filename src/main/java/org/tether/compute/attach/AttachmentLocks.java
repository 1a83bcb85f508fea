package org.tether.compute.attach;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.concurrent.KeyedLocks;

import java.util.UUID;

/** One lock per volume: attach and detach of the same volume never interleave; different volumes never wait. */
@ApplicationScoped
public class AttachmentLocks {
    private final KeyedLocks volumes = new KeyedLocks();

    public KeyedLocks.Held volume(UUID volumeId) {
        return volumes.lock(volumeId.toString());
    }
}
