package org.tether.compute.migration;

import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MigrationXmlTest {
    private static final String DOMAIN = """
            <domain type='qemu'><name>vm</name><devices>
            <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/root.qcow2'/>
              <target dev='vda' bus='virtio'/><boot order='1'/><alias name='virtio-disk0'/></disk>
            <disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/>
              <source protocol='iscsi' name='iqn.a/1'><host name='10.0.0.1' port='3260'/>
                <initiator><iqn name='iqn.host-a'/></initiator></source>
              <auth username='user-a'><secret type='iscsi' uuid='11111111-1111-1111-1111-111111111111'/></auth>
              <target dev='sdb' bus='scsi'/><iotune><total_iops_sec>100</total_iops_sec></iotune>
              <serial>vol</serial><boot order='2'/><alias name='ua-vol'/>
              <address type='drive' controller='0' bus='0' target='0' unit='1'/></disk>
            </devices></domain>""";

    private static final String DEST_DISK = """
            <disk type='network' device='disk'><driver name='qemu' type='raw' cache='none'/>
              <source protocol='iscsi' name='iqn.b/1'><host name='10.0.0.2' port='3260'/>
                <initiator><iqn name='iqn.host-b'/></initiator></source>
              <auth username='user-b'><secret type='iscsi' uuid='22222222-2222-2222-2222-222222222222'/></auth>
              <target dev='sdb' bus='scsi'/><iotune><total_iops_sec>200</total_iops_sec></iotune>
              <serial>vol</serial><alias name='ua-vol'/></disk>""";

    @Test
    void replacesTetherDisksByAliasKeepingWhatTheGuestSees() {
        String out = MigrationXml.rewrite(DOMAIN, Map.of("ua-vol", DEST_DISK), true);
        assertThat(out).contains("iqn.b/1", "10.0.0.2", "iqn.host-b", "user-b", "22222222-2222-2222-2222-222222222222",
                "<total_iops_sec>200</total_iops_sec>");
        assertThat(out).doesNotContain("iqn.a/1", "user-a", "iqn.host-a", "11111111-1111-1111-1111-111111111111");
        // the drive address, the boot order and the alias are the source's, each once
        assertThat(out).contains("unit=\"1\"").contains("<boot order=\"2\"/>");
        assertThat(out.split("name=\"ua-vol\"", -1)).hasSize(2);
        // a disk Tether does not manage is left as it was
        assertThat(out).contains("/var/lib/root.qcow2").contains("<boot order=\"1\"/>");
        assertThat(MigrationXml.diskAliases(out)).containsExactly("virtio-disk0", "ua-vol");
    }

    @Test
    void aRunningDefinitionWithoutTheDiskIsRefusedAPersistentOneIsLeft() {
        Map<String, String> disks = Map.of("ua-other", DEST_DISK);
        assertThatThrownBy(() -> MigrationXml.rewrite(DOMAIN, disks, true)).isInstanceOf(TetherException.class)
                .satisfies(e -> assertThat(((TetherException) e).code()).isEqualTo(ErrorCode.MIGRATION_UNSUPPORTED))
                .hasMessageContaining("ua-other");
        assertThat(MigrationXml.rewrite(DOMAIN, disks, false)).contains("iqn.a/1");
    }

    @Test
    void aDoctypeIsNeverExpanded() {
        String evil = "<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain><devices/></domain>";
        assertThatThrownBy(() -> MigrationXml.rewrite(evil, Map.of(), true)).isInstanceOf(TetherException.class);
    }
}
