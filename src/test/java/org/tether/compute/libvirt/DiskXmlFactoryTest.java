package org.tether.compute.libvirt;

import org.tether.disk.DiskSource;
import org.tether.disk.GuestDevice;
import org.junit.jupiter.api.Test;
import org.tether.connection.ConnectionInfo.AccessMode;
import org.tether.connection.ConnectionInfo.BlockSizes;
import org.tether.connection.ConnectionInfo.VolumeOptions;
import org.tether.connection.Portal;
import org.tether.qos.QosKey;
import org.tether.qos.QosSpec;
import org.xmlunit.builder.DiffBuilder;
import org.xmlunit.diff.Diff;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class DiskXmlFactoryTest {
    private static final UUID VOL = UUID.fromString("8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2");
    private static final String IQN = "iqn.2010-10.org.openstack:volume-" + VOL;

    private static String golden(String name) throws IOException {
        try (InputStream in = DiskXmlFactoryTest.class.getResourceAsStream("/disk-xml/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void assertSameXml(String actual, String expected) {
        Diff diff = DiffBuilder.compare(expected).withTest(actual).ignoreWhitespace().checkForIdentical().build();
        assertThat(diff.hasDifferences()).as(diff + "\n" + actual).isFalse();
    }

    @Test
    void networkDiskWithChapSecretAndQos() throws IOException {
        QosSpec qos = new QosSpec(Map.of(QosKey.TOTAL_IOPS_SEC_MAX_LENGTH, 5L, QosKey.TOTAL_IOPS_SEC, 500L,
                QosKey.TOTAL_IOPS_SEC_MAX, 1000L, QosKey.TOTAL_BYTES_SEC, 10485760L), "gold", List.of());
        DiskSource source = new DiskSource.NetworkIscsi(IQN, 1, List.of(new Portal("10.0.0.1", 3260)),
                "nE9PY8juynmmZ95F7Xb7", "tether/" + VOL + "@instance-0000002a",
                "iqn.1993-08.org.debian:01:a41db8382266");
        String xml = LibvirtXml.write(DiskXmlFactory.build(VOL, source,
                new GuestDevice("vdb", GuestDevice.Bus.VIRTIO),
                new VolumeOptions(AccessMode.RW, true, BlockSizes.NONE, qos), false));
        assertSameXml(xml, golden("network-chap-qos.xml"));
    }

    /**
     * What Nova's libvirt driver writes for a Cinder RBD volume (LibvirtNetVolumeDriver, protocol rbd): one
     * host per monitor, cephx by secret UUID, no io mode (QEMU's rbd driver has none).
     */
    @Test
    void rbdDiskWithCephxSecretAndQos() throws IOException {
        QosSpec qos = new QosSpec(Map.of(QosKey.TOTAL_IOPS_SEC, 300L), null, List.of());
        DiskSource source = new DiskSource.NetworkRbd("volumes", "volume-" + VOL,
                List.of(new Portal("10.0.0.11", 6789), new Portal("fd00::12", 3300)), "cinder",
                UUID.fromString("457eb676-33da-42ec-9a8c-9293d545c337"), "/var/lib/tether/ceph/librbd.conf");
        String xml = LibvirtXml.write(DiskXmlFactory.build(VOL, source, new GuestDevice("sdb", GuestDevice.Bus.SCSI),
                new VolumeOptions(AccessMode.RW, true, BlockSizes.NONE, qos), false));
        assertSameXml(xml, golden("network-rbd-cephx.xml"));
    }

    @Test
    void blockDiskReadOnlyShareableWithBlockSizes() throws IOException {
        DiskSource source = new DiskSource.BlockDevice("/dev/disk/by-path/ip-10.0.0.1:3260-iscsi-" + IQN + "-lun-0");
        String xml = LibvirtXml.write(DiskXmlFactory.build(VOL, source, new GuestDevice("sdc", GuestDevice.Bus.SCSI),
                new VolumeOptions(AccessMode.RO, false, new BlockSizes(512, 4096), QosSpec.NONE), true));
        assertSameXml(xml, golden("block-readonly-shareable.xml"));
    }

    @Test
    void valuesAreEscapedNotConcatenated() {
        DiskSource source = new DiskSource.NetworkIscsi(IQN, 1, List.of(new Portal("10.0.0.1", 3260)),
                "user\"/><evil/>", "usage<&>", null);
        String xml = LibvirtXml.write(DiskXmlFactory.build(VOL, source, new GuestDevice("vdb", GuestDevice.Bus.VIRTIO),
                new VolumeOptions(AccessMode.RW, false, BlockSizes.NONE, QosSpec.NONE), false));
        assertThat(xml).doesNotContain("<evil/>").contains("&lt;&amp;&gt;").contains("&quot;");
    }

    @Test
    void readsDisksBackFromDomainXml() {
        DomainXml dom = LibvirtXml.readDomain("""
                <domain type='qemu' id='3'><name>d1</name><devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <disk type='network' device='disk'><driver name='qemu' type='raw'/>
                <source protocol='iscsi' name='iqn.2010-10.org.openstack:volume-x/1' index='1'>
                <host name='127.0.0.1' port='3260'/></source><target dev='sda' bus='scsi'/>
                <serial>abc</serial><alias name='ua-abc'/><address type='drive' controller='0'/></disk>
                <controller type='scsi' index='0' model='virtio-scsi'/></devices></domain>""");
        assertThat(dom.disks()).hasSize(1);
        assertThat(dom.disks().get(0).targetDev()).isEqualTo("sda");
        assertThat(dom.disks().get(0).aliasName()).isEqualTo("ua-abc");
        assertThat(dom.disks().get(0).source.hosts.get(0).port).isEqualTo("3260");
    }

    /** A running domain's live XML carries its id; a defined one that is shut off has none (libvirt writes -1 as none). */
    @Test
    void aDomainRunsWhenItsLiveXmlHasAnId() {
        assertThat(LibvirtXml.readDomain("<domain type='qemu' id='3'><name>d1</name></domain>").running()).isTrue();
        assertThat(LibvirtXml.readDomain("<domain type='qemu'><name>d1</name></domain>").running()).isFalse();
        assertThat(LibvirtXml.readDomain("<domain type='qemu' id='-1'><name>d1</name></domain>").running()).isFalse();
    }

    @Test
    void refusesDoctypesSoNoExternalEntityIsRead() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LibvirtXml.readDomain(
                "<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain><name>&x;</name></domain>"))
                .isInstanceOf(org.tether.error.TetherException.class);
    }

    /**
     * A disk that moved onto an RBD image keeps its target, serial, alias and QoS; its source, credentials and io mode
     * are the new volume's; and the element compares as reading from the new source only.
     */
    @Test
    void aMovedDiskKeepsEverythingButWhereItReads() {
        QosSpec qos = new QosSpec(Map.of(QosKey.TOTAL_IOPS_SEC, 900L), null, List.of());
        DiskSource iscsi = new DiskSource.NetworkIscsi(IQN, 1, List.of(new Portal("10.0.0.1", 3260)), "user",
                "tether/" + VOL + "@d", null);
        DiskSource rbd = new DiskSource.NetworkRbd("volumes", "volume-" + VOL, List.of(new Portal("10.0.0.11", 6789)),
                "cinder", UUID.fromString("0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11"), null);
        VolumeOptions options = new VolumeOptions(AccessMode.RW, false, BlockSizes.NONE, qos);
        DiskXml before = DiskXmlFactory.build(VOL, iscsi, new GuestDevice("sda", GuestDevice.Bus.SCSI), options, false);
        DiskXml onRbd = DiskXmlFactory.build(VOL, rbd, new GuestDevice("vdz", GuestDevice.Bus.VIRTIO), options, false);
        assertThat(DiskXmlFactory.sameSource(before, onRbd)).isFalse();

        DiskXml moved = DiskXmlFactory.withSource(LibvirtXml.readDisk(LibvirtXml.write(before)), rbd);
        String xml = LibvirtXml.write(moved);
        assertThat(DiskXmlFactory.sameSource(moved, onRbd)).isTrue();
        assertThat(moved.targetDev()).isEqualTo("sda");
        assertThat(moved.serial).isEqualTo(VOL.toString());
        assertThat(moved.aliasName()).isEqualTo(DiskXmlFactory.alias(VOL));
        assertThat(moved.driver.io).as("QEMU's rbd driver has no io mode").isNull();
        assertThat(xml).contains("<total_iops_sec>900</total_iops_sec>").contains("protocol=\"rbd\"")
                .contains("type=\"ceph\"").doesNotContain(IQN).doesNotContain("usage=");

        DiskXml back = DiskXmlFactory.withSource(moved, iscsi);
        assertThat(DiskXmlFactory.sameSource(back, before)).isTrue();
        assertThat(back.driver.io).isEqualTo("native");
        assertThat(LibvirtXml.write(back)).doesNotContain("ceph");
    }
}
