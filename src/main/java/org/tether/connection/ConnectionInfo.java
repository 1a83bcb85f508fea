package org.tether.connection;

import org.tether.qos.QosSpec;

import java.util.UUID;

/**
 * A normalised Cinder {@code connection_info}, one record type per {@code driver_volume_type}.
 * New transports (rbd, nfs, local) are new permitted records with their own parser; nothing iSCSI changes.
 */
public sealed interface ConnectionInfo permits IscsiConnectionInfo, RbdConnectionInfo, NvmeofConnectionInfo {

    String driverVolumeType();

    /** The volume id the info names, or null when the controller left it out. */
    UUID volumeId();

    VolumeOptions options();

    /**
     * Options every transport shares: access, discard, block sizes, QoS, and whether the volume is encrypted
     * (its LUKS header opened by QEMU with the key of its encryption metadata, which travels beside).
     */
    record VolumeOptions(AccessMode accessMode, boolean discard, BlockSizes blockSizes, QosSpec qos,
                         boolean encrypted) {
        public VolumeOptions(AccessMode accessMode, boolean discard, BlockSizes blockSizes, QosSpec qos) {
            this(accessMode, discard, blockSizes, qos, false);
        }

        public boolean readOnly() {
            return accessMode == AccessMode.RO;
        }
    }

    enum AccessMode { RW, RO }

    /** Block sizes the guest should see; either may be null. */
    record BlockSizes(Integer logical, Integer physical) {
        public static final BlockSizes NONE = new BlockSizes(null, null);

        public boolean isEmpty() {
            return logical == null && physical == null;
        }
    }
}
