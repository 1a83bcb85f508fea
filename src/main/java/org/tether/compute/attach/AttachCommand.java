package org.tether.compute.attach;

import org.tether.disk.AttachPath;
import com.fasterxml.jackson.databind.JsonNode;
import org.tether.disk.GuestDevice;

import java.util.UUID;

/**
 * An attach request after its plain fields were checked; connection_info is still raw JSON, parsed by
 * the service so that every validation failure happens before the host is touched. A null {@code path}
 * means the caller named none; the service chooses by transport. {@code encryption} is the volume's encryption
 * metadata (Cinder's shape) when connection_info says it is encrypted, raw like connection_info.
 */
public record AttachCommand(UUID volumeId, String domain, JsonNode connectionInfo, String requestedDevice,
                            GuestDevice.Bus bus, AttachPath path, boolean multiattach, JsonNode encryption) {

    public AttachCommand(UUID volumeId, String domain, JsonNode connectionInfo, String requestedDevice,
                         GuestDevice.Bus bus, AttachPath path, boolean multiattach) {
        this(volumeId, domain, connectionInfo, requestedDevice, bus, path, multiattach, null);
    }

    /** The same request on a path chosen for it ({@code path} is null when the caller named none). */
    public AttachCommand withPath(AttachPath chosen) {
        return new AttachCommand(volumeId, domain, connectionInfo, requestedDevice, bus, chosen, multiattach,
                encryption);
    }

    /** The same request with the volume's encryption metadata (Cinder's, fetched for an attachment). */
    public AttachCommand withEncryption(JsonNode metadata) {
        return new AttachCommand(volumeId, domain, connectionInfo, requestedDevice, bus, path, multiattach, metadata);
    }
}
