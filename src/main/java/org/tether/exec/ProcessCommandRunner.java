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

    @Override
    public CommandResult run(Command command) {
        long start = System.nanoTime();
        Process process;
        try {
            process = new ProcessBuilder(command.argv())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
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
                    command.redact(out.join()), command.redact(err.join()),
                    Duration.ofNanos(System.nanoTime() - start));
            LOG.debugf("%s -> %d in %d ms", command.display(), result.exitCode(), result.elapsed().toMillis());
            return result;
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new CommandException(command.display() + " interrupted", false, e);
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
