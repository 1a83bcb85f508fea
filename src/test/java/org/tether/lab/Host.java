package org.tether.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real host programs integration tests check against (virsh, tgtadm). argv only. */
public final class Host {
    private Host() {
    }

    public record Result(int exit, String out, String err) {
    }

    public static Result exec(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            var out = p.getInputStream();
            var err = p.getErrorStream();
            byte[] o = out.readAllBytes();
            byte[] e = err.readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", argv));
            }
            return new Result(p.exitValue(), new String(o, StandardCharsets.UTF_8), new String(e, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + argv[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs and insists on exit 0. */
    public static String run(String... argv) {
        Result r = exec(argv);
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + r.exit() + ": " + r.err() + r.out());
        }
        return r.out();
    }

    /** Runs {@code prefix} followed by {@code args}, insisting on exit 0. */
    public static String run(List<String> prefix, String... args) {
        List<String> argv = new java.util.ArrayList<>(prefix);
        argv.addAll(List.of(args));
        return run(argv.toArray(String[]::new));
    }

    public static String virsh(String... args) {
        return run(List.of("virsh", "-c", "qemu:///system"), args);
    }

    public static List<String> secretUsages() {
        return virsh("secret-list").lines().skip(2).map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.substring(l.indexOf(' ')).strip()).toList();
    }
}
