package org.tether.compute.iscsi;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.disk.ConnectedVolume;
import org.tether.connection.ChapCredentials;
import org.tether.connection.ConnectionInfo.AccessMode;
import org.tether.connection.ConnectionInfo.BlockSizes;
import org.tether.connection.ConnectionInfo.VolumeOptions;
import org.tether.connection.IscsiConnectionInfo;
import org.tether.connection.IscsiPath;
import org.tether.connection.Portal;
import org.tether.disk.DiskSource;
import org.tether.qos.QosSpec;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Decisions of the kernel path against a recorded-style sysfs tree and open-iscsi's exit codes. */
class KernelIscsiConnectorTest {
    private static final String IQN = "iqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2";
    private static final Portal P1 = new Portal("10.0.0.1", 3260);
    private static final Portal P2 = new Portal("10.0.0.2", 3260);
    private static final String PASSWORD = "YZ2Hceyh7VySh5HY";
    private static final ChapCredentials CHAP = new ChapCredentials("nE9PY8juynmmZ95F7Xb7", PASSWORD, null, null);

    @TempDir
    Path root;
    private FakeIscsiHost host;

    @BeforeEach
    void setUp() {
        host = new FakeIscsiHost(root);
        host.targetLuns.put(IQN, new java.util.HashSet<>(List.of(0, 1)));
        host.targetPasswords.put(IQN, PASSWORD);
    }

    private KernelIscsiConnector connector(boolean multipath, Duration deviceTimeout) {
        ScsiSysfs sysfs = host.sysfs();
        Iscsiadm iscsiadm = new Iscsiadm(host, "iscsiadm", Duration.ofSeconds(5));
        IscsiPathAttacher paths = new IscsiPathAttacher(iscsiadm, sysfs, new Blockdev(host, Duration.ofSeconds(5)),
                host.dev, deviceTimeout, Duration.ZERO);
        return new KernelIscsiConnector(iscsiadm, paths, new Multipath(host, sysfs, Duration.ofSeconds(5), deviceTimeout), sysfs,
                multipath);
    }

    private KernelIscsiConnector connector() {
        return connector(false, Duration.ofSeconds(2));
    }

    private static IscsiConnectionInfo info(ChapCredentials chap, int lun, Portal... portals) {
        List<IscsiPath> paths = java.util.Arrays.stream(portals).map(p -> new IscsiPath(p, IQN, lun)).toList();
        return new IscsiConnectionInfo(null, paths, chap, null, false, IscsiConnectionInfo.AddressingMode.SAM2,
                new VolumeOptions(AccessMode.RW, false, BlockSizes.NONE, QosSpec.NONE));
    }

    private ConnectedVolume connect(KernelIscsiConnector c, IscsiConnectionInfo info) {
        return c.connect("k", UUID.randomUUID(), info);
    }

    @Test
    void connectCreatesNodeWithManualScanLogsInAndScansOnlyTheLun() throws Exception {
        ConnectedVolume v = connect(connector(), info(CHAP, 1, P1));

        assertThat(v.scsiDevices()).containsExactly("sdb");
        assertThat(v.source()).isEqualTo(new DiskSource.BlockDevice(host.dev.resolve("sdb").toString()));
        assertThat(host.nodes.get("10.0.0.1:3260," + IQN))
                .containsEntry("node.session.scan", "manual")
                .containsEntry("node.session.auth.authmethod", "CHAP")
                .containsEntry("node.startup", "automatic");
        // manual scanning: the first LUN is probed with channel/target wildcards, only that LUN
        assertThat(host.scans).containsExactly("host2:- - 1");
        assertThat(host.argvs()).containsSubsequence(
                "iscsiadm -m node -T " + IQN + " -p 10.0.0.1:3260 --interface default --op new",
                "iscsiadm -m node -T " + IQN + " -p 10.0.0.1:3260 --login");
        assertThat(host.argvs().stream().filter(a -> a.startsWith("iscsiadm -m node")).count())
                .as("one process creates the record, one writes every setting, one logs in").isEqualTo(3);
    }

    @Test
    void theStableByPathNameIsPreferredWhenUdevMadeIt() throws Exception {
        Path byPath = host.dev.resolve("disk/by-path/ip-10.0.0.1:3260-iscsi-" + IQN + "-lun-1");
        Files.createDirectories(byPath.getParent());
        Files.writeString(byPath, "");
        assertThat(connect(connector(), info(CHAP, 1, P1)).hostDevice()).isEqualTo(byPath.toString());
    }

    @Test
    void anExistingSessionIsReusedWithoutASecondLogin() {
        KernelIscsiConnector c = connector();
        connect(c, info(CHAP, 0, P1));
        int logins = (int) host.argvs().stream().filter(a -> a.endsWith("--login")).count();
        ConnectedVolume second = connect(c, info(CHAP, 1, P1));
        assertThat(second.scsiDevices()).containsExactly("sdc");
        // once the target exists, later LUNs are probed at its channel and target
        assertThat(host.scans).containsExactly("host2:- - 0", "host2:0 0 1");
        assertThat(host.argvs().stream().filter(a -> a.endsWith("--login")).count()).isEqualTo(logins);
    }

    @Test
    void passwordsNeverAppearInAnyCommandDisplay() {
        connect(connector(), info(CHAP, 1, P1));
        assertThat(host.displays()).noneMatch(d -> d.contains(PASSWORD));
        assertThat(host.displays()).anyMatch(d -> d.endsWith("node.session.auth.password -v ***"));
    }

    @Test
    void wrongPasswordFailsClearlyAndLeavesNoSessionOrNodeRecord() {
        ChapCredentials wrong = new ChapCredentials("nE9PY8juynmmZ95F7Xb7", "wrong-password-1", null, null);
        assertThatThrownBy(() -> connect(connector(), info(wrong, 1, P1, P2)))
                .isInstanceOfSatisfying(TetherException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ISCSI_AUTH_FAILED));
        assertThat(host.sessions).isEmpty();
        assertThat(host.nodes).isEmpty();
        // authentication failure is not retried on the next portal of the same target
        assertThat(host.argvs()).noneMatch(a -> a.contains("10.0.0.2"));
        // the record holds the right name, so the refusal is the password's: no second failed login
        assertThat(host.argvs()).filteredOn(a -> a.contains("--login")).hasSize(1);
    }

    @Test
    void aRefusalWithTheChapNameMissingFromTheRecordIsRetriedOnceWithTheRecordWrittenAgain() {
        host.loseNextWriteOf = "node.session.auth.username";
        connect(connector(), info(CHAP, 1, P1));
        assertThat(host.sessions).hasSize(1);
        assertThat(host.argvs()).filteredOn(a -> a.contains("--login")).hasSize(2);
        assertThat(host.argvs()).filteredOn(a -> a.contains("node.session.auth.username")).hasSize(2);
    }

    @Test
    void aLunThatNeverAppearsTimesOutAndLogsOutAgain() {
        host.kernelCreatesDisks = false;
        assertThatThrownBy(() -> connect(connector(false, Duration.ofMillis(300)), info(CHAP, 1, P1)))
                .isInstanceOfSatisfying(TetherException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ISCSI_DEVICE_NOT_FOUND));
        assertThat(host.sessions).isEmpty();
        assertThat(host.nodes).isEmpty();
    }

    @Test
    void singlePathMovesToTheNextPortalWhenOneIsDown() {
        host.deadPortals.add("10.0.0.1:3260");
        ConnectedVolume v = connect(connector(), info(CHAP, 1, P1, P2));
        assertThat(host.sessions).containsOnlyKeys("10.0.0.2:3260," + IQN);
        assertThat(host.nodes).containsOnlyKeys("10.0.0.2:3260," + IQN);
        assertThat(v.scsiDevices()).hasSize(1);
    }

    @Test
    void detachLogsOutOnlyWhenLastLunOnSession() {
        KernelIscsiConnector c = connector();
        ConnectedVolume lun0 = connect(c, info(CHAP, 0, P1));
        ConnectedVolume lun1 = connect(c, info(CHAP, 1, P1));
        List<IscsiPath> paths0 = List.of(new IscsiPath(P1, IQN, 0));

        c.disconnect(paths0, lun0);
        assertThat(host.sessions).hasSize(1);
        assertThat(host.argvs()).noneMatch(a -> a.endsWith("--logout"));
        assertThat(host.argvs()).contains("blockdev --flushbufs " + host.dev.resolve("sdb"));
        assertThat(host.sys.resolve("block/sdb")).doesNotExist();

        c.disconnect(List.of(new IscsiPath(P1, IQN, 1)), lun1);
        assertThat(host.sessions).isEmpty();
        assertThat(host.nodes).isEmpty();
    }

    @Test
    void disconnectIsSafeToRepeat() {
        KernelIscsiConnector c = connector();
        ConnectedVolume v = connect(c, info(CHAP, 1, P1));
        List<IscsiPath> paths = List.of(new IscsiPath(P1, IQN, 1));
        c.disconnect(paths, v);
        c.disconnect(paths, v);
        assertThat(host.sessions).isEmpty();
    }

    @Test
    void multipathLogsInToEveryPortalAndUsesTheMap() {
        host.multipathMap = "mpatha";
        KernelIscsiConnector c = connector(true, Duration.ofSeconds(2));
        ConnectedVolume v = connect(c, info(CHAP, 1, P1, P2));
        assertThat(v.hostDevice()).isEqualTo("/dev/mapper/mpatha");
        assertThat(v.scsiDevices()).containsExactly("sdb", "sdc");
        assertThat(host.sessions).hasSize(2);

        c.disconnect(List.of(new IscsiPath(P1, IQN, 1), new IscsiPath(P2, IQN, 1)), v);
        List<String> argvs = host.argvs();
        int flushMap = argvs.indexOf("multipath -f mpatha");
        assertThat(flushMap).isGreaterThanOrEqualTo(0);
        assertThat(flushMap).isLessThan(argvs.indexOf("blockdev --flushbufs " + host.dev.resolve("sdb")));
        assertThat(host.sessions).isEmpty();
    }

    @Test
    void multipathSurvivesOneDeadLeg() {
        host.multipathMap = "mpathb";
        host.deadPortals.add("10.0.0.2:3260");
        ConnectedVolume v = connect(connector(true, Duration.ofSeconds(2)), info(CHAP, 1, P1, P2));
        assertThat(v.scsiDevices()).containsExactly("sdb");
        assertThat(v.multipathMap()).isEqualTo("mpathb");
    }

    @Test
    void extendOfAMultipathVolumeRescansTheMapsLivePathsEvenAfterALegWasLost() {
        host.multipathMap = "mpathc";
        KernelIscsiConnector c = connector(true, Duration.ofSeconds(2));
        ConnectedVolume v = connect(c, info(CHAP, 1, P1, P2));
        assertThat(v.scsiDevices()).containsExactly("sdb", "sdc");
        host.loseDisk("sdb");
        host.lunSectors = 4096;

        assertThat(c.refreshSize(v)).hasValue(4096L * 512);
        List<String> argvs = host.argvs();
        assertThat(argvs).contains("multipathd resize map mpathc");
        host.loseDisk("sdc");
        assertThatThrownBy(() -> c.refreshSize(v)).isInstanceOf(TetherException.class)
                .hasMessageContaining("mpathc has no paths");
    }

    @Test
    void multipathWithOnePortalDiscoversTheOthersWithDiscoveryChap() {
        host.multipathMap = "mpathc";
        host.advertisedPortals.addAll(List.of("10.0.0.1:3260", "10.0.0.2:3260"));
        ChapCredentials discoveryChap = new ChapCredentials("disc-user", "disc-secret-12", null, null);
        IscsiConnectionInfo one = new IscsiConnectionInfo(null, List.of(new IscsiPath(P1, IQN, 1)), CHAP,
                discoveryChap, false, IscsiConnectionInfo.AddressingMode.SAM2,
                new VolumeOptions(AccessMode.RW, false, BlockSizes.NONE, QosSpec.NONE));
        ConnectedVolume v = connect(connector(true, Duration.ofSeconds(2)), one);
        assertThat(host.sessions).hasSize(2);
        assertThat(v.scsiDevices()).hasSize(2);
        assertThat(host.argvs()).anyMatch(a -> a.startsWith("iscsiadm -m discoverydb -t sendtargets -p 10.0.0.1:3260"
                + " --op update") && a.contains(" -n discovery.sendtargets.auth.username -v disc-user "));
        assertThat(host.displays()).noneMatch(d -> d.contains("disc-secret-12"));
    }

    @Test
    void parsesSendtargetsOutput() {
        assertThat(DiscoveredTarget.parseAll("10.0.0.1:3260,1 " + IQN + "\n[2001:db8::2]:3260,1 " + IQN
                + "\nnonsense\n")).containsExactly(new DiscoveredTarget(P1, IQN),
                new DiscoveredTarget(new Portal("2001:db8::2", 3260), IQN));
    }

    @Test
    void aConnectInterruptedBeforeItsDiskWasRecordedIsUndoneFromThePathsAlone() {
        KernelIscsiConnector c = connector();
        connect(c, info(CHAP, 1, P1));
        // what recovery knows after a crash between scan and journal write: the paths, no disk names
        c.disconnect(List.of(new IscsiPath(P1, IQN, 1)), new ConnectedVolume(null, null, null, null, null));
        assertThat(host.sys.resolve("block/sdb")).doesNotExist();
        assertThat(host.sessions).isEmpty();
        assertThat(host.nodes).isEmpty();
    }
}
