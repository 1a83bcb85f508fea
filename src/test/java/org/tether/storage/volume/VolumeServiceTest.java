package org.tether.storage.volume;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.ProcessCommandRunner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.tether.config.StorageConfig;
import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Volume lifecycle on the real file backend in a temporary directory. */
class VolumeServiceTest {
    @TempDir
    Path dir;

    private VolumeService service(double ratio, int threshold) {
        return new VolumeService(PoolSet.of(pool("default", "files", ratio, threshold)),
                new VolumeStore(dir.resolve("state")), Clock.systemUTC());
    }

    private Pool pool(String name, String subdir, double ratio, int threshold) {
        return new Pool(name, StorageConfig.BackendKind.FILE, new FileBackend(dir.resolve(subdir),
                new ProcessCommandRunner()), new CapacityGuard(ratio, threshold), "file", 0, "tgt",
                dir.resolve(subdir).toString());
    }

    private static CreateVolume in(String pool, UUID id, int gb, UUID fromVolume) {
        return new CreateVolume(id, gb, true, fromVolume, null, Map.of())
                .placed(new VolumeRecord.Placement(pool, null), true);
    }

    /**
     * The backend's work is counted per pool, operation and result ({@code tether_pool_operation_seconds}): what
     * the dashboard's pool panels read; a refusal before the backend is touched is not the pool's work.
     */
    @Test
    void eachPoolsBackendWorkIsCountedByOperationAndResult() {
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        VolumeService s = new VolumeService(PoolSet.of(pool("default", "files", 1.0, 100)),
                new VolumeStore(dir.resolve("state")), Clock.systemUTC(), new org.tether.metrics.OperationMetrics(registry));
        UUID a = UUID.randomUUID();
        UUID clone = UUID.randomUUID();
        UUID snap = UUID.randomUUID();
        s.create(new CreateVolume(a, 1, true, null, null, Map.of()));
        s.create(new CreateVolume(clone, 1, true, a, null, Map.of()));
        s.snapshot(a, snap);
        s.extend(clone, 2);
        assertThatThrownBy(() -> s.delete(a)).isInstanceOf(TetherException.class); // it has a snapshot: refused
        s.deleteSnapshot(snap);
        s.delete(a);
        java.util.function.BiFunction<String, String, Long> count = (op, result) -> {
            var t = registry.find("tether.pool.operation").tags("pool", "default", "op", op, "result", result).timer();
            return t == null ? 0 : t.count();
        };
        assertThat(count.apply("create", "ok")).isEqualTo(1);
        assertThat(count.apply("clone", "ok")).isEqualTo(1);
        assertThat(count.apply("snapshot", "ok")).isEqualTo(1);
        assertThat(count.apply("extend", "ok")).isEqualTo(1);
        assertThat(count.apply("delete_snapshot", "ok")).isEqualTo(1);
        assertThat(count.apply("delete", "ok")).as("the refused delete never reached the backend").isEqualTo(1);
        assertThat(registry.find("tether.pool.operation").timers()).hasSize(6);
    }

    @Test
    void eachVolumeLivesInItsPoolsBackendAndCountsAgainstThatPoolOnly() throws Exception {
        PoolSet pools = new PoolSet(List.of(pool("gold", "gold", 1.0, 100), pool("bronze", "bronze", 20, 100)),
                "bronze");
        VolumeService s = new VolumeService(pools, new VolumeStore(dir.resolve("state")), Clock.systemUTC());
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        UUID legacy = UUID.randomUUID();
        s.create(in("gold", a, 1, null));
        s.create(in("bronze", b, 2, null));
        s.create(new CreateVolume(legacy, 1, true, null, null, Map.of())); // no placement: the default pool
        assertThat(dir.resolve("gold").resolve("volume-" + a)).exists();
        assertThat(dir.resolve("bronze").resolve("volume-" + b)).exists();
        assertThat(dir.resolve("bronze").resolve("volume-" + legacy)).exists();
        assertThat(s.devicePath(s.get(a))).startsWith(dir.resolve("gold").toString());
        assertThat(s.provisioned(pools.find("gold").orElseThrow())).isEqualTo(1L << 30);
        assertThat(s.provisioned(pools.find("bronze").orElseThrow())).isEqualTo(3L << 30);
        assertThat(s.list(pools.find("bronze").orElseThrow())).extracting(VolumeRecord::id)
                .containsExactlyInAnyOrder(b, legacy);
        s.extend(a, 2);
        assertThat(Files.size(dir.resolve("gold").resolve("volume-" + a))).isEqualTo(2L << 30);
        // a clone is made by its source's backend: asking for another pool is refused, nothing made
        UUID clone = UUID.randomUUID();
        assertThatThrownBy(() -> s.create(in("bronze", clone, 2, a))).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.getMessage()).contains("source is in pool gold"));
        assertThat(s.find(clone)).isEmpty();
        s.create(in("gold", clone, 2, a));
        assertThat(dir.resolve("gold").resolve("volume-" + clone)).exists();
        s.delete(a);
        assertThat(dir.resolve("gold").resolve("volume-" + a)).doesNotExist();
    }

    @Test
    void aVolumeInAPoolNoLongerDeclaredIsRefusedAndKept() throws Exception {
        VolumeStore store = new VolumeStore(dir.resolve("state"));
        UUID id = UUID.randomUUID();
        store.put(new VolumeRecord(id, 1, true, VolumeRecord.State.AVAILABLE, null, Map.of(), null, List.of(),
                List.of(), Instant.now(), Instant.now(), null, null, new VolumeRecord.Placement("gone", null)));
        VolumeService s = new VolumeService(PoolSet.of(pool("default", "files", 20, 100)), store, Clock.systemUTC());
        assertThatThrownBy(() -> s.delete(id)).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.getMessage()).contains("pool gone, which tether.storage.pools no longer declares"));
        assertThat(s.find(id)).isPresent();
    }

    @Test
    void anInterruptedCreateIsUndoneAtTheNextStart() throws Exception {
        UUID id = UUID.randomUUID();
        VolumeStore store = new VolumeStore(dir.resolve("state"));
        store.put(new VolumeRecord(id, 1, true, VolumeRecord.State.CREATING, null, Map.of(), null, List.of(),
                List.of(), Instant.now(), Instant.now(), null, null, null));
        Files.createDirectories(dir.resolve("files"));
        Files.writeString(dir.resolve("files/volume-" + id), "partial");

        VolumeService restarted = service(20, 90);
        assertThat(restarted.recover()).isEqualTo(1);
        assertThat(restarted.list()).isEmpty();
        assertThat(dir.resolve("files/volume-" + id)).doesNotExist();
    }

    @Test
    void aCreateLeftHalfMadeIsTakenAwayByTheRetryAndAPassNeverTouchesAFinishedOne() throws Exception {
        UUID id = UUID.randomUUID();
        VolumeStore store = new VolumeStore(dir.resolve("state"));
        // what a create whose undo also failed (a full state disk, seen in the soak) leaves
        store.put(new VolumeRecord(id, 1, true, VolumeRecord.State.CREATING, null, Map.of(), null, List.of(),
                List.of(), Instant.now(), Instant.now(), null, null, null));
        Files.createDirectories(dir.resolve("files"));
        Files.writeString(dir.resolve("files/volume-" + id), "partial");

        VolumeService s = service(20, 90);
        VolumeRecord made = s.create(new CreateVolume(id, 1, true, null, null, Map.of()));
        assertThat(made.state()).isEqualTo(VolumeRecord.State.AVAILABLE);
        assertThat(Files.size(dir.resolve("files/volume-" + id))).isEqualTo(1L << 30);

        assertThat(s.recover()).as("a pass after the create finished leaves it alone").isZero();
        assertThat(s.get(id).state()).isEqualTo(VolumeRecord.State.AVAILABLE);
        assertThat(dir.resolve("files/volume-" + id)).exists();
    }

    @Test
    void overSubscriptionIsRefusedBeforeAnythingIsCreated() {
        VolumeService s = service(0.000001, 90);
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() -> s.create(new CreateVolume(id, 1, true, null, null, Map.of())))
                .isInstanceOfSatisfying(TetherException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_CAPACITY);
                    assertThat(e.getMessage()).contains("over-subscribe");
                });
        assertThat(s.list()).isEmpty();
        assertThat(dir.resolve("files/volume-" + id)).doesNotExist();
    }

    @Test
    void aFullPoolRefusesNewVolumes() {
        CapacityGuard guard = new CapacityGuard(20, 90);
        var full = new VolumeBackend.PoolStats("lvm", 100L << 30, 1L << 30, 91.0, 10.0);
        assertThatThrownBy(() -> guard.check(full, 0, 1L << 30, true)).hasMessageContaining("data use is 91.0%");
        var metaFull = new VolumeBackend.PoolStats("lvm", 100L << 30, 50L << 30, 10.0, 95.5);
        assertThatThrownBy(() -> guard.check(metaFull, 0, 1L << 30, true)).hasMessageContaining("metadata");
        var roomy = new VolumeBackend.PoolStats("lvm", 100L << 30, 2L << 30, 10.0, 10.0);
        assertThatThrownBy(() -> guard.check(roomy, 0, 3L << 30, false)).hasMessageContaining("thick volume");
        guard.check(roomy, 0, 3L << 30, true);
    }

    @Test
    void aCloneMustBeAtLeastAsLargeAsItsSource() {
        VolumeService s = service(20, 100);
        UUID src = UUID.randomUUID();
        s.create(new CreateVolume(src, 2, true, null, null, Map.of()));
        assertThatThrownBy(() -> s.create(new CreateVolume(UUID.randomUUID(), 1, true, src, null, Map.of())))
                .isInstanceOfSatisfying(TetherException.class, e -> assertThat(e.field()).isEqualTo("size_gb"));
    }

    @Test
    void unknownSourcesAreNamed() {
        VolumeService s = service(20, 100);
        assertThatThrownBy(() -> s.create(new CreateVolume(UUID.randomUUID(), 1, true, null, UUID.randomUUID(),
                Map.of()))).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.SNAPSHOT_NOT_FOUND));
    }
}
