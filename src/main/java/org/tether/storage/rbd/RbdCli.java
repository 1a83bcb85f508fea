package org.tether.storage.rbd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.tether.config.RbdConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.exec.Command;
import org.tether.exec.CommandException;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.util.List;

/**
 * The {@code rbd} and {@code ceph} programs as argv, as the configured cephx user, with JSON output. Both
 * exit with the errno of what failed (the {@code ceph} program exits 1 and prints {@code [errno N]}),
 * which classifies the outcome: ENOENT and EEXIST are answers, EBUSY
 * a conflict, a monitor that does not answer within the connect timeout (ETIMEDOUT) a retryable 503.
 *
 * <p>Why mostly the CLI and not librbd through JNA: the CLI's JSON is stable across releases, a crash or hang of
 * librbd cannot take the agent down with it, and a timeout kills a child rather than leaving a native thread
 * blocked in the JVM. The two calls a controller waits on most, an image created and removed, go through the
 * agent's {@link RadosSession} instead (where it is enabled): there the process start and the cluster join
 * are 95% of an {@code rbd} call. Their outcome is read the same way, as a result whose exit code is the errno.
 */
public final class RbdCli {
    static final int ENOENT = 2;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ERANGE = 34;
    static final int ENOTEMPTY = 39;
    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;

    private final CommandRunner runner;
    private final RbdConfig config;
    private final String pool;
    private final ObjectMapper json;
    private final RadosSession session;

    public RbdCli(CommandRunner runner, RbdConfig config, ObjectMapper json) {
        this(runner, config, config.pool(), json, null);
    }

    /**
     * @param pool the Ceph pool this agent's pool keeps its images in (several agent pools, several Ceph pools)
     * @param session the agent's librados session (shared by its pools), or null for the CLI only
     */
    public RbdCli(CommandRunner runner, RbdConfig config, String pool, ObjectMapper json, RadosSession session) {
        this.json = json;
        this.runner = runner;
        this.config = config;
        this.pool = pool;
        this.session = session;
    }

    /** The agent's librados session, where it is enabled (loaded and not turned off). */
    public java.util.Optional<RadosSession> session() {
        return session != null && session.enabled() ? java.util.Optional.of(session) : java.util.Optional.empty();
    }

    /** A format 2 image with layering, as {@code rbd create} makes it: through the session where it is enabled. */
    public CommandResult create(String image, long bytes) {
        if (session != null && session.enabled()) {
            long t0 = System.nanoTime();
            int errno = session.create(pool, image, bytes);
            if (session.enabled()) {
                return inProcess("create", image, errno, t0);
            }
        }
        return rbd("create", "--size", bytes + "B", "--image-format", "2", "--image-feature", "layering", spec(image));
    }

    /** {@code rbd rm}, through the session where it is enabled. */
    public CommandResult remove(String image) {
        if (session != null && session.enabled()) {
            long t0 = System.nanoTime();
            int errno = session.remove(pool, image);
            if (session.enabled()) {
                return inProcess("remove", image, errno, t0);
            }
        }
        return rbd("rm", "--no-progress", spec(image));
    }

    private CommandResult inProcess(String call, String image, int errno, long t0) {
        return new CommandResult(Command.of("librbd", config.timeout()).args(call, spec(image)).build(), errno, "",
                errno == 0 ? "" : "librbd: " + strerror(errno), java.time.Duration.ofNanos(System.nanoTime() - t0));
    }

    static String strerror(int errno) {
        return switch (errno) {
            case ENOENT -> "(2) No such file or directory";
            case 13 -> "(13) Permission denied";
            case EBUSY -> "(16) Device or resource busy";
            case EEXIST -> "(17) File exists";
            case EINVAL -> "(22) Invalid argument";
            case 28 -> "(28) No space left on device";
            case ENOTEMPTY -> "(39) Directory not empty";
            case RadosSession.ENOTCONN -> "(107) Transport endpoint is not connected";
            case RadosSession.ESHUTDOWN -> "(108) Cannot send after transport endpoint shutdown";
            case ETIMEDOUT -> "(110) Connection timed out";
            case 122 -> "(122) Disk quota exceeded";
            default -> "(" + errno + ")";
        };
    }

    public String pool() {
        return pool;
    }

    public RbdConfig config() {
        return config;
    }

    /** {@code pool/name} of an image (or {@code pool/name@snap}). */
    public String spec(String image) {
        return pool + "/" + image;
    }

    public CommandResult rbd(String... args) {
        return run("rbd", List.of(args));
    }

    public CommandResult ceph(String... args) {
        return run("ceph", List.of(args));
    }

    private CommandResult run(String program, List<String> args) {
        String connect = Long.toString(Math.max(1, config.connectTimeout().toSeconds()));
        Command.Builder b = Command.of(program, config.timeout()).args("-c", config.conf().toString(),
                "--name", "client." + config.user(), "--keyring=" + config.keyring(),
                "--client_mount_timeout", connect, "--rados_mon_op_timeout", connect);
        args.forEach(b::arg);
        try {
            return runner.run(b.build());
        } catch (CommandException e) {
            if (e.timedOut()) {
                throw new TetherException(ErrorCode.STORAGE_UNAVAILABLE, program + " did not finish within "
                        + config.timeout() + "; is the Ceph cluster healthy?", e);
            }
            throw e;
        }
    }

    /** The output of a successful call as JSON; a failure is thrown as {@link #failure}. */
    public JsonNode json(CommandResult r, String what) {
        if (!r.succeeded()) {
            throw failure(r, what);
        }
        try {
            return json.readTree(r.stdout());
        } catch (java.io.IOException e) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "unreadable JSON from " + what);
        }
    }

    /** A librbd call that failed with {@code errno}, as the problem an {@code rbd} process failing so is. */
    static TetherException failure(int errno, String what) {
        return failure(new CommandResult(Command.of("librbd", java.time.Duration.ofSeconds(1)).args(what).build(),
                errno, "", "librbd: " + strerror(errno), java.time.Duration.ZERO), what);
    }

    /** A failed call as the problem it is: monitors away (503), busy (409), anything else (502). */
    public static TetherException failure(CommandResult r, String what) {
        String err = r.stderr();
        if (r.exitCode() == ETIMEDOUT || r.exitCode() == ECONNREFUSED || r.exitCode() == RadosSession.ENOTCONN
                || r.exitCode() == RadosSession.ESHUTDOWN || err.contains("couldn't connect to the cluster")
                || err.contains("error connecting to the cluster") || err.contains("[errno 110]")) {
            return new TetherException(ErrorCode.STORAGE_UNAVAILABLE, "cannot " + what + ": the Ceph monitors "
                    + "did not answer (" + r.summary() + ")");
        }
        if (r.exitCode() == EBUSY) {
            return new TetherException(ErrorCode.VOLUME_BUSY, "cannot " + what + ": " + r.summary());
        }
        return new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "cannot " + what + ": " + r.summary());
    }
}
