package org.tether;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dependencies point one way: api → services (compute, storage, Cinder attachments, operations, health,
 * security) → gateways (libvirt, iSCSI, RBD, the OpenStack clients) → state → config → the shared vocabulary
 * (connection_info, QoS, the disk model, encryption) → exec and error. Read from the main
 * sources themselves (imports and fully qualified names), so a forbidden import fails here the day it comes
 * back. A new package must be given its layer below.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
    /** An import or a fully qualified use of a class of Tether: its package. */
    private static final Pattern REFERENCE = Pattern.compile("\\b(org\\.tether(?:\\.[a-z]\\w*)*)\\.[A-Z]\\w*");

    /** Each package's layer; a package may use its own layer and those below, never one above. */
    private static final Map<String, Integer> LAYER = new HashMap<>();

    static {
        layer(0, "error");
        layer(1, "exec", "concurrent", "qos", "metrics", "digest");
        layer(2, "connection", "encryption");
        layer(3, "disk");
        layer(4, "config");
        layer(5, "state");
        layer(6, "openstack", "peer", "compute.libvirt", "compute.libvirt.jna", "compute.connector", "compute.iscsi", "compute.nvme",
                "compute.rbd");
        layer(7, "compute.attach", "compute.encryption", "compute.instance", "compute.reconcile",
                "compute.cinder", "storage", "storage.volume", "storage.lvm", "storage.rbd", "storage.target",
                "storage.image", "storage.pool", "storage.backup", "compute.backup", "compute.migration", "compute.move", "compute.stats", "operations", "health",
                "security");
        layer(8, "api", "service", "livemove");
        layer(9, "cli");
    }

    private static void layer(int n, String... packages) {
        for (String p : packages) {
            LAYER.put("org.tether." + p, n);
        }
    }

    private static Map<String, Map<String, Set<String>>> dependencies() {
        Map<String, Map<String, Set<String>>> deps = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String src = Files.readString(f);
                Matcher pm = PACKAGE.matcher(src);
                assertThat(pm.find()).as(f + " names its package").isTrue();
                String pkg = pm.group(1);
                Map<String, Set<String>> mine = deps.computeIfAbsent(pkg, k -> new TreeMap<>());
                Matcher m = REFERENCE.matcher(src.substring(pm.end()));
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        mine.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(f.getFileName().toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return deps;
    }

    @Test
    void everyPackageHasALayer() {
        assertThat(dependencies().keySet()).as("packages with no layer in ArchitectureTest")
                .allMatch(LAYER::containsKey);
    }

    /** tetherctl runs in a JVM of its own with picocli and Jackson only: a client of the API, never of the agent. */
    @Test
    void theCommandLineUsesNothingOfTheAgent() {
        assertThat(dependencies().getOrDefault("org.tether.cli", Map.of()).keySet()).as("packages org.tether.cli uses")
                .isEmpty();
    }

    @Test
    void noPackageUsesALayerAboveItsOwn() {
        List<String> upward = new ArrayList<>();
        dependencies().forEach((from, to) -> to.forEach((target, files) -> {
            Integer a = LAYER.get(from);
            Integer b = LAYER.get(target);
            if (a != null && b != null && b > a) {
                upward.add(from + " (" + a + ") -> " + target + " (" + b + ") in " + files);
            }
        }));
        assertThat(upward).isEmpty();
    }

    @Test
    void packagesFormNoCycle() {
        Map<String, Map<String, Set<String>>> deps = dependencies();
        List<List<String>> cycles = new ArrayList<>();
        new Tarjan(deps, cycles).run();
        assertThat(cycles).as("package cycles").isEmpty();
    }

    /** Strongly connected components of more than one package: each one is a cycle. */
    private static final class Tarjan {
        private final Map<String, Map<String, Set<String>>> deps;
        private final List<List<String>> cycles;
        private final Map<String, Integer> index = new HashMap<>();
        private final Map<String, Integer> low = new HashMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new TreeSet<>();
        private int next;

        Tarjan(Map<String, Map<String, Set<String>>> deps, List<List<String>> cycles) {
            this.deps = deps;
            this.cycles = cycles;
        }

        void run() {
            for (String p : deps.keySet()) {
                if (!index.containsKey(p)) {
                    visit(p);
                }
            }
        }

        private void visit(String p) {
            index.put(p, next);
            low.put(p, next++);
            stack.push(p);
            onStack.add(p);
            for (String q : deps.getOrDefault(p, Map.of()).keySet()) {
                if (!index.containsKey(q)) {
                    visit(q);
                    low.put(p, Math.min(low.get(p), low.get(q)));
                } else if (onStack.contains(q)) {
                    low.put(p, Math.min(low.get(p), index.get(q)));
                }
            }
            if (low.get(p).equals(index.get(p))) {
                List<String> component = new ArrayList<>();
                String q;
                do {
                    q = stack.pop();
                    onStack.remove(q);
                    component.add(q);
                } while (!q.equals(p));
                if (component.size() > 1) {
                    cycles.add(component);
                }
            }
        }
    }
}
