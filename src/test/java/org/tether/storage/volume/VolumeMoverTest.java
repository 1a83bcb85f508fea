package org.tether.storage.volume;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.config.StorageConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.ProcessCommandRunner;
import org.tether.storage.volume.VolumeRecord.Migration;
import org.tether.storage.volume.VolumeRecord.Placement;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tether.lab.Digests.sha256;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Moving volumes between two real file pools: the data arrives whole and the old copy goes; what must not
 * move is refused and left as it was; a move a crash interrupts is undone (copying) or finished (after the
 * swap) by the next repair pass, with the data intact.
 */
class VolumeMoverTest {
    @TempDir
    Path dir;
    private VolumeStore store;
    private VolumeService volumes;
    private VolumeMover mover;

    @BeforeEach
    void setUp() {
        PoolSet pools = new PoolSet(List.of(pool("a"), pool("b")), "a");
        store = new VolumeStore(dir.resolve("state"));
        volumes = new VolumeService(pools, store, Clock.systemUTC());
        mover = new VolumeMover(volumes, store, new VolumeCopy(0), Clock.systemUTC());
    }

    private Pool pool(String name) {
        return new Pool(name, StorageConfig.BackendKind.FILE, new FileBackend(dir.resolve(name),
                new ProcessCommandRunner()), new CapacityGuard(20, 100), "file", 0, "tgt", dir.resolve(name).toString());
    }

    private Path file(String pool, UUID id) {
        return dir.resolve(pool).resolve("volume-" + id);
    }

    private UUID volumeWithData(String pool) throws IOException {
        UUID id = UUID.randomUUID();
        volumes.create(new CreateVolume(id, 1, true, null, null, Map.of())
                .placed(new Placement(pool, null), true));
        byte[] data = new byte[3 << 20];
        new Random(7).nextBytes(data);
        try (RandomAccessFile f = new RandomAccessFile(file(pool, id).toFile(), "rw")) {
            f.seek(0);
            f.write(data);
            f.seek((1L << 30) - data.length); // the last bytes too, past a hole
            f.write(data);
        }
        return id;
    }

    @Test
    void aMoveCopiesTheDataSparselyReportsProgressAndRemovesTheOldCopy() throws Exception {
        UUID id = volumeWithData("a"); // through setUp's store, which keeps its records in memory: not read below
        String before = sha256(file("a", id));
        List<Integer> seen = new ArrayList<>();
        VolumeStore watching = new VolumeStore(dir.resolve("state")) {
            @Override
            public void put(VolumeRecord r) {
                if (r.state() == VolumeRecord.State.MIGRATING) {
                    seen.add(r.progressPercent());
                }
                super.put(r);
            }
        };
        VolumeService watched = new VolumeService(volumes.pools(), watching, Clock.systemUTC());
        VolumeRecord moved = new VolumeMover(watched, watching, new VolumeCopy(0), Clock.systemUTC())
                .migrate(id, "b", null, null);
        assertThat(seen).as("recorded at most once a second, from 0").startsWith(0).isSorted();
        assertThat(volumes.pools().nameOf(moved)).isEqualTo("b");
        assertThat(moved.state()).isEqualTo(VolumeRecord.State.AVAILABLE);
        assertThat(moved.migration()).isNull();
        assertThat(file("a", id)).doesNotExist();
        assertThat(sha256(file("b", id))).isEqualTo(before);
        // 6 MiB of data in a 1 GiB volume: the zero chunks were not written, the copy stays sparse
        Process stat = new ProcessBuilder("stat", "-c", "%b", file("b", id).toString()).start();
        long allocated = Long.parseLong(new String(stat.getInputStream().readAllBytes()).strip()) * 512;
        assertThat(allocated).isLessThan(64L << 20);
        assertThat(watched.devicePath(watched.get(id))).isEqualTo(file("b", id).toString());
        // a repeat finds it there and does nothing
        assertThat(new VolumeMover(watched, watching, new VolumeCopy(0), Clock.systemUTC()).migrate(id, "b", null,
                null).updatedAt()).isEqualTo(moved.updatedAt());
    }

    @Test
    void whatMustNotMoveIsRefusedAndLeftAsItWas() throws Exception {
        UUID id = volumeWithData("a");
        volumes.snapshot(id, UUID.randomUUID());
        assertThatThrownBy(() -> mover.migrate(id, "b", null, null)).isInstanceOfSatisfying(TetherException.class,
                e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.VOLUME_BUSY);
                    assertThat(e.getMessage()).contains("1 snapshot(s)");
                });
        assertThatThrownBy(() -> mover.migrate(id, "nope", null, null)).isInstanceOfSatisfying(
                TetherException.class, e -> assertThat(e.getMessage()).contains("no pool named nope (pools: a, b)"));
        UUID plain = volumeWithData("a");
        assertThatThrownBy(() -> mover.migrate(plain, "b", false, null)).isInstanceOfSatisfying(
                TetherException.class, e -> assertThat(e.getMessage()).contains("makes only thin volumes"));
        assertThat(file("b", id)).doesNotExist();
        assertThat(file("b", plain)).doesNotExist();
        assertThat(volumes.get(id).state()).isEqualTo(VolumeRecord.State.AVAILABLE);
        assertThat(volumes.pools().nameOf(volumes.get(id))).isEqualTo("a");
    }

    @Test
    void aMoveInterruptedWhileCopyingIsUndoneWithTheSourceIntact() throws Exception {
        UUID id = volumeWithData("a");
        String before = sha256(file("a", id));
        // what a kill -9 half-way leaves: the record says copying to b, half a copy lies in b
        VolumeRecord r = volumes.get(id);
        store.put(r.inPhase(VolumeRecord.State.MIGRATING, 40, r.updatedAt()).withPlacement(new Placement("a", null,
                new Migration("b", true, Migration.Phase.COPYING)), r.updatedAt()));
        Files.createDirectories(dir.resolve("b"));
        Files.copy(file("a", id), file("b", id));
        assertThatThrownBy(() -> volumes.delete(id)).hasMessageContaining("moving to pool b");

        assertThat(volumes.recover()).isEqualTo(1);
        assertThat(file("b", id)).doesNotExist();
        VolumeRecord after = volumes.get(id);
        assertThat(after.state()).isEqualTo(VolumeRecord.State.AVAILABLE);
        assertThat(after.migration()).isNull();
        assertThat(volumes.pools().nameOf(after)).isEqualTo("a");
        assertThat(sha256(file("a", id))).isEqualTo(before);
        // and it can move again
        mover.migrate(id, "b", null, null);
        assertThat(sha256(file("b", id))).isEqualTo(before);
    }

    @Test
    void aMoveInterruptedAfterTheSwapIsFinished() throws Exception {
        UUID id = volumeWithData("a");
        VolumeRecord r = volumes.get(id);
        Files.createDirectories(dir.resolve("b"));
        Files.copy(file("a", id), file("b", id));
        store.put(r.withPlacement(new Placement("b", null, new Migration("a", true, Migration.Phase.CLEANUP)),
                r.updatedAt()));
        assertThat(volumes.recover()).isEqualTo(1);
        assertThat(file("a", id)).doesNotExist();
        assertThat(volumes.get(id).migration()).isNull();
        assertThat(volumes.devicePath(volumes.get(id))).isEqualTo(file("b", id).toString());
        assertThat(volumes.recover()).isZero();
    }

    /**
     * The storage side of a move of an exported volume: begun, the volume is migrating with an empty copy in the
     * other pool and the copy's export (tag, account) and the type to give in its record, which a restart reads
     * back and a repair pass leaves alone (the compute side decides); swapped, it is the copy (pool, tag, account,
     * type) with the old copy to remove, naming its target's tag and account; finished, the old copy is gone.
     */
    @Test
    void aLiveMoveIsRecordedSwappedAndFinishedAndTheRepairPassLeavesItToItsComputeSide() throws Exception {
        UUID id = volumeWithData("a");
        VolumeRecord.ChapSecret own = new VolumeRecord.ChapSecret("user-a", "secret-a");
        store.put(volumes.get(id).withChap(own, java.time.Instant.now()).withExport("iqn.2004-10.org.debian:h",
                java.time.Instant.now()));
        VolumeRecord.OtherExport copy = new VolumeRecord.OtherExport("m0000abcd",
                new VolumeRecord.ChapSecret("user-b", "secret-b"));
        VolumeType gold = new VolumeType("gold", Map.of(), null);
        VolumeRecord moving = mover.beginLive(id, "b", null, gold, copy);
        assertThat(moving.state()).isEqualTo(VolumeRecord.State.MIGRATING);
        assertThat(file("b", id)).exists();
        VolumeRecord read = new VolumeStore(dir.resolve("state")).find(id).orElseThrow();
        assertThat(read.migration()).isEqualTo(new Migration("b", true, Migration.Phase.COPYING, copy, gold));
        mover.release(id); // as a crash would: no call runs it now
        assertThat(volumes.recover()).isZero();
        assertThat(volumes.get(id).state()).isEqualTo(VolumeRecord.State.MIGRATING);
        assertThat(file("b", id)).exists();

        VolumeRecord moved = mover.swapLive(volumes.get(id));
        assertThat(moved.placement().pool()).isEqualTo("b");
        assertThat(moved.exportTag()).isEqualTo("m0000abcd");
        assertThat(moved.chap()).isEqualTo(copy.chap());
        assertThat(moved.volumeType()).isEqualTo(gold);
        assertThat(moved.state()).isEqualTo(VolumeRecord.State.AVAILABLE);
        assertThat(moved.exports()).hasSize(1);
        assertThat(moved.migration()).isEqualTo(new Migration("a", true, Migration.Phase.CLEANUP,
                new VolumeRecord.OtherExport(null, own), null));
        VolumeRecord done = mover.finishLive(moved);
        assertThat(done.migration()).isNull();
        assertThat(done.exportTag()).as("kept once the move is over").isEqualTo("m0000abcd");
        assertThat(file("a", id)).doesNotExist();
    }

    @Test
    void aLiveMoveUndoneLeavesTheVolumeWhereItWasExportedAsItWas() throws Exception {
        UUID id = volumeWithData("a");
        String before = sha256(file("a", id));
        store.put(volumes.get(id).withChap(new VolumeRecord.ChapSecret("u", "p"), java.time.Instant.now())
                .withExport("iqn.2004-10.org.debian:h", java.time.Instant.now()));
        mover.beginLive(id, "b", null, null, new VolumeRecord.OtherExport("m00000001",
                new VolumeRecord.ChapSecret("u2", "p2")));
        VolumeRecord back = mover.undoLive(volumes.get(id));
        assertThat(back.state()).isEqualTo(VolumeRecord.State.AVAILABLE);
        assertThat(back.placement().pool()).isEqualTo("a");
        assertThat(back.migration()).isNull();
        assertThat(back.exportTag()).isNull();
        assertThat(back.chap().username()).isEqualTo("u");
        assertThat(back.exports()).hasSize(1);
        assertThat(file("b", id)).doesNotExist();
        assertThat(sha256(file("a", id))).isEqualTo(before);
        assertThatThrownBy(() -> mover.beginLive(UUID.randomUUID(), "b", null, null, null))
                .isInstanceOf(TetherException.class);
    }

    @Test
    void aCopyThatDoesNotReadBackAsItsSourceIsRefused() throws Exception {
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        byte[] data = new byte[8 << 20];
        new Random(1).nextBytes(data);
        Files.write(src, data);
        Files.write(dst, new byte[data.length]);
        VolumeCopy copy = new VolumeCopy(0);
        List<Integer> percents = new ArrayList<>();
        copy.copy(src, dst, data.length, false, percents::add);
        assertThat(Files.readAllBytes(dst)).isEqualTo(data);
        assertThat(percents).containsExactly(50, 100);
        // a target that does not read back what was written to it (the kernel's /dev/zero takes every write
        // and reads zeroes): the first chunk that differs is named; one that reads nothing back fails too
        assertThatThrownBy(() -> copy.copy(src, Path.of("/dev/zero"), data.length, false, p -> { }))
                .hasMessageContaining("differs from its source at byte 0");
        assertThatThrownBy(() -> copy.copy(src, Path.of("/dev/null"), data.length, false, p -> { }))
                .hasMessageContaining("read back /dev/null");
    }

    @Test
    void twoPoolsKeepingVolumesInOnePlaceAreRefusedAtStart() {
        // a move between them would copy the volume onto itself, then remove "the old copy": the volume
        Pool c = new Pool("c", StorageConfig.BackendKind.FILE, new FileBackend(dir.resolve("a"),
                new ProcessCommandRunner()), new CapacityGuard(20, 100), "file", 0, "tgt", dir.resolve("a").toString());
        assertThatThrownBy(() -> new PoolSet(List.of(pool("a"), pool("b"), c), "a"))
                .hasMessageContaining("pools a and c both keep their volumes in " + dir.resolve("a"));
    }

    @Test
    void aPoolWhoseBytesTheAgentCannotReachInPlaceIsRefusedForAnOfflineMoveAndNothingChanges() throws Exception {
        // an RBD pool without the librados session (librbd off): its images are reached through the rbd command only
        Pool cliOnly = new Pool("c", StorageConfig.BackendKind.FILE, new FileBackend(dir.resolve("c"),
                new ProcessCommandRunner()) {
            @Override
            public boolean blockAccess() {
                return false;
            }
        }, new CapacityGuard(20, 100), "file", 0, "tgt", dir.resolve("c").toString());
        VolumeService three = new VolumeService(new PoolSet(List.of(pool("a"), pool("b"), cliOnly), "a"), store,
                Clock.systemUTC());
        UUID id = volumeWithData("a");
        String before = sha256(file("a", id));
        assertThatThrownBy(() -> new VolumeMover(three, store, new VolumeCopy(0), Clock.systemUTC())
                .migrate(id, "c", null, null)).isInstanceOfSatisfying(TetherException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
                    assertThat(e.getMessage()).contains("pool c reaches its images through the rbd command only");
                });
        assertThat(file("c", id)).doesNotExist();
        assertThat(sha256(file("a", id))).isEqualTo(before);
        assertThat(three.get(id).state()).isEqualTo(VolumeRecord.State.AVAILABLE);
    }

    @Test
    void aCopyBetweenAReaderAndAWriterSkipsWhatWasNeverWrittenAndIsReadBack() throws Exception {
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        byte[] data = new byte[5 << 20];
        new Random(3).nextBytes(data);
        long length = 64L << 20;
        try (RandomAccessFile f = new RandomAccessFile(src.toFile(), "rw")) {
            f.setLength(length);
            f.seek(8L << 20);
            f.write(data);
            f.seek(length - 4096);
            f.write(data, 0, 4096);
        }
        try (RandomAccessFile f = new RandomAccessFile(dst.toFile(), "rw")) {
            f.setLength(length);
        }
        List<Long> writes = new ArrayList<>();
        VolumeCopy copy = new VolumeCopy(0);
        List<Integer> percents = new ArrayList<>();
        try (BlockReader in = FileBlocks.reader(src); BlockWriter out = counting(FileBlocks.writer(dst), writes)) {
            copy.copy(in, out, () -> FileBlocks.reader(dst), length, true, percents::add);
        }
        assertThat(sha256(dst)).isEqualTo(sha256(src));
        // 5 MiB from 8 MiB: chunks 2 and 3 (4 MiB each), and the last one; the holes were neither read nor written
        assertThat(writes).containsExactly(8L << 20, 12L << 20, length - (4 << 20));
        assertThat(percents).endsWith(100).isSorted();
        // onto a target that does not read as zeroes every chunk is written
        writes.clear();
        try (BlockReader in = FileBlocks.reader(src); BlockWriter out = counting(FileBlocks.writer(dst), writes)) {
            copy.copy(in, out, () -> FileBlocks.reader(dst), length, false, p -> { });
        }
        assertThat(writes).hasSize(16);
        // a target that does not read back what was written to it (here: read back from another, empty file)
        Path elsewhere = dir.resolve("elsewhere");
        try (RandomAccessFile f = new RandomAccessFile(elsewhere.toFile(), "rw")) {
            f.setLength(length);
        }
        try (BlockReader in = FileBlocks.reader(src); BlockWriter out = FileBlocks.writer(dst)) {
            assertThatThrownBy(() -> copy.copy(in, out, () -> FileBlocks.reader(elsewhere), length, true,
                    p -> { })).hasMessageContaining("differs from its source at byte " + (8L << 20));
        }
    }

    private static BlockWriter counting(BlockWriter w, List<Long> offsets) {
        return new BlockWriter() {
            @Override
            public void write(long offset, byte[] buf, int length) {
                offsets.add(offset);
                w.write(offset, buf, length);
            }

            @Override
            public void flush() {
                w.flush();
            }

            @Override
            public void close() {
                w.close();
            }
        };
    }

    @Test
    void theRateLimitBoundsHowFastACopyReads() throws Exception {
        Path src = dir.resolve("src");
        Path dst = dir.resolve("dst");
        Files.write(src, new byte[16 << 20]);
        Files.write(dst, new byte[16 << 20]);
        long started = System.nanoTime();
        new VolumeCopy(32L << 20).copy(src, dst, 16 << 20, false, p -> { });
        // 16 MiB at 32 MiB/s cannot take less than half a second, however fast the disk
        assertThat((System.nanoTime() - started) / 1e9).isGreaterThanOrEqualTo(0.45);
    }
}
