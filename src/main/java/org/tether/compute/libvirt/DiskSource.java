package org.tether.compute.libvirt;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.tether.compute.connection.Portal;

import java.util.List;

/** Where a disk's bytes come from, as a volume connector decided. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = DiskSource.BlockDevice.class, name = "block"),
        @JsonSubTypes.Type(value = DiskSource.NetworkIscsi.class, name = "network_iscsi")})
public sealed interface DiskSource {

    /** A host block device: the kernel initiator's SCSI disk or a multipath map. */
    record BlockDevice(String path) implements DiskSource {
    }

    /**
     * QEMU's own iSCSI client. CHAP, when used, is a libvirt secret of type iscsi named by {@code secretUsage};
     * the password itself is never in the disk XML. {@code initiator} is the host's initiator name (the one
     * the connector reported, so the target's ACL admits QEMU), or null for QEMU's default.
     */
    record NetworkIscsi(String iqn, int lun, List<Portal> hosts, String chapUsername, String secretUsage,
                        String initiator)
            implements DiskSource {
        public NetworkIscsi {
            hosts = List.copyOf(hosts);
        }
    }
}
