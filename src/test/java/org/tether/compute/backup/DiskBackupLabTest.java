package org.tether.compute.backup;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.disk.AttachPath;
import org.tether.disk.GuestDevice;
import org.tether.lab.Digests;
import org.tether.lab.Host;
import org.tether.lab.Operations;
import org.tether.lab.TestDomain;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backup of an attached volume from the running domain's disk, through the API, against real libvirt and QEMU:
 * what it stores is the disk at the instant it began (the guest writes on meanwhile), it lists and verifies as
 * any backup, restores byte for byte on the storage side, and says it is crash-consistent (no guest agent).
 */
@QuarkusTest
class DiskBackupLabTest {
    private static final int MIB = 1 << 20;
    private static final Path FILES = Path.of("target/test-files").toAbsolutePath();

    @Inject
    Hypervisor hypervisor;
    @Inject
    AttachmentJournal journal;
    @Inject
    DiskBackups disks;

    private Path dir;
    private Path disk;
    private TestDomain dom;
    private UUID volume;
    private AttachmentRecord record;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-disk-backup");
        disk = dir.resolve("disk.raw");
        volume = UUID.randomUUID();
        Random r = new Random(volume.getLeastSignificantBits()); // no chunk an earlier run stored
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(64L * MIB);
            for (int at : new int[] {3 * MIB, 50 * MIB}) {
                byte[] b = new byte[MIB + 4096];
                r.nextBytes(b);
                f.seek(at);
                f.write(b);
            }
        }
        dom = TestDomain.create(TestDomain.Kind.RUNNING);
        Host.virsh("attach-disk", dom.name, disk.toString(), "sdb", "--driver", "qemu", "--subdriver", "raw",
                "--targetbus", "scsi", "--live");
        record = new AttachmentRecord(volume, dom.name, AttachmentRecord.Phase.ATTACHED, AttachPath.QEMU, "file",
                List.of(), new GuestDevice("sdb", GuestDevice.Bus.SCSI), false, null, "<disk/>", List.of(), "f",
                Instant.now(), Instant.now(), null);
        journal.put(record);
    }

    @AfterEach
    void tearDown() throws Exception {
        journal.remove(record);
        dom.close();
        Host.exec("rm", "-rf", dir.toString());
    }

    private static JsonNode run(Response accepted, String endState) throws Exception {
        accepted.then().statusCode(202);
        return Operations.await(accepted.header("Location"), endState, Duration.ofSeconds(60));
    }

    @Test
    void aRunningDisksBackupIsItsInstantAndRestoresByteForByte() throws Exception {
        byte[] atBackup = Files.readAllBytes(disk);
        String sha = Digests.contentSha256(disk, 4 << 20);
        JsonNode made = run(given().contentType(ContentType.JSON).body("{}")
                .post("/v1/instances/" + dom.name + "/volumes/" + volume + "/backups"), "succeeded").path("result");
        assertThat(made.path("state").asText()).isEqualTo("available");
        assertThat(made.path("volume_id").asText()).isEqualTo(volume.toString());
        assertThat(made.path("size_bytes").asLong()).isEqualTo(64L * MIB);
        assertThat(made.path("origin").path("domain").asText()).isEqualTo(dom.name);
        assertThat(made.path("origin").path("disk").asText()).isEqualTo("sdb");
        assertThat(made.path("origin").path("quiesced").asBoolean()).isFalse(); // no guest agent: crash-consistent
        assertThat(made.path("content_sha256").asText()).isEqualTo(sha);
        // of sixteen 4 MiB chunks, three hold data (3 MiB..4 MiB + 4 KiB spans two): only those are read
        assertThat(made.path("bytes_read").asLong()).isEqualTo(12L * MIB);
        UUID id = UUID.fromString(made.path("id").asText());
        assertThat(hypervisor.backupJob(dom.name)).isEmpty();

        // the guest writes on; the backup stays what the disk was
        String alias = hypervisor.liveXml(dom.name).disks().stream().filter(d -> "sdb".equals(d.targetDev()))
                .map(DiskXml::aliasName).findFirst().orElseThrow();
        dom.hmp("qemu-io -d " + alias + " \"write -P 0x77 " + 3 * MIB + " 65536\"");
        JsonNode inc = run(given().contentType(ContentType.JSON).body("{\"incremental\": true}")
                .post("/v1/instances/" + dom.name + "/volumes/" + volume + "/backups"), "succeeded").path("result");
        assertThat(inc.path("parent_id").asText()).isEqualTo(id.toString());
        assertThat(inc.path("content_sha256").asText()).isEqualTo(Digests.contentSha256(disk, 4 << 20))
                .isNotEqualTo(sha);

        given().get("/v1/backups?volume_id=" + volume).then().statusCode(200);
        assertThat(run(given().contentType(ContentType.JSON).post("/v1/backups/" + id + "/verify"), "succeeded")
                .path("result").path("chunks").asInt()).isEqualTo(3);

        JsonNode restored = run(given().contentType(ContentType.JSON).body("{}").post("/v1/backups/" + id
                + "/restore"), "succeeded").path("result");
        byte[] back = new byte[atBackup.length];
        try (RandomAccessFile f = new RandomAccessFile(FILES.resolve("volume-" + restored.path("id").asText())
                .toFile(), "r")) {
            f.readFully(back);
        }
        assertThat(Arrays.equals(back, atBackup)).as("restored bytes equal the disk at the backup's instant").isTrue();
    }

    @Test
    void refusedForWhatItCannotBackUp() throws Exception {
        JsonNode none = run(given().contentType(ContentType.JSON).body("{}")
                .post("/v1/instances/" + dom.name + "/volumes/" + UUID.randomUUID() + "/backups"), "failed")
                .path("result");
        assertThat(none.path("code").asText()).isEqualTo("attachment_not_found");
        journal.put(new AttachmentRecord(volume, dom.name, AttachmentRecord.Phase.ATTACHED, AttachPath.QEMU, "file",
                List.of(), new GuestDevice("sdb", GuestDevice.Bus.SCSI), false, null,
                "<disk><encryption format='luks'/></disk>", List.of(), "f", Instant.now(), Instant.now(), null));
        JsonNode luks = run(given().contentType(ContentType.JSON).body("{}")
                .post("/v1/instances/" + dom.name + "/volumes/" + volume + "/backups"), "failed").path("result");
        assertThat(luks.path("code").asText()).isEqualTo("backup_unsupported");
        assertThat(hypervisor.backupJob(dom.name)).isEmpty();
        given().get("/v1/backups?volume_id=" + volume).then().statusCode(200)
                .body("size()", org.hamcrest.Matchers.equalTo(0)); // nothing was made
    }

    @Test
    void anExportADeadAgentLeftIsEndedAtItsNextStart() throws Exception {
        UUID id = UUID.randomUUID();
        DiskExport left = DiskExport.begin(hypervisor, dom.name, "sdb", disks.exportDir(), id, false); // "killed"
        assertThat(hypervisor.backupJob(dom.name)).isPresent();
        disks.onStart(null);
        assertThat(hypervisor.backupJob(dom.name)).isEmpty();
        try (var files = Files.list(disks.exportDir())) {
            assertThat(files.toList()).isEmpty(); // socket and scratch file
        }
        left.close(); // what the dead agent held: harmless now
    }

    @Test
    void aDetachWhileTheDiskIsBackedUpIsRefusedAndChangesNothing() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) { // 256 MiB to read: a few seconds
            f.setLength(256L * MIB);
            byte[] b = new byte[4 * MIB];
            Random r = new Random(volume.getMostSignificantBits());
            for (long at = 0; at < 256L * MIB; at += b.length) {
                r.nextBytes(b);
                f.seek(at);
                f.write(b);
            }
        }
        Host.virsh("blockresize", dom.name, "sdb", "256M");
        UUID id = UUID.randomUUID();
        Response accepted = given().contentType(ContentType.JSON).body("{\"id\": \"" + id + "\"}")
                .post("/v1/instances/" + dom.name + "/volumes/" + volume + "/backups");
        accepted.then().statusCode(202);
        // the operation runs on its own: the detach comes once the export is read from, not merely asked for
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(given().get("/v1/backups/" + id).then().extract().jsonPath().get("bytes_read") instanceof Number n
                && n.longValue() > 0)) { // a 404 until the operation has begun
            assertThat(System.nanoTime()).as("the backup began reading within 30 s").isLessThan(deadline);
            Thread.sleep(10);
        }
        given().delete("/v1/instances/" + dom.name + "/volumes/" + volume).then().statusCode(409)
                .body("code", org.hamcrest.Matchers.equalTo("backup_busy"));
        assertThat(given().get(accepted.header("Location")).then().statusCode(200).extract().path("state")
                .toString()).as("the backup was still running when the detach was refused").isEqualTo("running");
        assertThat(journal.find(volume, dom.name)).get().extracting(AttachmentRecord::phase)
                .isEqualTo(AttachmentRecord.Phase.ATTACHED);
        JsonNode made = Operations.await(accepted.header("Location"), "succeeded", Duration.ofSeconds(120))
                .path("result");
        assertThat(made.path("bytes_read").asLong()).isEqualTo(256L * MIB);
        assertThat(dom.liveXml()).contains(disk.toString()); // still attached
    }
}
