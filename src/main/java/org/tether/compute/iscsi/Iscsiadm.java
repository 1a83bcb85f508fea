package org.tether.compute.iscsi;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.compute.connection.ChapCredentials;
import org.tether.compute.connection.Portal;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.time.Duration;
import java.util.List;

/** The iscsiadm calls os-brick makes, as argv, with exit codes classified. Passwords never reach a log. */
@ApplicationScoped
public class Iscsiadm {
    private final CommandRunner runner;
    private final String program;
    private final Duration timeout;

    @jakarta.inject.Inject
    public Iscsiadm(CommandRunner runner, TetherConfig config) {
        this(runner, config.iscsi().iscsiadm(), config.iscsi().commandTimeout());
    }

    public Iscsiadm(CommandRunner runner, String program, Duration timeout) {
        this.runner = runner;
        this.program = program;
        this.timeout = timeout;
    }

    /** Every session on this host; none is an empty list, not an error. */
    public List<IscsiSession> sessions() {
        CommandResult r = runner.run(Command.of(program, timeout).args("-m", "session").build());
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        if (s == IscsiadmStatus.NO_OBJECTS) {
            return List.of();
        }
        check(r, s);
        return IscsiSession.parseAll(r.stdout());
    }

    /** Creates (or refreshes) the node record with manual LUN scanning, and sets its CHAP settings. */
    public void createNode(Portal portal, String iqn, ChapCredentials chap) {
        check(node(portal, iqn).args("--interface", "default", "--op", "new").build());
        update(portal, iqn, "node.session.scan", "manual", false);
        if (chap == null) {
            update(portal, iqn, "node.session.auth.authmethod", "None", false);
            return;
        }
        update(portal, iqn, "node.session.auth.authmethod", "CHAP", false);
        update(portal, iqn, "node.session.auth.username", chap.username(), false);
        update(portal, iqn, "node.session.auth.password", chap.password(), true);
        if (chap.mutual()) {
            update(portal, iqn, "node.session.auth.username_in", chap.usernameIn(), false);
            update(portal, iqn, "node.session.auth.password_in", chap.passwordIn(), true);
        }
    }

    /**
     * Sendtargets discovery (with discovery CHAP when given): every (portal, iqn) the portal advertises.
     */
    public List<DiscoveredTarget> discover(Portal portal, ChapCredentials chap) {
        check(discovery(portal).args("--op", "new").build());
        if (chap != null) {
            check(discoveryUpdate(portal, "discovery.sendtargets.auth.authmethod").arg("CHAP").build());
            check(discoveryUpdate(portal, "discovery.sendtargets.auth.username").arg(chap.username()).build());
            check(discoveryUpdate(portal, "discovery.sendtargets.auth.password").secretArg(chap.password()).build());
        }
        CommandResult r = runner.run(discovery(portal).arg("--discover").build());
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

    private Command.Builder discoveryUpdate(Portal portal, String key) {
        return discovery(portal).args("--op", "update", "-n", key, "-v");
    }

    /** Logs in; an existing session (exit 15) is success. */
    public void login(Portal portal, String iqn) {
        CommandResult r = runner.run(node(portal, iqn).arg("--login").build());
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        switch (s) {
            case OK, SESSION_EXISTS -> {
            }
            case AUTH_FAILED -> throw new TetherException(ErrorCode.ISCSI_AUTH_FAILED,
                    "CHAP authentication to " + iqn + " at " + portal + " was refused");
            default -> throw new TetherException(ErrorCode.ISCSI_LOGIN_FAILED,
                    "login to " + iqn + " at " + portal + " failed: " + r.summary());
        }
        update(portal, iqn, "node.startup", "automatic", false);
    }

    /** Logs out; no session (exit 21) is success. */
    public void logout(Portal portal, String iqn) {
        CommandResult r = runner.run(node(portal, iqn).arg("--logout").build());
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        if (s != IscsiadmStatus.NO_OBJECTS) {
            check(r, s);
        }
    }

    /** Deletes the node record; no record (exit 21) is success. */
    public void deleteNode(Portal portal, String iqn) {
        CommandResult r = runner.run(node(portal, iqn).args("--op", "delete").build());
        IscsiadmStatus s = IscsiadmStatus.of(r.exitCode());
        if (s != IscsiadmStatus.NO_OBJECTS) {
            check(r, s);
        }
    }

    private void update(Portal portal, String iqn, String key, String value, boolean secret) {
        Command.Builder b = node(portal, iqn).args("--op", "update", "-n", key, "-v");
        check((secret ? b.secretArg(value) : b.arg(value)).build());
    }

    private Command.Builder node(Portal portal, String iqn) {
        return Command.of(program, timeout).args("-m", "node", "-T", iqn, "-p", portal.hostPort());
    }

    private void check(Command c) {
        CommandResult r = runner.run(c);
        check(r, IscsiadmStatus.of(r.exitCode()));
    }

    private static void check(CommandResult r, IscsiadmStatus s) {
        if (s != IscsiadmStatus.OK) {
            throw new TetherException(ErrorCode.COMMAND_FAILED, r.summary());
        }
    }
}
