package org.tether.storage.volume;

import java.util.Map;
import java.util.UUID;

/** A validated create request. At most one of the sources is set. */
public record CreateVolume(UUID id, int sizeGb, boolean thin, UUID sourceVolume, UUID sourceSnapshot,
                           Map<String, String> qosSpecs) {
}
