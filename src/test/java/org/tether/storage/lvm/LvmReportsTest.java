package org.tether.storage.lvm;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.tether.config.LvmConfig;
import org.tether.exec.ScriptedRunner;
import org.tether.exec.ScriptedRunner.Reply;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** One {@link Lvm} for every LVM pool: its reports cover every VG and serve until something changes or ages. */
class LvmReportsTest {
    private static final String VGS = """
            {"report": [{"vg": [
              {"vg_name":"fast", "vg_size":"10737418240", "vg_free":"5368709120"},
              {"vg_name":"slow", "vg_size":"21474836480", "vg_free":"21474836480"}]}]}""";
    private static final String LVS = """
            {"report": [{"lv": [
              {"vg_name":"fast", "lv_name":"fast-pool", "lv_size":"4294967296", "lv_tags":"tether", "pool_lv":"",
               "origin":"", "data_percent":"10.00", "metadata_percent":"2.00", "lv_attr":"twi-aotz--"}]}]}""";

    private final ScriptedRunner runner = new ScriptedRunner();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Lvm lvm = new Lvm(runner, List.of("/dev/vdb", "/dev/vdc"), Duration.ofSeconds(30), 2,
            new ObjectMapper(), Duration.ofSeconds(2), now::get);
    private final LvmBackend fast = new LvmBackend(lvm, "fast", "90%VG", LvmConfig.Wipe.NONE, Duration.ofSeconds(30));
    private final LvmBackend slow = new LvmBackend(lvm, "slow", "90%VG", LvmConfig.Wipe.NONE, Duration.ofSeconds(30));

    LvmReportsTest() {
        runner.on(List.of("lvm", "vgs"), Reply.ok(VGS));
        runner.on(List.of("lvm", "lvs"), Reply.ok(LVS));
    }

    private long calls(String sub) {
        return runner.lines().stream().filter(l -> l.startsWith("lvm " + sub + " ")).count();
    }

    @Test
    void aCreateAfterReadingEveryPoolRunsOneReportOfEachKindAndEachPoolSeesOnlyItsOwnVg() {
        var a = fast.stats();
        var b = slow.stats();
        fast.stats(); // the admission check reads the chosen pool again
        fast.create(UUID.randomUUID(), 1L << 30, true); // looks for its LV and for the thin pool first

        assertThat(calls("vgs")).isEqualTo(1);
        assertThat(calls("lvs")).isEqualTo(1);
        assertThat(calls("lvcreate")).as("the thin pool exists in this VG: only the volume is made").isEqualTo(1);
        assertThat(a.freeBytes()).isEqualTo(5L << 30);
        assertThat(a.dataPercent()).isEqualTo(10.0);
        assertThat(b.freeBytes()).isEqualTo(20L << 30);
        assertThat(b.dataPercent()).as("no thin pool in slow: the other VG's is not taken for its").isNull();
        assertThat(runner.lines()).filteredOn(l -> l.startsWith("lvm vgs ") || l.startsWith("lvm lvs "))
                .allSatisfy(l -> assertThat(l).doesNotEndWith(" fast").doesNotEndWith(" slow"));
    }

    @Test
    void aChangeMadeThroughTheAgentIsSeenByTheNextReport() {
        fast.stats();
        fast.create(UUID.randomUUID(), 1L << 30, true);
        fast.stats();
        assertThat(calls("vgs")).isEqualTo(2);
        assertThat(calls("lvs")).isEqualTo(2);
    }

    @Test
    void aReportOlderThanTheMaximumAgeIsReadAgain() {
        slow.stats();
        now.addAndGet(Duration.ofMillis(1999).toNanos());
        slow.stats();
        assertThat(calls("vgs")).isEqualTo(1);
        now.addAndGet(Duration.ofMillis(1).toNanos());
        slow.stats();
        assertThat(calls("vgs")).isEqualTo(2);
    }

    @Test
    void aReportReadWhileAChangeRanIsNotKept() {
        // the change runs (from another request) between the report's start and its end
        runner.on(List.of("lvm", "lvs"), argv -> {
            lvm.run("lvchange", List.of("-ay", "fast/x"), Duration.ofSeconds(5));
            return Reply.ok(LVS);
        });
        fast.stats();
        fast.stats();
        assertThat(calls("lvs")).isEqualTo(2);
    }

    @Test
    void noVolumeGroupAtAllIsAnEmptyReportNotAFailure() {
        runner.on(List.of("lvm", "vgs"), Reply.fail(5, "  Volume group \"fast\" not found"));
        assertThat(lvm.vg("fast")).isNull();
    }
}
