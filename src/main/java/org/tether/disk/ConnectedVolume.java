package org.tether.disk;


import java.util.List;
import java.util.UUID;

/**
 * What a connector set up on the host for one attachment, recorded in the journal so that a later
 * disconnect (even after a restart) undoes exactly that.
 *
 * @param hostDevice  the path given to libvirt on the kernel path, else null
 * @param scsiDevices kernel SCSI disks ({@code sdX}) backing it, one per path
 * @param multipathMap the multipath map name, or null
 * @param secretUuid  the libvirt secret holding CHAP for the qemu path, or null
 * @param passphraseSecret the libvirt secret holding an encrypted volume's LUKS passphrase, or null
 * @param luksPayloadOffset where an encrypted volume's payload starts (its LUKS1 header's length, read before
 *                          QEMU opened it), or null when not encrypted or not readable from this host
 */
public record ConnectedVolume(DiskSource source, String hostDevice, List<String> scsiDevices,
                              String multipathMap, UUID secretUuid, UUID passphraseSecret, Long luksPayloadOffset) {
    public ConnectedVolume {
        scsiDevices = scsiDevices == null ? List.of() : List.copyOf(scsiDevices);
    }

    public ConnectedVolume(DiskSource source, String hostDevice, List<String> scsiDevices, String multipathMap,
                           UUID secretUuid) {
        this(source, hostDevice, scsiDevices, multipathMap, secretUuid, null, null);
    }

    /** The same connection, its LUKS passphrase held in libvirt secret {@code uuid}, its payload at the offset. */
    public ConnectedVolume withPassphrase(UUID uuid, Long payloadOffset) {
        return new ConnectedVolume(source, hostDevice, scsiDevices, multipathMap, secretUuid, uuid, payloadOffset);
    }

    /** The same connection over these SCSI disks (a path came or went). */
    public ConnectedVolume withScsiDevices(List<String> disks) {
        return new ConnectedVolume(source, hostDevice, disks, multipathMap, secretUuid, passphraseSecret,
                luksPayloadOffset);
    }
}
