package org.tether.compute.instance;

import org.tether.compute.attach.AttachCommand;

import java.util.List;

/**
 * A boot-from-volume request after its plain fields were checked.
 *
 * @param volumes  the boot volume first, then the extra volumes, in order
 * @param machine  QEMU machine type, or null for libvirt's default
 * @param network  a libvirt network name, or null for none
 * @param hardware what the boot volume's image asks of the guest's hardware
 */
public record CreateInstance(String name, int vcpus, int memoryMb, String machine, String network,
                             List<AttachCommand> volumes, GuestHardware hardware) {
    public CreateInstance {
        volumes = List.copyOf(volumes);
        hardware = hardware == null ? GuestHardware.DEFAULT : hardware;
    }

    public CreateInstance(String name, int vcpus, int memoryMb, String machine, String network,
                          List<AttachCommand> volumes) {
        this(name, vcpus, memoryMb, machine, network, volumes, GuestHardware.DEFAULT);
    }

    /** The request's machine type, else the image's, else libvirt's default (null). */
    public String machineType() {
        return machine != null ? machine : hardware.machine();
    }
}
