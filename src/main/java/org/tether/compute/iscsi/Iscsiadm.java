package org.tether.compute.iscsi;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.connection.ChapCredentials;
import org.tether.connection.Portal;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.time.Duration;
import java.util.List;

/**
 * The iscsiadm calls os-brick makes, as argv, with exit codes classified. Passwords never reach a log.
 * open-iscsi's node database is not safe for concurrent writers (parallel deletes of different targets
 * fail with exit 6, seen in the test-host VM): writes to it are serialised here (each takes milliseconds;
 * logins, the slow part, stay parallel) and exit 6 is retried.
 */
@ApplicationScoped
public class Iscsiadm {
    /** open-iscsi's "database busy" (exit 6): four tries, 50 ms doubling, jittered. */
    private static final org.tether.concurrent.Retry DB_BUSY = new org.tether.concurrent.Retry(4,
            Duration.ofMillis(50), Duration.ofMillis(400), true);

    private final org.tether.concurrent.HostFileLock dbWrites;
    private final CommandRunner runner;
    private final String program;
    private final Duration timeout;

    @jakarta.inject.Inject
    public Iscsiadm(CommandRunner runner, TetherConfig config) {
        this(runner, config.iscsi().iscsiadm(), config.iscsi().commandTimeout(), config.iscsi().nodeDbLock());
    }

    /** With a lock file of its own in the temporary directory (tests). */
    public Iscsiadm(CommandRunner runner, String program, Duration timeout) {
        this(runner, program, timeout, java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                "tether-iscsi-node-db-" + ProcessHandle.current().pid()));
    }

    public Iscsiadm(CommandRunner runner, String program, Duration timeout, java.nio.file.Path nodeDbLock) {
        this.runner = runner;
        this.program = program;
        this.timeout = timeout;
        this.dbWrites = new org.tether.concurrent.HostFileLock(nodeDbLock);
    }

    /** Every session on this host; none is an empty list, not an error. */
    public List<IscsiSession> sessions() {
        CommandResult r = run(Command.of(program, timeout).args("-m", "session").build(), false);
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        if (s == IscsiadmStatus.NO_OBJECTS) {
            return List.of();
        }
        check(r, s);
        return IscsiSession.parseAll(r.stdout());
    }

    /**
     * Creates (or refreshes) the node record with manual LUN scanning, start at boot, and its CHAP settings.
     * All settings go in one {@code --op update} (iscsiadm takes several {@code -n/-v} pairs): every process
     * is a node-database lock and a fork, which is most of what a connect costs.
     */
    public void createNode(Portal portal, String iqn, ChapCredentials chap) {
        check(node(portal, iqn).args("--interface", "default", "--op", "new").build(), true);
        Command.Builder b = node(portal, iqn).args("--op", "update")
                .args("-n", "node.session.scan", "-v", "manual")
                .args("-n", "node.startup", "-v", "automatic");
        if (chap == null) {
            b.args("-n", "node.session.auth.authmethod", "-v", "None");
        } else {
            b.args("-n", "node.session.auth.authmethod", "-v", "CHAP")
                    .args("-n", "node.session.auth.username", "-v", chap.username())
                    .args("-n", "node.session.auth.password", "-v").secretArg(chap.password());
            if (chap.mutual()) {
                b.args("-n", "node.session.auth.username_in", "-v", chap.usernameIn())
                        .args("-n", "node.session.auth.password_in", "-v").secretArg(chap.passwordIn());
            }
        }
        check(b.build(), true);
    }

    /**
     * Sendtargets discovery (with discovery CHAP when given): every (portal, iqn) the portal advertises.
     */
    public List<DiscoveredTarget> discover(Portal portal, ChapCredentials chap) {
        check(discovery(portal).args("--op", "new").build(), true);
        if (chap != null) {
            check(discovery(portal).args("--op", "update")
                    .args("-n", "discovery.sendtargets.auth.authmethod", "-v", "CHAP")
                    .args("-n", "discovery.sendtargets.auth.username", "-v", chap.username())
                    .args("-n", "discovery.sendtargets.auth.password", "-v").secretArg(chap.password()).build(), true);
        }
        CommandResult r = run(discovery(portal).arg("--discover").build(), true);
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        if (s == IscsiadmStatus.AUTH_FAILED) {
            throw new TetherException(ErrorCode.ISCSI_AUTH_FAILED, "discovery CHAP at " + portal + " was refused");
        }
        check(r, s);
        return DiscoveredTarget.parseAll(r.stdout());
    }

    private Command.Builder discovery(Portal portal) {
        return Command.of(program, timeout).args("-m", "discoverydb", "-t", "sendtargets", "-p", portal.hostPort());
    }

    /** Logs in; an existing session (exit 15) is success. */
    public void login(Portal portal, String iqn) {
        CommandResult r = run(node(portal, iqn).arg("--login").build(), false);
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        if (s != IscsiadmStatus.OK && s != IscsiadmStatus.SESSION_EXISTS) {
            throw failure(r, s, "login to " + iqn + " at " + portal);
        }
    }

    /** One setting of a node record as iscsiadm shows it (passwords are shown masked); empty when unset. */
    public java.util.Optional<String> nodeSetting(Portal portal, String iqn, String key) {
        CommandResult r = run(node(portal, iqn).build(), false);
        if (!r.succeeded()) {
            return java.util.Optional.empty();
        }
        return r.stdout().lines().map(String::strip).filter(l -> l.startsWith(key + " = "))
                .map(l -> l.substring(key.length() + 3).strip())
                .filter(v -> !v.isEmpty() && !v.equals("<empty>")).findFirst();
    }

    /** Logs out; no session (exit 21) is success. */
    public void logout(Portal portal, String iqn) {
        CommandResult r = run(node(portal, iqn).arg("--logout").build(), false);
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        if (s != IscsiadmStatus.NO_OBJECTS) {
            check(r, s);
        }
    }

    /** Deletes the node record; no record (exit 21) is success. */
    public void deleteNode(Portal portal, String iqn) {
        CommandResult r = run(node(portal, iqn).args("--op", "delete").build(), true);
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        if (s != IscsiadmStatus.NO_OBJECTS) {
            check(r, s);
        }
    }

    private Command.Builder node(Portal portal, String iqn) {
        return Command.of(program, timeout).args("-m", "node", "-T", iqn, "-p", portal.hostPort());
    }

    private void check(Command c, boolean writesDb) {
        CommandResult r = run(c, writesDb);
        check(r, IscsiadmStatus.of(r.exitCode()));
    }

    /** Runs, serialising node-database writes, and retries while the database is busy. */
    private CommandResult run(Command c, boolean writesDb) {
        return DB_BUSY.run(() -> writesDb ? locked(c) : runner.run(c),
                r -> IscsiadmStatus.of(r.exitCode()) == IscsiadmStatus.DB_BUSY, org.tether.concurrent.Retry.THREAD_SLEEP);
    }

    /** One node-database write, under the host-wide lock file (which os-brick may share). */
    private CommandResult locked(Command c) {
        try (var held = dbWrites.acquire(timeout)) {
            return runner.run(c);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new TetherException(ErrorCode.ISCSI_NODE_DB_BUSY, "the lock on open-iscsi's node database ("
                    + dbWrites.file() + ") was held by another process for " + timeout + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.ISCSI_NODE_DB_BUSY, "interrupted waiting for the lock on open-iscsi's "
                    + "node database");
        }
    }


    private static void check(CommandResult r, IscsiadmStatus s) {
        if (s != IscsiadmStatus.OK) {
            // the mode and its object (-m node -T <iqn> -p <portal>), from the display, which masks secrets
            String[] words = r.command().display().split(" ");
            throw failure(r, s, String.join(" ", java.util.Arrays.copyOfRange(words, 0, Math.min(7, words.length))));
        }
    }

    /** The decision {@link IscsiadmStatus} documents for a failed call, in the API's codes. */
    static TetherException failure(CommandResult r, IscsiadmStatus s, String what) {
        return switch (s) {
            case AUTH_FAILED -> new TetherException(ErrorCode.ISCSI_AUTH_FAILED, "CHAP authentication for " + what
                    + " was refused");
            case TRANSPORT -> new TetherException(ErrorCode.TARGET_UNAVAILABLE, what + ": the portal did not answer; "
                    + "retry later: " + r.summary());
            case ISCSID_DOWN -> new TetherException(ErrorCode.ISCSID_UNAVAILABLE, what + ": iscsid did not answer "
                    + "(stopped or restarting); retry later: " + r.summary());
            case LOGIN_REFUSED -> new TetherException(ErrorCode.ISCSI_LOGIN_FAILED, what + " was refused by the "
                    + "target: " + r.summary());
            case NO_TRANSPORT -> new TetherException(ErrorCode.ISCSI_LOGIN_FAILED, what + ": this host has no iSCSI "
                    + "transport (is iscsi_tcp loaded?); attach_path qemu needs none: " + r.summary());
            default -> new TetherException(ErrorCode.COMMAND_FAILED, r.summary());
        };
    }
}
