package org.tether.disk;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.tether.connection.Portal;

import java.util.List;

/** Where a disk's bytes come from, as a volume connector decided. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = DiskSource.BlockDevice.class, name = "block"),
        @JsonSubTypes.Type(value = DiskSource.NetworkIscsi.class, name = "network_iscsi"),
        @JsonSubTypes.Type(value = DiskSource.NetworkRbd.class, name = "network_rbd")})
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

    /**
     * QEMU's own librbd client: {@code pool/image} on the listed monitors (none: librbd reads the host's
     * ceph.conf). With cephx, {@code username} and the libvirt secret of type ceph holding its key.
     * {@code configFile}, when set, is a ceph.conf of client settings QEMU's librbd reads (Tether's bound on
     * how long it waits for the monitors).
     */
    record NetworkRbd(String pool, String image, List<Portal> monitors, String username, java.util.UUID secretUuid,
                      String configFile)
            implements DiskSource {
        public NetworkRbd {
            monitors = List.copyOf(monitors);
        }

        public String name() {
            return pool + "/" + image;
        }
    }
}
