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

    public static String virsh(String... args) {
        String[] argv = new String[args.length + 3];
        argv[0] = "virsh";
        argv[1] = "-c";
        argv[2] = "qemu:///system";
        System.arraycopy(args, 0, argv, 3, args.length);
        return run(argv);
    }

    public static List<String> secretUsages() {
        return virsh("secret-list").lines().skip(2).map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.substring(l.indexOf(' ')).strip()).toList();
    }
}
