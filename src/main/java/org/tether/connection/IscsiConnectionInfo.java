package org.tether.connection;

import java.util.List;
import java.util.UUID;

/**
 * iSCSI connection_info: one or more (portal, iqn, lun) paths, optional CHAP for the session and for
 * sendtargets discovery.
 */
public record IscsiConnectionInfo(
        UUID volumeId,
        List<IscsiPath> paths,
        ChapCredentials sessionChap,
        ChapCredentials discoveryChap,
        boolean targetDiscovered,
        AddressingMode addressingMode,
        VolumeOptions options) implements ConnectionInfo {

    public static final String TYPE = "iscsi";

    public IscsiConnectionInfo {
        paths = List.copyOf(paths);
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("at least one path");
        }
    }

    @Override
    public String driverVolumeType() {
        return TYPE;
    }

    /** The path a single-path attach uses: the first one the controller listed. */
    public IscsiPath primaryPath() {
        return paths.get(0);
    }

    /** How a LUN number is encoded on the wire (os-brick's addressing_mode). */
    public enum AddressingMode {
        SAM("SAM"), SAM2("SAM2"), SAM3_FLAT("SAM3-flat"), TRANSPARENT("transparent");

        private final String wire;

        AddressingMode(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public static AddressingMode fromWire(String value) {
            for (AddressingMode m : values()) {
                if (m.wire.equals(value)) {
                    return m;
                }
            }
            return null;
        }
    }
}
