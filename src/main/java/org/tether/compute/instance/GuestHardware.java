package org.tether.compute.instance;

import org.tether.disk.GuestDevice;
import org.tether.error.TetherException;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a booted OS needs from its image, read from the boot volume's {@code volume_image_metadata} the way
 * Nova's libvirt driver reads image properties: the boot disk's bus, the SCSI controller's model, BIOS or
 * UEFI firmware, the machine type and a random number generator. Unknown properties are left alone (an image
 * carries many); a known one with a value Tether cannot honour is refused, never silently ignored.
 *
 * @param diskBus   the boot disk's bus, or null to keep the request's
 * @param scsiModel the SCSI controller's libvirt model, or null for virtio-scsi
 * @param uefi      boot through OVMF (UEFI), with NVRAM of the instance's own
 * @param machine   QEMU machine type, or null
 * @param rngModel  {@code virtio} for a virtio-rng fed by /dev/urandom, or null for none
 */
public record GuestHardware(GuestDevice.Bus diskBus, String scsiModel, boolean uefi, String machine, String rngModel) {
    public static final GuestHardware DEFAULT = new GuestHardware(null, null, false, null, null);
    private static final Pattern MACHINE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final String FIELD = "boot_volume.volume_image_metadata.";

    public static GuestHardware from(Map<String, String> image) {
        if (image == null || image.isEmpty()) {
            return DEFAULT;
        }
        GuestDevice.Bus bus = switch (image.getOrDefault("hw_disk_bus", "")) {
            case "" -> null;
            case "virtio" -> GuestDevice.Bus.VIRTIO;
            case "scsi" -> GuestDevice.Bus.SCSI;
            default -> throw refused("hw_disk_bus", "hw_disk_bus " + image.get("hw_disk_bus")
                    + " is not one Tether attaches (virtio, scsi)");
        };
        String scsi = switch (image.getOrDefault("hw_scsi_model", "")) {
            case "" -> null;
            case "virtio-scsi", "lsilogic" -> image.get("hw_scsi_model");
            default -> throw refused("hw_scsi_model", "hw_scsi_model " + image.get("hw_scsi_model")
                    + " is not one QEMU here emulates (virtio-scsi, lsilogic)");
        };
        boolean uefi = switch (image.getOrDefault("hw_firmware_type", "bios")) {
            case "bios" -> false;
            case "uefi" -> true;
            default -> throw refused("hw_firmware_type", "hw_firmware_type is bios or uefi");
        };
        String machine = image.get("hw_machine_type");
        if (machine != null && !MACHINE.matcher(machine).matches()) {
            throw refused("hw_machine_type", "hw_machine_type must be a QEMU machine type like q35 or pc-q35-7.2");
        }
        String rng = image.get("hw_rng_model");
        if (rng != null && !rng.equals("virtio")) {
            throw refused("hw_rng_model", "hw_rng_model " + rng + " is not virtio");
        }
        return new GuestHardware(bus, scsi, uefi, machine, rng);
    }

    private static TetherException refused(String key, String detail) {
        return TetherException.invalid(FIELD + key, detail);
    }
}
