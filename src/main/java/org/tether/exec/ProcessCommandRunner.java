package org.tether.exec;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** {@link CommandRunner} on {@link ProcessBuilder}: argv only, output capped, timeout kills the whole tree. */
@ApplicationScoped
public class ProcessCommandRunner implements CommandRunner {
    private static final Logger LOG = Logger.getLogger(ProcessCommandRunner.class);
    private static final int MAX_OUTPUT = 1 << 20;

    private final ExecutorService pumps = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tether-exec-pump");
        t.setDaemon(true);
        return t;
    });

    /** How long the output readers may take after the program exited. */
    static final long READER_WAIT_MS = 5_000;

    @Override
    public CommandResult run(Command command) {
        long start = System.nanoTime();
        Process process;
        try {
            ProcessBuilder pb = new ProcessBuilder(command.argv())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            // outcomes are read from English messages (lvm, iscsiadm, tgtadm): never a translated one
            pb.environment().put("LC_ALL", "C");
            pb.environment().put("LANG", "C");
            process = pb.start();
        } catch (IOException e) {
            throw new CommandException("cannot start " + command.program() + ": " + e.getMessage(), false, e);
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()), pumps);
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()), pumps);
        try {
            if (!process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new CommandException(command.display() + " timed out after " + command.timeout(), true, null);
            }
            CommandResult result = new CommandResult(command, process.exitValue(),
                    command.redact(collect(out, process.getInputStream())),
                    command.redact(collect(err, process.getErrorStream())),
                    Duration.ofNanos(System.nanoTime() - start));
            LOG.debugf("%s -> %d in %d ms", command.display(), result.exitCode(), result.elapsed().toMillis());
            return result;
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new CommandException(command.display() + " interrupted", false, e);
        }
    }

    /**
     * The output once the program exited: a daemon it started may hold the pipe open forever, so the wait
     * for the reader is bounded, and then the pipe is closed and what it read is given up.
     */
    private static String collect(CompletableFuture<String> reader, InputStream stream) {
        try {
            return reader.get(READER_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            try {
                stream.close();
            } catch (IOException ignored) {
                // closing is all that is left to do
            }
            return "(output still open " + READER_WAIT_MS + " ms after the program exited; not read)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (java.util.concurrent.ExecutionException e) {
            return "";
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String drain(InputStream in) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(chunk)) >= 0) {
                int room = MAX_OUTPUT - buf.size();
                if (room > 0) {
                    buf.write(chunk, 0, Math.min(n, room));
                }
            }
        } catch (IOException e) {
            // the process was killed or closed its end; keep what was read
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
