package org.tether.compute.libvirt;

import org.tether.compute.connection.Portal;

import java.util.List;

/** Where a disk's bytes come from, as a volume connector decided. */
public sealed interface DiskSource {

    /** A host block device: the kernel initiator's SCSI disk or a multipath map. */
    record BlockDevice(String path) implements DiskSource {
    }

    /**
     * QEMU's own iSCSI client. CHAP, when used, is a libvirt secret of type iscsi named by {@code secretUsage};
     * the password itself is never in the disk XML.
     */
    record NetworkIscsi(String iqn, int lun, List<Portal> hosts, String chapUsername, String secretUsage)
            implements DiskSource {
        public NetworkIscsi {
            hosts = List.copyOf(hosts);
        }
    }
}
