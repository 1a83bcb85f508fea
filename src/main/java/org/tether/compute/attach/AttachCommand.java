package org.tether.compute.attach;

import com.fasterxml.jackson.databind.JsonNode;
import org.tether.compute.libvirt.GuestDevice;

import java.util.UUID;

/**
 * An attach request after its plain fields were checked; connection_info is still raw JSON, parsed by
 * the service so that every validation failure happens before the host is touched. A null {@code path}
 * means the caller named none; the service chooses by transport.
 */
public record AttachCommand(UUID volumeId, String domain, JsonNode connectionInfo, String requestedDevice,
                            GuestDevice.Bus bus, AttachPath path, boolean multiattach) {

    /** The same request on a path chosen for it ({@code path} is null when the caller named none). */
    public AttachCommand withPath(AttachPath chosen) {
        return new AttachCommand(volumeId, domain, connectionInfo, requestedDevice, bus, chosen, multiattach);
    }
}
