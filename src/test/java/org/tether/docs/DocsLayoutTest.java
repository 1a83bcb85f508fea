package org.tether.docs;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The layout in {@code docs/architecture.md} names every package of the agent, and only those. */
class DocsLayoutTest {
    private static final Path ROOT = Path.of("src/main/java/org/tether");
    /** An entry: its indentation, then one or more {@code name/} on the line. */
    private static final Pattern ENTRY = Pattern.compile("^( *)((?:[a-z]+/ *)+)(?:\\s{2,}|$)");

    /** The packages the layout block names, as paths under {@code org/tether}. */
    static Set<String> documented(String page) {
        int start = page.indexOf("src/main/java/org/tether/\n");
        assertThat(start).as("the layout block").isNotNegative();
        Set<String> out = new TreeSet<>();
        List<String> parents = new ArrayList<>();
        for (String line : page.substring(start).lines().skip(1).toList()) {
            if (!line.startsWith("  ")) {
                break; // the end of the source tree
            }
            Matcher m = ENTRY.matcher(line);
            if (!m.find()) {
                continue; // a description's second line
            }
            int level = m.group(1).length() / 2 - 1;
            while (parents.size() > level) {
                parents.remove(parents.size() - 1);
            }
            String[] names = m.group(2).trim().split("/ *");
            for (String n : names) {
                out.add(String.join("/", parents) + (parents.isEmpty() ? "" : "/") + n);
            }
            parents.add(names[names.length - 1]);
        }
        return out;
    }

    @Test
    void everyPackageIsInTheLayoutAndEveryEntryIsAPackage() throws Exception {
        Set<String> actual = new TreeSet<>();
        try (Stream<Path> dirs = Files.walk(ROOT)) {
            dirs.filter(Files::isDirectory).filter(d -> !d.equals(ROOT)).forEach(d -> actual.add(
                    ROOT.relativize(d).toString().replace('\\', '/')));
        }
        Set<String> documented = documented(Files.readString(Path.of("docs/architecture.md")));
        assertThat(documented).as("named in docs/architecture.md's layout, and packages of src/main/java/org/tether")
                .containsExactlyInAnyOrderElementsOf(actual);
    }

    @Test
    void nestingFollowsIndentation() {
        assertThat(documented("""
                src/main/java/org/tether/
                  api/            resources
                  compute/
                    attach/       orchestration
                                  a second line
                      deep/       nested
                    move/         moves
                  config/ error/  two on a line
                lab/              not a package
                """)).containsExactly("api", "compute", "compute/attach", "compute/attach/deep", "compute/move",
                "config", "error");
    }
}
