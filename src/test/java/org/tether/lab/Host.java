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
        return exec(java.time.Duration.ofSeconds(60), argv);
    }

    /** Runs with a limit of its own (a service that takes long to start), killing the tree past it. */
    public static Result exec(java.time.Duration limit, String... argv) {
        try {
            // output goes to files so the timeout holds even when the child never closes its streams
            java.nio.file.Path out = java.nio.file.Files.createTempFile("host-out", ".txt");
            java.nio.file.Path err = java.nio.file.Files.createTempFile("host-err", ".txt");
            try {
                Process p = new ProcessBuilder(argv)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    throw new IllegalStateException("timed out: " + String.join(" ", argv));
                }
                return new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                        java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                java.nio.file.Files.deleteIfExists(out);
                java.nio.file.Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + argv[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs and insists on exit 0. */
    public static String run(String... argv) {
        return run(java.time.Duration.ofSeconds(60), argv);
    }

    /** Runs within {@code limit} and insists on exit 0. */
    public static String run(java.time.Duration limit, String... argv) {
        Result r = exec(limit, argv);
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

    /**
     * Undefines the cephx host secrets a Tether agent of an earlier, interrupted test run left in libvirt (usage
     * {@code client.<user> secret}, the description the agent gives its own): libvirt allows one ceph secret per
     * usage, and an agent of this run, with its own UUID, rightly refuses to start beside it. A secret someone
     * else made (another description) is not touched.
     *
     * @return the UUIDs undefined
     */
    public static List<String> undefineLeftoverHostCephSecrets(String user) {
        List<String> gone = new java.util.ArrayList<>();
        for (String line : virsh("secret-list").lines().skip(2).map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            String uuid = line.split("\\s+")[0];
            if (!line.endsWith("ceph client." + user + " secret")) {
                continue;
            }
            Result xml = exec("virsh", "-c", "qemu:///system", "secret-dumpxml", uuid);
            if (xml.exit() == 0 && xml.out().contains("<description>cephx key of client." + user + " (Tether)</description>")) {
                virsh("secret-undefine", uuid);
                gone.add(uuid);
            }
        }
        return gone;
    }

    public static List<String> secretUsages() {
        return virsh("secret-list").lines().skip(2).map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.substring(l.indexOf(' ')).strip()).toList();
    }
}
