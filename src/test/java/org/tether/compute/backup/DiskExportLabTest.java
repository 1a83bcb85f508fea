package org.tether.compute.backup;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.storage.volume.BlockReader;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A running domain's disk exported as it was at one instant, against real libvirt and QEMU: the guest's writes
 * during the export (made through QEMU's own block layer, as a guest's are) do not show in it, what was never
 * written is not read, and the job and its files are gone once it ends.
 */
@QuarkusTest
class DiskExportLabTest {
    private static final int MIB = 1 << 20;

    @Inject
    Hypervisor hypervisor;

    private Path dir;
    private Path disk;
    private TestDomain dom;
    private byte[] content;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-export");
        disk = dir.resolve("disk.raw");
        content = new byte[64 * MIB];
        Random r = new Random(3);
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(content.length);
            for (int at : new int[] {MIB, 40 * MIB}) {
                byte[] b = new byte[2 * MIB];
                r.nextBytes(b);
                f.seek(at);
                f.write(b);
                System.arraycopy(b, 0, content, at, b.length);
            }
        }
        dom = TestDomain.create(TestDomain.Kind.RUNNING);
        Host.virsh("attach-disk", dom.name, disk.toString(), "sdb", "--driver", "qemu", "--subdriver", "raw",
                "--targetbus", "scsi", "--live");
    }

    @AfterEach
    void tearDown() throws Exception {
        dom.close();
        Host.exec("rm", "-rf", dir.toString());
    }

    /** A write as the guest makes it: through the disk's device in QEMU, above the backup's copy-before-write. */
    private void guestWrites(int pattern, long offset, int length) {
        String alias = hypervisor.liveXml(dom.name).disks().stream().filter(d -> "sdb".equals(d.targetDev()))
                .map(DiskXml::aliasName).findFirst().orElseThrow();
        dom.hmp("qemu-io -d " + alias + " \"write -P " + pattern + " " + offset + " " + length + "\"");
    }

    @Test
    void theExportIsTheInstantItBeganWhileTheGuestWritesOn() throws Exception {
        UUID id = UUID.randomUUID();
        Path files = dir.resolve("backups");
        try (DiskExport export = DiskExport.begin(hypervisor, dom.name, "sdb", files, id, true)) {
            assertThat(export.quiesced()).isFalse(); // no guest agent: crash-consistent, and said so
            assertThat(export.size()).isEqualTo(content.length);
            assertThat(export.allocated()).isBetween(4L * MIB, 8L * MIB); // the two writes, not the 64 MiB
            assertThat(hypervisor.backupJob(dom.name)).get().asString().contains(id + ".sock");

            guestWrites(0x55, MIB, 64 << 10); // over data
            guestWrites(0x66, 20L * MIB, 64 << 10); // into what was never written
            byte[] now = new byte[4];
            try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "r")) {
                f.seek(MIB);
                f.readFully(now);
            }
            assertThat(now).containsOnly((byte) 0x55); // the disk has it

            BlockReader reader = export.reader();
            assertThat(reader.hasData(20L * MIB, MIB)).isFalse(); // allocated after the instant: not the export's
            assertThat(reader.hasData(0, MIB)).isFalse();
            assertThat(reader.hasData(MIB, 4096)).isTrue();
            byte[] chunk = new byte[4 * MIB];
            for (int at = 0; at < content.length; at += chunk.length) {
                if (reader.hasData(at, chunk.length)) {
                    reader.read(at, chunk, chunk.length);
                    assertThat(chunk).as("at %d", at).isEqualTo(Arrays.copyOfRange(content, at, at + chunk.length));
                }
            }
            assertThat(Files.exists(DiskExport.scratch(files, id))).isTrue(); // the old data the guest overwrote

            assertThatThrownBy(() -> DiskExport.begin(hypervisor, dom.name, "sdb", files, UUID.randomUUID(), false))
                    .isInstanceOfSatisfying(TetherException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_BUSY));
        }
        assertThat(hypervisor.backupJob(dom.name)).isEmpty();
        assertThat(DiskExport.scratch(files, id)).doesNotExist();
        assertThat(DiskExport.socket(files, id)).doesNotExist();
    }

    @Test
    void aJobLeftByADeadAgentIsEndedOnlyWhenItIsOurs() throws Exception {
        Path files = dir.resolve("backups");
        UUID id = UUID.randomUUID();
        DiskExport left = DiskExport.begin(hypervisor, dom.name, "sdb", files, id, false); // never closed: "killed"
        DiskExport.end(hypervisor, dom.name, DiskExport.socket(files, UUID.randomUUID()),
                DiskExport.scratch(files, UUID.randomUUID()));
        assertThat(hypervisor.backupJob(dom.name)).isPresent(); // another backup's: left alone
        DiskExport.end(hypervisor, dom.name, DiskExport.socket(files, id), DiskExport.scratch(files, id));
        assertThat(hypervisor.backupJob(dom.name)).isEmpty();
        assertThat(DiskExport.scratch(files, id)).doesNotExist();
        left.close(); // the export was gone already: closing is harmless
    }

    @Test
    void refusedWithoutTouchingAnything() throws Exception {
        Path files = dir.resolve("backups");
        assertThatThrownBy(() -> DiskExport.begin(hypervisor, dom.name, "sdz", files, UUID.randomUUID(), false))
                .isInstanceOfSatisfying(TetherException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ATTACHMENT_NOT_FOUND));
        Host.virsh("destroy", dom.name);
        assertThatThrownBy(() -> DiskExport.begin(hypervisor, dom.name, "sdb", files, UUID.randomUUID(), false))
                .isInstanceOfSatisfying(TetherException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.BACKUP_UNSUPPORTED));
        assertThat(hypervisor.backupJob(dom.name)).isEmpty();
    }
}
