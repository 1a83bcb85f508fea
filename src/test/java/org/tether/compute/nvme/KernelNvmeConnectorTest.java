package org.tether.compute.nvme;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.compute.iscsi.Blockdev;
import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.disk.DiskSource;
import org.tether.disk.GuestDevice;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.NvmeofConnectionInfo;
import org.tether.connection.Portal;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;
import org.tether.qos.QosSpec;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The connector's decisions on a sysfs tree that nvme-cli (faked here) fills as the kernel does; the real run is the test-host VM. */
class KernelNvmeConnectorTest {
    private static final UUID VOL = UUID.fromString("8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2");
    private static final String NQN = "nqn.2010-10.org.openstack:volume-" + VOL;
    private static final Portal PORTAL = new Portal("127.0.0.1", 4420);

    @TempDir
    Path dir;
    private Path sys;
    private final List<List<String>> calls = new ArrayList<>();
    private boolean namespaceAppears = true;
    private boolean subsystemDisconnectWorks = true;
    private AttachmentJournal journal;
    private KernelNvmeConnector connector;

    @BeforeEach
    void setUp() throws Exception {
        sys = dir.resolve("sys");
        Files.createDirectories(sys.resolve("class/nvme-fabrics/ctl"));
        Files.createDirectories(sys.resolve("block"));
        CommandRunner fake = command -> {
            calls.add(command.argv());
            if (command.argv().get(1).equals("connect")) {
                makeController("nvme0");
                if (namespaceAppears) {
                    makeHead("nvme0n1", VOL);
                }
            } else if (command.argv().get(1).equals("disconnect")
                    && (subsystemDisconnectWorks || !command.argv().get(2).startsWith("--nqn="))) {
                delete(sys.resolve("class/nvme-fabrics/ctl/nvme0"));
            }
            return new CommandResult(command, 0, "", "", Duration.ZERO);
        };
        journal = new AttachmentJournal(dir.resolve("journal"));
        NvmeHostIdentity identity = new NvmeHostIdentity(dir.resolve("etc/hostnqn"), dir.resolve("etc/hostid"));
        connector = new KernelNvmeConnector(new NvmeCli(fake, "nvme", Duration.ofSeconds(5)), new NvmeSysfs(sys),
                identity, new Blockdev(fake, Duration.ofSeconds(5)), journal, Path.of("/dev"), Duration.ofMillis(300),
                Duration.ofMillis(100));
    }

    private void makeController(String name) {
        try {
            Path c = Files.createDirectories(sys.resolve("class/nvme-fabrics/ctl").resolve(name));
            Files.writeString(c.resolve("subsysnqn"), NQN);
            Files.writeString(c.resolve("transport"), "tcp");
            Files.writeString(c.resolve("address"), "traddr=127.0.0.1,trsvcid=4420,src_addr=127.0.0.1");
            Files.writeString(c.resolve("state"), "live");
            Files.createDirectories(sys.resolve("class/nvme").resolve(name));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void makeHead(String name, UUID uuid) {
        try {
            Path b = Files.createDirectories(sys.resolve("block").resolve(name).resolve("device"));
            Files.writeString(b.resolve("subsysnqn"), NQN);
            Files.writeString(b.getParent().resolve("uuid"), uuid.toString());
            Files.writeString(b.getParent().resolve("nsid"), "10");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void delete(Path p) {
        p.toFile().listFiles(f -> f.delete());
        p.toFile().delete();
    }

    private static NvmeofConnectionInfo info() {
        return new NvmeofConnectionInfo(VOL, NQN, List.of(PORTAL), VOL, 10L, new ConnectionInfo.VolumeOptions(
                ConnectionInfo.AccessMode.RW, false, ConnectionInfo.BlockSizes.NONE, QosSpec.NONE));
    }

    @Test
    void connectsWithTheKeptHostNqnAndFindsTheHeadByItsUuid() {
        ConnectedVolume c = connector.connect("k", VOL, info());
        assertThat(c.hostDevice()).isEqualTo("/dev/nvme0n1");
        assertThat(c.source()).isEqualTo(new DiskSource.BlockDevice("/dev/nvme0n1"));
        assertThat(c.scsiDevices()).containsExactly("nvme0");
        List<String> connect = calls.get(0);
        String hostNqn = connect.stream().filter(a -> a.startsWith("--hostnqn=")).findFirst().orElseThrow();
        assertThat(connect).contains("connect", "--transport=tcp", "--traddr=127.0.0.1", "--trsvcid=4420",
                "--nqn=" + NQN, "--ctrl-loss-tmo=-1");
        assertThat(hostNqn).startsWith("--hostnqn=nqn.2014-08.org.nvmexpress:uuid:");
    }

    @Test
    void aLiveControllerIsRescannedNotConnectedAgain() throws Exception {
        makeController("nvme0");
        makeHead("nvme0n1", VOL);
        assertThat(connector.connect("k", VOL, info()).hostDevice()).isEqualTo("/dev/nvme0n1");
        assertThat(calls).isEmpty();
        assertThat(Files.readString(sys.resolve("class/nvme/nvme0/rescan_controller"))).isEqualTo("1");
    }

    @Test
    void aNamespaceThatNeverAppearsLeavesNoControllerBehind() {
        namespaceAppears = false;
        assertThatThrownBy(() -> connector.connect("k", VOL, info())).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NVME_DEVICE_NOT_FOUND));
        assertThat(calls.get(calls.size() - 1)).contains("disconnect", "--device=nvme0");
        assertThat(sys.resolve("class/nvme-fabrics/ctl/nvme0")).doesNotExist();
    }

    @Test
    void theControllerStaysWhileAnotherAttachmentUsesTheSubsystem() {
        ConnectedVolume mine = connector.connect("k", VOL, info());
        journal.put(record(UUID.randomUUID(), "/dev/nvme0n2"));
        connector.disconnect(info().paths(), mine);
        assertThat(calls).noneMatch(c -> c.contains("disconnect"));

        journal.all().forEach(journal::remove);
        connector.disconnect(info().paths(), mine);
        assertThat(calls).anyMatch(c -> c.contains("disconnect") && c.contains("--nqn=" + NQN));
        assertThat(sys.resolve("class/nvme-fabrics/ctl/nvme0")).doesNotExist();
    }

    @Test
    void aControllerTheSubsystemDisconnectLeftIsRemovedByItself() {
        ConnectedVolume mine = connector.connect("k", VOL, info());
        subsystemDisconnectWorks = false;
        connector.disconnect(info().paths(), mine);
        assertThat(calls.get(calls.size() - 2)).contains("disconnect", "--nqn=" + NQN);
        assertThat(calls.get(calls.size() - 1)).contains("disconnect", "--device=nvme0");
        assertThat(sys.resolve("class/nvme-fabrics/ctl/nvme0")).doesNotExist();
    }

    /** A connector whose /dev is a directory of this test, where udev's links are made by hand. */
    private KernelNvmeConnector withDev(Path dev) {
        CommandRunner fake = command -> {
            calls.add(command.argv());
            return new CommandResult(command, 0, "", "", Duration.ZERO);
        };
        return new KernelNvmeConnector(new NvmeCli(fake, "nvme", Duration.ofSeconds(5)), new NvmeSysfs(sys),
                new NvmeHostIdentity(dir.resolve("etc/hostnqn"), dir.resolve("etc/hostid")),
                new Blockdev(fake, Duration.ofSeconds(5)), journal, dev, Duration.ofMillis(300), Duration.ofMillis(100));
    }

    @Test
    void theDomainGetsUdevsByIdLinkOfTheHeadNotTheHeadsNumberedName() throws Exception {
        makeController("nvme0");
        makeHead("nvme1n1", VOL);
        Files.writeString(sys.resolve("block/nvme1n1/wwid"), "uuid." + VOL);
        Files.writeString(sys.resolve("block/nvme1n1/size"), "2097152");
        Path dev = Files.createDirectories(dir.resolve("dev"));
        Files.createFile(dev.resolve("nvme1n1"));
        Path link = Files.createDirectories(dev.resolve("disk/by-id")).resolve("nvme-uuid." + VOL);
        Files.createSymbolicLink(link, Path.of("../../nvme1n1"));

        ConnectedVolume c = withDev(dev).connect("k", VOL, info());
        assertThat(c.hostDevice()).isEqualTo(link.toString());
        assertThat(c.source()).isEqualTo(new DiskSource.BlockDevice(link.toString()));
        // the size is read from the head behind the link
        assertThat(withDev(dev).refreshSize(c)).hasValue(1L << 30);
    }

    @Test
    void aByIdLinkThatPointsAtAnotherHeadIsNotTaken() throws Exception {
        makeController("nvme0");
        makeHead("nvme1n1", VOL);
        Files.writeString(sys.resolve("block/nvme1n1/wwid"), "uuid." + VOL);
        Path dev = Files.createDirectories(dir.resolve("dev"));
        Files.createFile(dev.resolve("nvme1n1"));
        Files.createFile(dev.resolve("nvme2n1"));
        Files.createSymbolicLink(Files.createDirectories(dev.resolve("disk/by-id")).resolve("nvme-uuid." + VOL),
                Path.of("../../nvme2n1"));

        assertThat(withDev(dev).connect("k", VOL, info()).hostDevice()).isEqualTo(dev.resolve("nvme1n1").toString());
    }

    private static AttachmentRecord record(UUID vol, String device) {
        return new AttachmentRecord(vol, "d", AttachmentRecord.Phase.ATTACHED, AttachPath.KERNEL, "nvmeof",
                info().paths(), new GuestDevice("sdb", GuestDevice.Bus.SCSI), false,
                new ConnectedVolume(new DiskSource.BlockDevice(device), device, List.of("nvme0"), null, null),
                "<disk/>", List.of(), "f", Instant.EPOCH, Instant.EPOCH, null);
    }

}
