package org.tether.compute.instance;

import org.tether.compute.attach.AttachCommand;

import java.util.List;

/**
 * A boot-from-volume request after its plain fields were checked.
 *
 * @param volumes  the boot volume first, then the extra volumes, in order
 * @param machine  QEMU machine type, or null for libvirt's default
 * @param network  a libvirt network name, or null for none
 */
public record CreateInstance(String name, int vcpus, int memoryMb, String machine, String network,
                             List<AttachCommand> volumes) {
    public CreateInstance {
        volumes = List.copyOf(volumes);
    }
}
