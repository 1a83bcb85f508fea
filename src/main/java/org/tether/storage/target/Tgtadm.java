package org.tether.storage.target;

import org.tether.concurrent.Retry;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.time.Duration;
import java.util.List;

/**
 * tgtadm as argv. tgtadm exits 22 for every refusal; the message tells "already there" and "not there"
 * apart from real failures, and those two are answers, not errors.
 */
public final class Tgtadm {
    /**
     * tgtd refuses to remove a LUN (and so a target, even with {@code --force}) while SCSI commands are still
     * queued on it: for a moment after an initiator with I/O in flight went away (a domain destroyed, QEMU
     * killed), until tgtd's backing-store threads finish them. Tried again for about 5 s.
     */
    static final Retry WHILE_ACTIVE = new Retry(10, Duration.ofMillis(100), Duration.ofSeconds(1), true);

    private final CommandRunner runner;
    private final Duration timeout;
    private final Retry.Sleeper sleeper;

    public Tgtadm(CommandRunner runner, Duration timeout) {
        this(runner, timeout, Retry.THREAD_SLEEP);
    }

    Tgtadm(CommandRunner runner, Duration timeout, Retry.Sleeper sleeper) {
        this.runner = runner;
        this.timeout = timeout;
        this.sleeper = sleeper;
    }

    public enum Outcome { DONE, ALREADY, ABSENT }

    public String showTargets() {
        CommandResult r = run(List.of("--op", "show", "--mode", "target"), null);
        if (!r.succeeded()) {
            throw failure(r);
        }
        return r.stdout();
    }

    public Outcome newTarget(int tid, String iqn) {
        return classify(run(List.of("--op", "new", "--mode", "target", "--tid", "" + tid, "-T", iqn), null));
    }

    public Outcome newLun(int tid, int lun, String backingStore) {
        return classify(run(List.of("--op", "new", "--mode", "logicalunit", "--tid", "" + tid, "--lun", "" + lun,
                "-b", backingStore), null));
    }

    public Outcome deleteLun(int tid, int lun) {
        return classify(whileActive(List.of("--op", "delete", "--mode", "logicalunit", "--tid", "" + tid, "--lun",
                "" + lun)));
    }

    public Outcome newAccount(String user, String password) {
        return classify(run(List.of("--op", "new", "--mode", "account", "--user", user, "--password"), password));
    }

    public Outcome bindAccount(int tid, String user) {
        return classify(run(List.of("--op", "bind", "--mode", "account", "--tid", "" + tid, "--user", user), null));
    }

    public Outcome bindInitiator(int tid, String initiator) {
        return classify(run(List.of("--op", "bind", "--mode", "target", "--tid", "" + tid,
                "--initiator-name", initiator), null));
    }

    public Outcome unbindInitiator(int tid, String initiator) {
        return classify(run(List.of("--op", "unbind", "--mode", "target", "--tid", "" + tid,
                "--initiator-name", initiator), null));
    }

    public Outcome deleteTarget(int tid) {
        return classify(whileActive(List.of("--op", "delete", "--mode", "target", "--tid", "" + tid, "--force")));
    }

    public Outcome deleteAccount(String user) {
        return classify(run(List.of("--op", "delete", "--mode", "account", "--user", user), null));
    }

    /** A removal, tried again while tgtd says the LUN or target is still active (see {@link #WHILE_ACTIVE}). */
    private CommandResult whileActive(List<String> args) {
        return WHILE_ACTIVE.run(() -> run(args, null), Tgtadm::stillActive, sleeper);
    }

    static boolean stillActive(CommandResult r) {
        return !r.succeeded() && r.stderr().contains("is still active");
    }

    private CommandResult run(List<String> args, String secretLast) {
        Command.Builder b = Command.of("tgtadm", timeout).args("--lld", "iscsi");
        args.forEach(b::arg);
        if (secretLast != null) {
            b.secretArg(secretLast);
        }
        return runner.run(b.build());
    }

    static Outcome classify(CommandResult r) {
        if (r.succeeded()) {
            return Outcome.DONE;
        }
        String err = r.stderr();
        if (err.contains("already exists")) {
            return Outcome.ALREADY;
        }
        if (err.contains("can't find") || err.contains("does not exist")) {
            return Outcome.ABSENT;
        }
        throw failure(r);
    }

    /** tgtadm's exit status when it cannot reach tgtd's control socket (ENOTCONN). */
    static final int DAEMON_UNREACHABLE = 107;
    /** Killed by SIGPIPE: tgtd closed the control socket while tgtadm wrote to it (tgtd died mid-call). */
    static final int SIGPIPE = 128 + 13;
    /** ECONNRESET: tgtd died before it answered ("can't get the response, Connection reset by peer"). */
    static final int CONNECTION_RESET = 104;

    /**
     * A refusal by tgtd is a 502; tgtd not answering at all (stopped, restarting: tgtadm cannot reach its
     * socket) is a retryable 503, since the export is put back once tgtd is there again.
     */
    static TetherException failure(CommandResult r) {
        String err = r.stderr();
        boolean unreachable = r.exitCode() == DAEMON_UNREACHABLE || r.exitCode() == SIGPIPE
                || r.exitCode() == CONNECTION_RESET
                || err.contains("tgt daemon") && (err.contains("not connected") || err.contains("connect"));
        return new TetherException(unreachable ? ErrorCode.TARGET_UNAVAILABLE : ErrorCode.TARGET_FAILED,
                unreachable ? "tgtd is not answering: " + r.summary() : r.summary());
    }
}
