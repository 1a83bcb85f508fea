package org.tether.compute.instance;

import org.tether.compute.attach.AttachCommand;
import org.tether.compute.attach.AttachService;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.DomainDefinition;
import org.tether.disk.GuestDevice;
import org.tether.compute.libvirt.GuestDeviceNames;
import org.tether.state.AttachmentRecord;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The libvirt domain a boot-from-volume instance gets (JAXB model, never strings): its type, memory, vCPUs
 * and machine, a virtio NIC on a libvirt network when one is asked for, a pty serial console logged to a
 * file, one disk per volume with the boot volume first (boot order 1), a SCSI controller (virtio-scsi unless
 * the image names another) when any disk is on the SCSI bus, and what the boot image's properties ask for:
 * UEFI firmware (OVMF, secure boot off, NVRAM per domain) and a virtio RNG.
 */
final class InstanceDomainXml {
    private InstanceDomainXml() {
    }

    /** The whole domain, disks included, in the order given (the boot disk first). */
    static DomainDefinition definition(CreateInstance req, String virtType, String arch, Path console,
                                       List<DiskXml> disks) {
        DomainDefinition d = new DomainDefinition();
        d.type = virtType;
        d.name = req.name();
        d.metadata = new DomainDefinition.Metadata();
        d.metadata.instance = new DomainDefinition.Instance();
        d.metadata.instance.createdBy = "tether";
        d.metadata.instance.bootVolume = req.volumes().get(0).volumeId().toString();
        d.memory = new DomainDefinition.Memory();
        d.memory.unit = "MiB";
        d.memory.value = req.memoryMb();
        d.vcpu = req.vcpus();
        d.os = new DomainDefinition.Os();
        d.os.type = new DomainDefinition.OsType();
        d.os.type.arch = arch;
        d.os.type.machine = req.machineType();
        d.os.type.value = "hvm";
        GuestHardware hw = req.hardware();
        if (hw.uefi()) {
            d.os.firmwareKind = "efi";
            d.os.firmware = new DomainDefinition.Firmware();
            d.os.firmware.features.add(new DomainDefinition.FirmwareFeature("secure-boot", false));
            d.os.firmware.features.add(new DomainDefinition.FirmwareFeature("enrolled-keys", false));
        }
        if ("virtio".equals(hw.rngModel())) {
            d.devices.rng = new DomainDefinition.Rng();
            d.devices.rng.model = "virtio";
            d.devices.rng.backend = new DomainDefinition.RngBackend();
            d.devices.rng.backend.model = "random";
            d.devices.rng.backend.value = "/dev/urandom";
        }
        if (req.network() != null) {
            d.devices.interfaces.add(virtioNic(req.network()));
        }
        d.devices.serial = serialLoggedTo(console);
        d.devices.console = new DomainDefinition.Console();
        d.devices.console.type = "pty";
        d.devices.disks.addAll(disks);
        if (disks.stream().anyMatch(disk -> "scsi".equals(disk.target.bus))) {
            DomainDefinition.Controller c = new DomainDefinition.Controller();
            c.type = "scsi";
            c.model = hw.scsiModel() == null ? "virtio-scsi" : hw.scsiModel();
            d.devices.controllers.add(c);
        }
        return d;
    }

    private static DomainDefinition.Interface virtioNic(String network) {
        DomainDefinition.Interface nic = new DomainDefinition.Interface();
        nic.type = "network";
        nic.source = new DomainDefinition.Source();
        nic.source.network = network;
        nic.model = new DomainDefinition.Model();
        nic.model.type = "virtio";
        return nic;
    }

    /** A pty serial port whose output is kept in a file (truncated at each start), for boot diagnosis. */
    private static DomainDefinition.Serial serialLoggedTo(Path console) {
        DomainDefinition.Serial serial = new DomainDefinition.Serial();
        serial.type = "pty";
        serial.log = new DomainDefinition.Log();
        serial.log.file = console.toString();
        serial.log.append = "off";
        return serial;
    }

    /** One disk per volume, names chosen in order per bus; the first boots. */
    static List<DiskXml> disks(List<AttachService.Prepared> prepared, List<AttachmentRecord> connected) {
        Set<String> used = new HashSet<>();
        List<DiskXml> disks = new ArrayList<>();
        for (int i = 0; i < prepared.size(); i++) {
            AttachCommand cmd = prepared.get(i).cmd();
            GuestDevice dev = GuestDeviceNames.choose(cmd.requestedDevice(), cmd.bus(), used);
            used.add(dev.dev());
            DiskXml disk = DiskXmlFactory.build(cmd.volumeId(), connected.get(i).connected().source(), dev,
                    prepared.get(i).info().options(), cmd.multiattach(),
                    connected.get(i).connected().passphraseSecret());
            if (i == 0) {
                disk.boot = new DiskXml.Boot();
                disk.boot.order = 1;
            }
            disks.add(disk);
        }
        return disks;
    }

    /** The guest device a disk of the domain has. */
    static GuestDevice device(DiskXml disk) {
        return new GuestDevice(disk.target.dev, GuestDevice.Bus.valueOf(disk.target.bus.toUpperCase(
                Locale.ROOT)));
    }
}
