package org.tether.storage.lvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
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
 */
public class Lvm {
    /** LVM could not get its lock (another lvm holds it): one more try, a quarter second later. */
    private static final org.tether.concurrent.Retry LOCK_TIMEOUT = new org.tether.concurrent.Retry(2,
            Duration.ofMillis(250), Duration.ofMillis(250), false);
    private static final Logger LOG = Logger.getLogger(Lvm.class);
    private static final String LV_FIELDS =
            "lv_name,lv_size,lv_tags,pool_lv,origin,data_percent,metadata_percent,lv_attr";

    private final CommandRunner runner;
    private final String deviceFilter;
    private final Duration timeout;
    private final Semaphore slots;
    private final ObjectMapper json;

    public Lvm(CommandRunner runner, TetherConfig.Lvm config, ObjectMapper json) {
        this(runner, config.pvs().orElse(List.of()), config.timeout(), config.maxConcurrent(), json);
    }

    public Lvm(CommandRunner runner, List<String> pvs, Duration timeout, int maxConcurrent, ObjectMapper json) {
        this.json = json;
        this.runner = runner;
        this.deviceFilter = filter(pvs);
        this.timeout = timeout;
        this.slots = new Semaphore(maxConcurrent, true);
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

    public List<LvInfo> lvs(String vg) {
        CommandResult r = run("lvs", List.of("--reportformat", "json", "--units", "b", "--nosuffix",
                "-o", LV_FIELDS, vg), timeout);
        if (!r.succeeded()) {
            throw failed(r);
        }
        return LvmReport.lvs(report(r));
    }

    /** The VG, or null when it does not exist. */
    public VgInfo vg(String vg) {
        CommandResult r = run("vgs", List.of("--reportformat", "json", "--units", "b", "--nosuffix",
                "-o", "vg_name,vg_size,vg_free", vg), timeout);
        if (!r.succeeded()) {
            if (notFound(r)) {
                return null;
            }
            throw failed(r);
        }
        return LvmReport.vgs(report(r)).stream().findFirst().orElse(null);
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
