package org.tether.compute.iscsi;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.concurrent.Deadline;
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
    private final CommandRunner runner;
    private final ScsiSysfs sysfs;
    private final Duration timeout;
    private final Duration mapTimeout;

    @Inject
    public Multipath(CommandRunner runner, ScsiSysfs sysfs, TetherConfig config) {
        this(runner, sysfs, config.iscsi().commandTimeout(), config.iscsi().deviceTimeout());
    }

    public Multipath(CommandRunner runner, ScsiSysfs sysfs, Duration timeout, Duration mapTimeout) {
        this.runner = runner;
        this.sysfs = sysfs;
        this.timeout = timeout;
        this.mapTimeout = mapTimeout;
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
        CommandResult r = runner.run(Command.of("multipathd", timeout).args("resize", "map", map).build());
        if (!r.succeeded() || r.stdout().strip().startsWith("fail")) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, r.summary());
        }
    }

    /** Flushes and removes the map; a map that is gone already is success. */
    public void flush(String map) {
        CommandResult r = runner.run(Command.of("multipath", timeout).args("-f", map).build());
        if (!r.succeeded() && !r.stderr().contains("not found") && !r.stdout().contains("not found")) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, r.summary());
        }
    }
}
