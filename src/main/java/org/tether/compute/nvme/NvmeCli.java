package org.tether.compute.nvme;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.connection.Portal;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.time.Duration;

/**
 * nvme-cli as argv: {@code connect} over TCP with this host's NQN and id, reconnecting for ever after a loss
 * ({@code --ctrl-loss-tmo=-1}, as os-brick asks), and {@code disconnect} of one controller by its device name.
 * A controller that exists already is 114 (EALREADY) or "already connected"; 111 (ECONNREFUSED) and 110
 * (ETIMEDOUT) a portal that does not answer (retryable); anything else, such as a host NQN the target does not
 * admit (nvme-cli 2.3 exits 1 with "Failed to write to /dev/nvme-fabrics: Input/output error", and the kernel
 * logs "Connect for subsystem ... is not allowed"), is a refusal.
 */
@ApplicationScoped
public class NvmeCli {
    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;
    static final int EALREADY = 114;

    private final CommandRunner runner;
    private final String program;
    private final Duration timeout;

    @Inject
    public NvmeCli(CommandRunner runner, TetherConfig config) {
        this(runner, config.nvme().nvme(), config.nvme().commandTimeout());
    }

    public NvmeCli(CommandRunner runner, String program, Duration timeout) {
        this.runner = runner;
        this.program = program;
        this.timeout = timeout;
    }

    public enum Outcome { CONNECTED, ALREADY }

    public Outcome connect(String nqn, Portal portal, NvmeHostIdentity.Identity host) {
        Command.Builder b = Command.of(program, timeout).args("connect", "--transport=tcp",
                "--traddr=" + portal.host(), "--trsvcid=" + portal.port(), "--nqn=" + nqn,
                "--hostnqn=" + host.hostNqn(), "--ctrl-loss-tmo=-1");
        if (host.hostId() != null) {
            b.arg("--hostid=" + host.hostId());
        }
        CommandResult r = runner.run(b.build());
        if (r.succeeded()) {
            return Outcome.CONNECTED;
        }
        if (r.exitCode() == EALREADY || r.stderr().contains("already connected")) {
            return Outcome.ALREADY;
        }
        throw new TetherException(r.exitCode() == ECONNREFUSED || r.exitCode() == ETIMEDOUT
                ? ErrorCode.TARGET_UNAVAILABLE : ErrorCode.NVME_CONNECT_FAILED,
                "nvme connect to " + nqn + " at " + portal.hostPort() + " failed (host " + host.hostNqn()
                        + ", not admitted by the target, or the portal is down): " + r.summary());
    }

    /**
     * Every controller of the subsystem, in one process (what {@code nvme disconnect -n} does); the caller looks
     * in sysfs afterwards for any left.
     */
    public void disconnectSubsystem(String nqn) {
        runner.run(Command.of(program, timeout).args("disconnect", "--nqn=" + nqn).build());
    }

    /** @return false when nvme-cli could not remove it (the caller then deletes it through sysfs) */
    public boolean disconnect(String controller) {
        return runner.run(Command.of(program, timeout).args("disconnect", "--device=" + controller).build())
                .succeeded();
    }
}
