package org.tether.compute.iscsi;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.concurrent.Deadline;
import org.tether.concurrent.Retry;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * dm-multipath around the disks of one LUN: multipathd builds the map (udev triggers it); Tether waits
 * for it through sysfs holders and flushes it with {@code multipath -f} before the paths go.
 */
@ApplicationScoped
public class Multipath {
    /**
     * {@code multipath -f} refuses a map something still holds open: for a moment after QEMU let the disk go,
     * or while udev's blkid reads it after a change event (a resize). Tried again for about 10 s, as os-brick
     * tries its flush three times.
     */
    static final Retry WHILE_IN_USE = new Retry(8, Duration.ofMillis(250), Duration.ofSeconds(2), true);
    /**
     * {@code multipathd resize map} answers "fail" while it still holds a path's old size: the rescan
     * changed the disk's capacity, but multipathd learns it from the change uevent, a moment later (seen
     * once in the test-host VM). Tried again for about 5 s, as os-brick retries its resize.
     */
    static final Retry WHILE_PATHS_SETTLE = new Retry(6, Duration.ofMillis(200), Duration.ofSeconds(2), true);

    private final CommandRunner runner;
    private final ScsiSysfs sysfs;
    private final Duration timeout;
    private final Duration mapTimeout;
    private final Retry.Sleeper sleeper;

    @Inject
    public Multipath(CommandRunner runner, ScsiSysfs sysfs, TetherConfig config) {
        this(runner, sysfs, config.iscsi().commandTimeout(), config.iscsi().deviceTimeout());
    }

    public Multipath(CommandRunner runner, ScsiSysfs sysfs, Duration timeout, Duration mapTimeout) {
        this(runner, sysfs, timeout, mapTimeout, Retry.THREAD_SLEEP);
    }

    Multipath(CommandRunner runner, ScsiSysfs sysfs, Duration timeout, Duration mapTimeout, Retry.Sleeper sleeper) {
        this.runner = runner;
        this.sysfs = sysfs;
        this.timeout = timeout;
        this.mapTimeout = mapTimeout;
        this.sleeper = sleeper;
    }

    /** The map name that holds all of {@code disks}, once multipathd made it. */
    public String waitForMap(List<String> disks) {
        return Deadline.in(mapTimeout).poll(() -> commonMap(disks), Duration.ofMillis(50), Duration.ofMillis(500))
                .orElseThrow(() -> new TetherException(ErrorCode.ISCSI_DEVICE_NOT_FOUND,
                        "no multipath map appeared over " + disks));
    }

    private Optional<String> commonMap(List<String> disks) {
        List<String> holders = sysfs.holders(disks.get(0));
        for (String dm : holders) {
            if (disks.stream().allMatch(d -> sysfs.holders(d).contains(dm))) {
                return sysfs.dmName(dm);
            }
        }
        return Optional.empty();
    }

    /** Has multipathd re-read the map's size from its paths (after each path was rescanned). */
    public void resize(String map) {
        Command resize = Command.of("multipathd", timeout).args("resize", "map", map).build();
        CommandResult r = WHILE_PATHS_SETTLE.run(() -> runner.run(resize), Multipath::resizeFailed, sleeper);
        if (resizeFailed(r)) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, r.summary());
        }
    }

    /** Flushes and removes the map; a map that is gone already is success, one still in use is tried again. */
    public void flush(String map) {
        Command flush = Command.of("multipath", timeout).args("-f", map).build();
        CommandResult r = WHILE_IN_USE.run(() -> runner.run(flush), Multipath::inUse, sleeper);
        if (!r.succeeded() && !says(r, "not found")) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, r.summary());
        }
    }

    static boolean resizeFailed(CommandResult r) {
        return !r.succeeded() || r.stdout().strip().startsWith("fail");
    }

    static boolean inUse(CommandResult r) {
        return !r.succeeded() && says(r, "in use");
    }

    /** multipath prints its refusals on stdout or stderr depending on its version and verbosity. */
    private static boolean says(CommandResult r, String words) {
        return r.stderr().contains(words) || r.stdout().contains(words);
    }
}
