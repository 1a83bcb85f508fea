package org.tether.compute.iscsi;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.nio.file.Path;
import java.time.Duration;

/** {@code blockdev}: flushes a disk's buffers before its SCSI device is deleted, so no write is lost. */
@ApplicationScoped
public class Blockdev {
    private final CommandRunner runner;
    private final Duration timeout;

    @Inject
    public Blockdev(CommandRunner runner, TetherConfig config) {
        this(runner, config.iscsi().commandTimeout());
    }

    public Blockdev(CommandRunner runner, Duration timeout) {
        this.runner = runner;
        this.timeout = timeout;
    }

    public void flush(Path device) {
        CommandResult r = runner.run(Command.of("blockdev", timeout).args("--flushbufs", device.toString()).build());
        if (!r.succeeded()) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, r.summary());
        }
    }
}
