package org.tether.storage.lvm;

import org.junit.jupiter.api.Test;
import org.tether.config.LvmConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.ScriptedRunner;
import org.tether.exec.ScriptedRunner.Reply;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The LVM backend's commands and decisions on recorded {@code lvs}/{@code vgs} JSON reports. */
class LvmBackendTest {
    private static final UUID THIN = UUID.fromString("8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2");
    private static final UUID THICK = UUID.fromString("0f5ca1c4-9d2a-4a4d-8f0b-7a1d3c2e9b11");
    private static final UUID NEW = UUID.fromString("11111111-2222-3333-4444-555555555555");
    private static final String FILTER = "devices { filter = [ \"a|^/dev/loop0$|\", \"r|.*|\" ] }";

    private final ScriptedRunner runner = new ScriptedRunner();
    private final LvmBackend backend = new LvmBackend(
            new Lvm(runner, List.of("/dev/loop0"), Duration.ofSeconds(30), 2, new com.fasterxml.jackson.databind.ObjectMapper()),
            "cinder-volumes", "90%VG", LvmConfig.Wipe.ZERO, Duration.ofSeconds(30));

    private static String recorded(String name) {
        try (InputStream in = LvmBackendTest.class.getResourceAsStream("/lvm/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void lvs(String file) {
        runner.on(List.of("lvm", "lvs"), Reply.ok(recorded(file)));
    }

    private List<String> lvmCalls(String sub) {
        return runner.lines().stream().filter(l -> l.startsWith("lvm " + sub + " ")).toList();
    }

    @Test
    void everyLvmCallCarriesTheDeviceFilterAndJsonReports() {
        lvs("lvs-with-pool.json");
        backend.create(THIN, 1L << 30, true);
        assertThat(runner.commands).allSatisfy(c -> {
            assertThat(c.argv().subList(0, 4)).containsExactly("lvm", "lvs", "--config", FILTER);
            assertThat(c.argv()).contains("--reportformat", "json");
        });
    }

    @Test
    void thinCreateMakesThePoolFirstThenATaggedThinVolume() {
        lvs("lvs-empty.json");
        backend.create(NEW, 1L << 30, true);
        assertThat(lvmCalls("lvcreate")).containsExactly(
                "lvm lvcreate --config " + FILTER + " --type thin-pool -l 90%VG -n cinder-volumes-pool --addtag tether"
                        + " cinder-volumes",
                "lvm lvcreate --config " + FILTER + " --type thin --thinpool cinder-volumes/cinder-volumes-pool"
                        + " -V 1073741824b -n volume-" + NEW + " --addtag tether");
    }

    @Test
    void anExistingVolumeOfTheSameSizeIsSuccessAndOfAnotherSizeAConflict() {
        lvs("lvs-with-pool.json");
        backend.create(THIN, 1L << 30, true);
        assertThat(lvmCalls("lvcreate")).isEmpty();
        assertThatThrownBy(() -> backend.create(THIN, 2L << 30, true)).isInstanceOfSatisfying(
                TetherException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VOLUME_CONFLICT));
    }

    @Test
    void thickDeleteZeroesTheBlocksBeforeRemoving() {
        lvs("lvs-with-pool.json");
        backend.delete(THICK, false);
        List<String> lines = runner.lines();
        int wipe = lines.indexOf("blkdiscard -z /dev/cinder-volumes/volume-" + THICK);
        int remove = lines.indexOf("lvm lvremove --config " + FILTER + " -f cinder-volumes/volume-" + THICK);
        assertThat(wipe).isNotNegative();
        assertThat(remove).isGreaterThan(wipe);
    }

    @Test
    void thinDeleteNeedsNoWipe() {
        lvs("lvs-with-pool.json");
        backend.delete(THIN, true);
        assertThat(runner.lines()).noneMatch(l -> l.startsWith("blkdiscard"));
        assertThat(lvmCalls("lvremove")).hasSize(1);
    }

    @Test
    void deleteOfAMissingVolumeIsSuccessAndAnUntaggedLvIsNeverRemoved() {
        lvs("lvs-with-pool.json");
        backend.delete(NEW, true);
        assertThat(lvmCalls("lvremove")).isEmpty();

        runner.on(List.of("lvm", "lvs"), Reply.ok(recorded("lvs-with-pool.json").replace(
                "\"lv_name\":\"root\"", "\"lv_name\":\"volume-" + NEW + "\"")));
        assertThatThrownBy(() -> backend.delete(NEW, false)).hasMessageContaining("does not carry");
        assertThat(lvmCalls("lvremove")).isEmpty();
    }

    @Test
    void snapshotsAreThinWithActivationSkipOffOrThickWithTheOriginsSize() {
        lvs("lvs-with-pool.json");
        UUID snap = UUID.randomUUID();
        backend.createSnapshot(THIN, snap, true);
        backend.createSnapshot(THICK, snap, false);
        assertThat(lvmCalls("lvcreate")).containsExactly(
                "lvm lvcreate --config " + FILTER + " -s -n _snapshot-" + snap + " --addtag tether -kn"
                        + " cinder-volumes/volume-" + THIN,
                "lvm lvcreate --config " + FILTER + " -s -n _snapshot-" + snap + " --addtag tether -L 2147483648b"
                        + " cinder-volumes/volume-" + THICK);
    }

    @Test
    void thinCloneIsASnapshotOfTheSourceGrownWhenAskedForMore() {
        AtomicInteger calls = new AtomicInteger();
        runner.on(List.of("lvm", "lvs"), argv -> Reply.ok(calls.getAndIncrement() < 2
                ? recorded("lvs-with-pool.json")
                : recorded("lvs-with-pool.json").replace("\"lv_name\":\"root\"", "\"lv_name\":\"volume-" + NEW
                + "\"").replace("\"lv_tags\":\"\"", "\"lv_tags\":\"tether\"")));
        backend.cloneVolume(NEW, 2L << 30, true, THIN);
        assertThat(lvmCalls("lvcreate")).containsExactly("lvm lvcreate --config " + FILTER + " -s -kn -n volume-" + NEW
                + " --addtag tether cinder-volumes/volume-" + THIN);
        assertThat(lvmCalls("lvextend")).isEmpty(); // the fake root LV is already 2 GiB
    }

    @Test
    void aLockTimeoutIsRetriedOnceThenReported() {
        AtomicInteger tries = new AtomicInteger();
        runner.on(List.of("lvm", "lvs"), argv -> tries.getAndIncrement() == 0
                ? Reply.fail(5, "  Can't get lock for cinder-volumes.")
                : Reply.ok(recorded("lvs-with-pool.json")));
        backend.create(THIN, 1L << 30, true);
        assertThat(tries).hasValue(2);

        runner.on(List.of("lvm", "lvs"), Reply.fail(5, "  Can't get lock for cinder-volumes."));
        assertThatThrownBy(() -> backend.create(THIN, 1L << 30, true)).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.STORAGE_BACKEND_FAILED));
    }

    @Test
    void statsCombineTheVgAndTheThinPool() {
        lvs("lvs-with-pool.json");
        runner.on(List.of("lvm", "vgs"), Reply.ok(recorded("vgs.json")));
        var s = backend.stats();
        assertThat(s.totalBytes()).isEqualTo(10733223936L);
        assertThat(s.freeBytes()).isEqualTo(1073741824L);
        assertThat(s.dataPercent()).isEqualTo(12.5);
        assertThat(s.metadataPercent()).isEqualTo(3.21);
    }

    @Test
    void revertMergesAndTakesTheSnapshotAgain() {
        UUID snap = UUID.randomUUID();
        String withSnapshot = recorded("lvs-with-pool.json").replace(
                "\"lv_name\":\"root\", \"lv_size\":\"2147483648\", \"lv_tags\":\"\"",
                "\"lv_name\":\"_snapshot-" + snap + "\", \"lv_size\":\"1073741824\", \"lv_tags\":\"tether\"");
        java.util.concurrent.atomic.AtomicBoolean merged = new java.util.concurrent.atomic.AtomicBoolean();
        runner.on(List.of("lvm", "lvs"), argv -> Reply.ok(merged.get() ? recorded("lvs-with-pool.json") : withSnapshot));
        runner.on(List.of("lvm", "lvconvert"), argv -> {
            merged.set(true); // the merge consumes the snapshot LV
            return Reply.ok("");
        });
        backend.revert(THIN, snap, true);
        assertThat(runner.lines().stream().filter(l -> l.startsWith("lvm lvconvert") || l.startsWith("lvm lvcreate")))
                .containsExactly("lvm lvconvert --config " + FILTER + " --merge cinder-volumes/_snapshot-" + snap,
                        "lvm lvcreate --config " + FILTER + " -s -n _snapshot-" + snap + " --addtag tether -kn"
                                + " cinder-volumes/volume-" + THIN);
    }

    @Test
    void noConfiguredPvsAdmitsEveryDevice() {
        assertThat(Lvm.filter(List.of())).isEqualTo("devices { filter = [ \"a|.*|\" ] }");
        assertThat(Lvm.filter(List.of("/dev/sdb", "/dev/md0.1")))
                .isEqualTo("devices { filter = [ \"a|^/dev/sdb$|\", \"a|^/dev/md0\\.1$|\", \"r|.*|\" ] }");
    }
}
