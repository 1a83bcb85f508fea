package org.tether.storage.lvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jboss.logging.Logger;
import org.tether.config.LvmConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.stream.Collectors;

/**
 * Every lvm call: argv through the {@code lvm} binary, a {@code --config} device filter limited to the
 * configured PVs (as vdsm does, so a guest's own LVM inside a volume is never scanned), a timeout that
 * kills the child, a cap on concurrent lvm processes, and one retry when LVM says it could not get a lock.
 *
 * <p>One instance serves every LVM pool. Its reports ({@code vgs}, {@code lvs}) cover every VG the filter
 * admits in one call, and a report serves again until a command that may change LVM's metadata runs through
 * this instance (anything but a report), or it is {@code maxAge} old (what others change on the host: an
 * operator's {@code lvremove}, dmeventd growing a thin pool). Every lvm process scans every admitted device
 * and takes LVM's lock, so a create that placed the volume among three pools, checked the chosen pool's room,
 * looked for an LV of its name and for the thin pool ran ten of them; now three (vgs, lvs, lvcreate).
 */
public class Lvm {
    /** LVM could not get its lock (another lvm holds it): one more try, a quarter second later. */
    private static final org.tether.concurrent.Retry LOCK_TIMEOUT = new org.tether.concurrent.Retry(2,
            Duration.ofMillis(250), Duration.ofMillis(250), false);
    private static final Logger LOG = Logger.getLogger(Lvm.class);
    private static final String LV_FIELDS =
            "vg_name,lv_name,lv_size,lv_tags,pool_lv,origin,data_percent,metadata_percent,lv_attr";

    private final CommandRunner runner;
    private final String deviceFilter;
    private final Duration timeout;
    private final Semaphore slots;
    private final ObjectMapper json;
    private final long maxAgeNanos;
    private final java.util.function.LongSupplier nanoTime;
    /** Moves before and after every command that may change LVM's metadata: a report read across one is not kept. */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicReference<Kept<List<LvInfo>>> keptLvs =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicReference<Kept<List<VgInfo>>> keptVgs =
            new java.util.concurrent.atomic.AtomicReference<>();

    private record Kept<T>(T rows, long changes, long atNanos) {
    }

    public Lvm(CommandRunner runner, LvmConfig config, ObjectMapper json) {
        this(runner, config.pvs().orElse(List.of()), config.timeout(), config.maxConcurrent(), json,
                config.reportMaxAge(), System::nanoTime);
    }

    public Lvm(CommandRunner runner, List<String> pvs, Duration timeout, int maxConcurrent, ObjectMapper json) {
        this(runner, pvs, timeout, maxConcurrent, json, Duration.ZERO, System::nanoTime);
    }

    Lvm(CommandRunner runner, List<String> pvs, Duration timeout, int maxConcurrent, ObjectMapper json,
        Duration maxAge, java.util.function.LongSupplier nanoTime) {
        this.json = json;
        this.runner = runner;
        this.deviceFilter = filter(pvs);
        this.timeout = timeout;
        this.slots = new Semaphore(maxConcurrent, true);
        this.maxAgeNanos = maxAge.toNanos();
        this.nanoTime = nanoTime;
    }

    /** For the few non-lvm programs the LVM backend runs (dd, blkdiscard), with the same runner. */
    CommandRunner runner() {
        return runner;
    }

    /** {@code devices { filter = [ "a|^/dev/loop0$|", "r|.*|" ] }}; no PVs configured admits all. */
    static String filter(List<String> pvs) {
        if (pvs.isEmpty()) {
            return "devices { filter = [ \"a|.*|\" ] }";
        }
        String accepts = pvs.stream().map(pv -> "\"a|^" + pv.replace(".", "\\.") + "$|\"")
                .collect(Collectors.joining(", "));
        return "devices { filter = [ " + accepts + ", \"r|.*|\" ] }";
    }

    /** The LVs of {@code vg}; none when the VG does not exist. */
    public List<LvInfo> lvs(String vg) {
        return allLvs().stream().filter(lv -> vg.equals(lv.vg())).toList();
    }

    /** The VG, or null when it does not exist. */
    public VgInfo vg(String vg) {
        return allVgs().stream().filter(v -> vg.equals(v.name())).findFirst().orElse(null);
    }

    private List<LvInfo> allLvs() {
        return report("lvs", LV_FIELDS, LvmReport::lvs, keptLvs);
    }

    private List<VgInfo> allVgs() {
        return report("vgs", "vg_name,vg_size,vg_free", LvmReport::vgs, keptVgs);
    }

    /** A report of every VG the filter admits: the kept one while fresh, else read now (and kept if nothing changed). */
    private <T> List<T> report(String sub, String fields, java.util.function.Function<JsonNode, List<T>> parse,
                               java.util.concurrent.atomic.AtomicReference<Kept<List<T>>> kept) {
        Kept<List<T>> k = kept.get();
        if (fresh(k)) {
            return k.rows();
        }
        long before = changes.get();
        long at = nanoTime.getAsLong();
        CommandResult r = run(sub, List.of("--reportformat", "json", "--units", "b", "--nosuffix", "-o", fields),
                timeout);
        if (!r.succeeded() && !notFound(r)) {
            throw failed(r);
        }
        List<T> rows = r.succeeded() ? List.copyOf(parse.apply(report(r))) : List.of();
        if (changes.get() == before) {
            kept.set(new Kept<>(rows, before, at));
        }
        return rows;
    }

    private boolean fresh(Kept<?> k) {
        return k != null && k.changes() == changes.get() && nanoTime.getAsLong() - k.atNanos() < maxAgeNanos;
    }

    /** LVM's reports change nothing; every other subcommand may. */
    private static boolean changesMetadata(String sub) {
        return !(sub.equals("lvs") || sub.equals("vgs") || sub.equals("pvs"));
    }

    private JsonNode report(CommandResult r) {
        try {
            return json.readTree(r.stdout());
        } catch (java.io.IOException e) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "unreadable LVM report: " + e.getMessage());
        }
    }

    /** Runs {@code lvm <sub> --config <filter> args...}; returns whatever it exited with. */
    public CommandResult run(String sub, List<String> args, Duration limit) {
        boolean changing = changesMetadata(sub);
        if (changing) {
            changes.incrementAndGet();
        }
        try {
            return runWithRetry(sub, args, limit);
        } finally {
            if (changing) {
                changes.incrementAndGet();
            }
        }
    }

    private CommandResult runWithRetry(String sub, List<String> args, Duration limit) {
        return LOCK_TIMEOUT.run(() -> once(sub, args, limit), r -> {
            boolean again = !r.succeeded() && transientFailure(r);
            if (again) {
                LOG.infof("lvm %s: transient failure (%s), retrying once", sub, r.stderr().strip());
            }
            return again;
        }, org.tether.concurrent.Retry.THREAD_SLEEP);
    }

    private CommandResult once(String sub, List<String> args, Duration limit) {
        Command.Builder b = Command.of("lvm", limit).args(sub, "--config", deviceFilter);
        args.forEach(b::arg);
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "interrupted waiting for an lvm slot");
        }
        try {
            return runner.run(b.build());
        } finally {
            slots.release();
        }
    }

    static boolean transientFailure(CommandResult r) {
        String err = r.stderr();
        return err.contains("Can't get lock") || err.contains("Resource temporarily unavailable")
                || err.contains("Device or resource busy");
    }

    static boolean notFound(CommandResult r) {
        String err = r.stderr();
        return err.contains("not found") || err.contains("Failed to find");
    }

    static boolean alreadyExists(CommandResult r) {
        return r.stderr().contains("already exists");
    }

    static TetherException failed(CommandResult r) {
        return new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, r.summary());
    }

}
