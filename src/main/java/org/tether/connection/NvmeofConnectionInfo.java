package org.tether.connection;

import java.util.List;
import java.util.UUID;

/**
 * NVMe over Fabrics connection_info (Cinder's {@code nvmeof}, either version): a subsystem, the portals it
 * listens on (TCP only here), and the namespace by its UUID ({@code vol_uuid}) and/or its id ({@code ns_id}).
 *
 * @param nsUuid the namespace's UUID, or null when only its id was given
 * @param nsId   the namespace id, or null when only its UUID was given
 */
public record NvmeofConnectionInfo(UUID volumeId, String targetNqn, List<Portal> portals, UUID nsUuid, Long nsId,
                                   VolumeOptions options) implements ConnectionInfo {

    public static final String TYPE = "nvmeof";

    public NvmeofConnectionInfo {
        portals = List.copyOf(portals);
    }

    @Override
    public String driverVolumeType() {
        return TYPE;
    }

    /**
     * The journal's paths: one per portal, the subsystem in the target name and the namespace id (0 when only
     * the UUID is known) in the unit number, so a disconnect after a restart finds its controllers again.
     */
    public List<IscsiPath> paths() {
        return portals.stream().map(p -> new IscsiPath(p, targetNqn, nsId == null || nsId > Integer.MAX_VALUE ? 0
                : nsId.intValue())).toList();
    }
}
