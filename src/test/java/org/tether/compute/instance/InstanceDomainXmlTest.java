package org.tether.compute.instance;

import org.junit.jupiter.api.Test;
import org.tether.compute.attach.AttachCommand;
import org.tether.disk.AttachPath;
import org.tether.connection.ConnectionInfo.AccessMode;
import org.tether.connection.ConnectionInfo.BlockSizes;
import org.tether.connection.ConnectionInfo.VolumeOptions;
import org.tether.disk.DiskSource;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.disk.GuestDevice;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.qos.QosSpec;
import org.xmlunit.builder.DiffBuilder;
import org.xmlunit.diff.Diff;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class InstanceDomainXmlTest {
    private static final UUID BOOT = UUID.fromString("0b7d3c1e-5a52-4d0e-9d7a-2f6c1c3f8a10");
    private static final UUID DATA = UUID.fromString("6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
    private static final VolumeOptions RW = new VolumeOptions(AccessMode.RW, false, BlockSizes.NONE, QosSpec.NONE);

    private static CreateInstance request(String network) {
        return new CreateInstance("web-1", 2, 1024, "pc-i440fx-7.2", network, List.of(
                new AttachCommand(BOOT, "web-1", null, null, GuestDevice.Bus.VIRTIO, AttachPath.KERNEL, false),
                new AttachCommand(DATA, "web-1", null, null, GuestDevice.Bus.SCSI, AttachPath.KERNEL, false)));
    }

    private static DiskXml disk(UUID volume, String dev, GuestDevice.Bus bus) {
        return DiskXmlFactory.build(volume, new DiskSource.BlockDevice("/dev/disk/by-path/ip-10.0.0.1:3260-iscsi-"
                + "iqn.2010-10.org.openstack:volume-" + volume + "-lun-0"), new GuestDevice(dev, bus), RW, false);
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = InstanceDomainXmlTest.class.getResourceAsStream("/domain-xml/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void bootVolumeFirstWithNicConsoleLogAndScsiController() throws IOException {
        DiskXml boot = disk(BOOT, "vda", GuestDevice.Bus.VIRTIO);
        boot.boot = new DiskXml.Boot();
        boot.boot.order = 1;
        String xml = LibvirtXml.write(InstanceDomainXml.definition(request("default"), "kvm", "x86_64",
                Path.of("/var/lib/tether/consoles/web-1.log"), List.of(boot, disk(DATA, "sda", GuestDevice.Bus.SCSI))));
        Diff diff = DiffBuilder.compare(golden("boot-from-volume.xml")).withTest(xml).ignoreWhitespace()
                .checkForIdentical().build();
        assertThat(diff.hasDifferences()).as(diff + "\n" + xml).isFalse();
    }

    @Test
    void noNicWithoutANetworkAndNoScsiControllerForVirtioDisksOnly() {
        String xml = LibvirtXml.write(InstanceDomainXml.definition(request(null), "qemu", "x86_64",
                Path.of("/tmp/c.log"), List.of(disk(BOOT, "vda", GuestDevice.Bus.VIRTIO))));
        assertThat(xml).doesNotContain("<interface").doesNotContain("<controller").contains("type=\"qemu\"");
    }

    @Test
    void theBootImagesPropertiesGiveUefiWithoutSecureBootAnRngAndTheirScsiModel() throws IOException {
        GuestHardware hw = GuestHardware.from(java.util.Map.of("hw_firmware_type", "uefi", "hw_rng_model", "virtio",
                "hw_scsi_model", "lsilogic", "hw_machine_type", "q35", "hw_disk_bus", "scsi", "os_distro", "debian"));
        CreateInstance req = new CreateInstance("web-1", 1, 512, null, null, List.of(new AttachCommand(BOOT, "web-1",
                null, null, hw.diskBus(), AttachPath.KERNEL, false)), hw);
        DiskXml boot = disk(BOOT, "sda", GuestDevice.Bus.SCSI);
        boot.boot = new DiskXml.Boot();
        boot.boot.order = 1;
        String xml = LibvirtXml.write(InstanceDomainXml.definition(req, "kvm", "x86_64",
                Path.of("/var/lib/tether/consoles/web-1.log"), List.of(boot)));
        Diff diff = DiffBuilder.compare(golden("boot-from-image-uefi.xml")).withTest(xml).ignoreWhitespace()
                .checkForIdentical().build();
        assertThat(diff.hasDifferences()).as(diff + "\n" + xml).isFalse();
    }

    @Test
    void imagePropertiesTetherCannotHonourAreRefusedByName() {
        for (var bad : List.of(java.util.Map.of("hw_disk_bus", "ide"), java.util.Map.of("hw_scsi_model", "buslogic"),
                java.util.Map.of("hw_firmware_type", "coreboot"), java.util.Map.of("hw_machine_type", "pc;rm"),
                java.util.Map.of("hw_rng_model", "egd"))) {
            String key = bad.keySet().iterator().next();
            org.tether.error.TetherException e = org.junit.jupiter.api.Assertions.assertThrows(
                    org.tether.error.TetherException.class, () -> GuestHardware.from(bad));
            assertThat(e.field()).isEqualTo("boot_volume.volume_image_metadata." + key);
        }
        assertThat(GuestHardware.from(java.util.Map.of("os_distro", "debian", "hw_qemu_guest_agent", "yes")))
                .isEqualTo(GuestHardware.DEFAULT);
    }

    @Test
    void deviceIsReadBackFromTheDiskTarget() {
        assertThat(InstanceDomainXml.device(disk(DATA, "sdb", GuestDevice.Bus.SCSI)))
                .isEqualTo(new GuestDevice("sdb", GuestDevice.Bus.SCSI));
    }
}
