package org.tether.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import org.tether.connection.IscsiPath;
import org.tether.connection.Portal;
import org.tether.disk.DiskSource;
import org.tether.disk.GuestDevice;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class AttachmentJournalTest {
    @TempDir
    Path dir;

    private static AttachmentRecord record(UUID vol, String domain) {
        return new AttachmentRecord(vol, domain, AttachmentRecord.Phase.ATTACHED, AttachPath.KERNEL, "iscsi",
                List.of(new IscsiPath(new Portal("10.0.0.1", 3260), "iqn.2010-10.org.openstack:volume-" + vol, 0)),
                new GuestDevice("vdb", GuestDevice.Bus.VIRTIO), false,
                new ConnectedVolume(new DiskSource.BlockDevice("/dev/sdb"), "/dev/sdb", List.of("sdb"), null, null),
                "<disk/>", List.of("consumer"), "abc", Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2026-01-01T00:00:01Z"), null);
    }

    @Test
    void recordsSurviveARestartExactly() {
        UUID vol = UUID.randomUUID();
        AttachmentRecord r = record(vol, "instance-0000002a");
        new AttachmentJournal(dir).put(r);
        AttachmentJournal reopened = new AttachmentJournal(dir);
        assertThat(reopened.find(vol, "instance-0000002a")).contains(r);
        assertThat(reopened.all()).containsExactly(r);
    }

    @Test
    void filesArePrivateAndNoTemporaryIsLeft() throws Exception {
        new AttachmentJournal(dir).put(record(UUID.randomUUID(), "d1"));
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        try (var files = Files.list(dir)) {
            List<Path> all = files.toList();
            assertThat(all).hasSize(1);
            assertThat(all.get(0).toString()).endsWith(".json");
            assertThat(Files.getPosixFilePermissions(all.get(0))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void removeForgetsOnDiskToo() {
        AttachmentJournal j = new AttachmentJournal(dir);
        AttachmentRecord r = record(UUID.randomUUID(), "d1");
        j.put(r);
        j.remove(r);
        assertThat(new AttachmentJournal(dir).all()).isEmpty();
    }

    @Test
    void anUnreadableRecordIsKeptOnDiskNotDeleted() throws Exception {
        Files.writeString(dir.resolve("broken@d1.json"), "{not json");
        AttachmentJournal j = new AttachmentJournal(dir);
        assertThat(j.all()).isEmpty();
        assertThat(dir.resolve("broken@d1.json")).exists();
    }
}
