package org.tether.compute.attach;

import com.fasterxml.jackson.databind.JsonNode;
import org.tether.compute.libvirt.GuestDevice;

import java.util.UUID;

/**
 * An attach request after its plain fields were checked; connection_info is still raw JSON, parsed by
 * the service so that every validation failure happens before the host is touched.
 */
public record AttachCommand(UUID volumeId, String domain, JsonNode connectionInfo, String requestedDevice,
                            GuestDevice.Bus bus, AttachPath path, boolean multiattach) {
}
