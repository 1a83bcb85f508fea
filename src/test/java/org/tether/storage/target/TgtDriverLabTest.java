package org.tether.storage.target;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.exec.CommandRunner;
import org.tether.exec.ProcessCommandRunner;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tgt driver against this host's real tgtd (lab/host-setup.sh): exports of different volumes run side by
 * side, so each must still get a target id of its own, and a target id taken by someone else between the
 * driver's listing and its creation is chosen again, leaving the other's target alone.
 */
class TgtDriverLabTest {
    private static final String INITIATOR = "iqn.1993-08.org.debian:01:tgtdriverlab";
    private final ProcessCommandRunner real = new ProcessCommandRunner();

    @TempDir
    Path dir;

    private ExportSpec spec(UUID id) throws Exception {
        Path file = dir.resolve("volume-" + id);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(16 << 20);
        }
        return new ExportSpec("iqn.2010-10.org.openstack:volume-" + id, "volume-" + id, file.toString(), INITIATOR,
                "u" + id.toString().substring(0, 8), "p" + id.toString().replace("-", "").substring(0, 15));
    }

    private TgtTargets listing() {
        return TgtTargets.parse(new Tgtadm(real, Duration.ofSeconds(10)).showTargets());
    }

    @Test
    void concurrentExportsEachGetTheirOwnTargetAndConcurrentUnexportsLeaveNothing() throws Exception {
        TgtDriver driver = new TgtDriver(new Tgtadm(real, Duration.ofSeconds(10)), Optional.empty());
        List<ExportSpec> specs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            specs.add(spec(UUID.randomUUID()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(specs.size());
        try {
            List<Future<?>> done = new ArrayList<>();
            specs.forEach(s -> done.add(pool.submit(() -> driver.export(s))));
            for (Future<?> f : done) {
                f.get();
            }
            TgtTargets after = listing();
            Set<Integer> tids = new HashSet<>();
            for (ExportSpec s : specs) {
                TgtTargets.Target t = after.byIqn(s.iqn()).orElseThrow(() -> new AssertionError("no target " + s.iqn()));
                tids.add(t.tid());
                assertThat(t.backingStores()).containsExactly(s.devicePath());
                assertThat(t.accounts()).containsExactly(s.chapUser());
                assertThat(t.acls()).containsExactly(INITIATOR);
            }
            assertThat(tids).hasSize(specs.size());

            done.clear();
            specs.forEach(s -> done.add(pool.submit(() -> driver.unexport(s.iqn(), s.volumeName(), INITIATOR,
                    s.chapUser(), true))));
            for (Future<?> f : done) {
                f.get();
            }
            TgtTargets gone = listing();
            specs.forEach(s -> assertThat(gone.byIqn(s.iqn())).as(s.iqn()).isEmpty());
        } finally {
            pool.shutdownNow();
            for (ExportSpec s : specs) {
                driver.unexport(s.iqn(), s.volumeName(), INITIATOR, s.chapUser(), true);
            }
        }
    }

    /** A repair pass over many exports reads tgtd once (each show lists every target), and finds the same gaps. */
    @Test
    void gapsOfManyExportsComeFromOneListing() throws Exception {
        java.util.concurrent.atomic.AtomicInteger shows = new java.util.concurrent.atomic.AtomicInteger();
        CommandRunner counting = command -> {
            if (command.argv().contains("show")) {
                shows.incrementAndGet();
            }
            return real.run(command);
        };
        TgtDriver driver = new TgtDriver(new Tgtadm(counting, Duration.ofSeconds(10)), Optional.empty());
        List<ExportSpec> specs = List.of(spec(UUID.randomUUID()), spec(UUID.randomUUID()), spec(UUID.randomUUID()));
        try {
            specs.forEach(driver::export);
            int tid = listing().byIqn(specs.get(1).iqn()).orElseThrow().tid();
            new Tgtadm(real, Duration.ofSeconds(10)).unbindInitiator(tid, INITIATOR); // as by a hand
            shows.set(0);
            var gaps = driver.gapsAtOnce();
            assertThat(specs.stream().map(gaps).toList()).containsExactly(List.of(), List.of("ACL for " + INITIATOR),
                    List.of());
            assertThat(shows).hasValue(1);
            for (ExportSpec s : specs) {
                assertThat(gaps.apply(s)).isEqualTo(driver.gaps(s));
            }
        } finally {
            for (ExportSpec s : specs) {
                driver.unexport(s.iqn(), s.volumeName(), INITIATOR, s.chapUser(), true);
            }
        }
    }

    @Test
    void aTargetIdTakenAfterTheListingIsChosenAgainAndTheOtherTargetIsLeftAlone() throws Exception {
        String foreign = "iqn.2003-01.org.example:tgtdriverlab-" + UUID.randomUUID().toString().substring(0, 8);
        Tgtadm raw = new Tgtadm(real, Duration.ofSeconds(10));
        AtomicBoolean raced = new AtomicBoolean();
        int[] stolen = {-1};
        // just before the driver creates its target, someone else creates one with the very id it chose
        CommandRunner racing = command -> {
            List<String> argv = command.argv();
            if (argv.contains("new") && argv.contains("target") && raced.compareAndSet(false, true)) {
                stolen[0] = Integer.parseInt(argv.get(argv.indexOf("--tid") + 1));
                assertThat(raw.newTarget(stolen[0], foreign)).isEqualTo(Tgtadm.Outcome.DONE);
            }
            return real.run(command);
        };
        TgtDriver driver = new TgtDriver(new Tgtadm(racing, Duration.ofSeconds(10)), Optional.empty());
        ExportSpec s = spec(UUID.randomUUID());
        try {
            driver.export(s);
            TgtTargets after = listing();
            TgtTargets.Target ours = after.byIqn(s.iqn()).orElseThrow();
            TgtTargets.Target theirs = after.byIqn(foreign).orElseThrow();
            assertThat(raced).isTrue();
            assertThat(theirs.tid()).isEqualTo(stolen[0]);
            assertThat(ours.tid()).isNotEqualTo(stolen[0]);
            assertThat(ours.backingStores()).containsExactly(s.devicePath());
            assertThat(theirs.backingStores()).isEmpty();
            assertThat(theirs.acls()).isEmpty();
        } finally {
            driver.unexport(s.iqn(), s.volumeName(), INITIATOR, s.chapUser(), true);
            if (stolen[0] > 0) {
                raw.deleteTarget(stolen[0]);
            }
        }
    }
}
