package org.tether.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docs/performance.md} keeps every benchmark's figures with the command that makes them again: each table
 * has a {@code lab/} command in its section (before it or in its rows), every command named there exists, and every benchmark
 * script of {@code lab/} (bench*, scale, soak, load) is named there.
 */
class PerformanceDocTest {
    private static final Path PAGE = Path.of("docs/performance.md");
    private static final Pattern COMMAND = Pattern.compile("lab/[\\w.-]+\\.(?:sh|py)");

    @Test
    void everyTableHasTheCommandThatMakesItInItsSection() throws IOException {
        List<String> lines = Files.readAllLines(PAGE);
        List<String> without = new ArrayList<>();
        int sectionStart = 0;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("#")) {
                sectionStart = i;
            }
            boolean tableStarts = l.startsWith("|") && (i == 0 || !lines.get(i - 1).startsWith("|"));
            int end = i;
            while (tableStarts && end < lines.size() && lines.get(end).startsWith("|")) {
                end++;
            }
            // the section up to the table's last row: a command said before it, or in its own rows
            if (tableStarts && !COMMAND.matcher(String.join("\n", lines.subList(sectionStart, end))).find()) {
                without.add("line " + (i + 1) + ": " + l);
            }
        }
        assertThat(without).as("tables of " + PAGE + " with no lab/ command in their section").isEmpty();
    }

    @Test
    void everyCommandNamedExistsAndEveryBenchmarkIsNamed() throws IOException {
        String page = Files.readString(PAGE);
        Matcher m = COMMAND.matcher(page);
        List<String> named = new ArrayList<>();
        while (m.find()) {
            named.add(m.group());
        }
        assertThat(named).as("lab/ scripts named in " + PAGE).isNotEmpty()
                .allSatisfy(c -> assertThat(Path.of(c)).as(c).exists());
        try (Stream<Path> lab = Files.list(Path.of("lab"))) {
            List<String> benchmarks = lab.map(p -> "lab/" + p.getFileName())
                    .filter(n -> n.matches("lab/(bench[\\w-]*|scale|soak|load)\\.sh")).sorted().toList();
            assertThat(benchmarks).as("benchmark scripts of lab/").hasSizeGreaterThan(5);
            assertThat(benchmarks).as("benchmark scripts of lab/ that " + PAGE + " never names")
                    .allSatisfy(b -> assertThat(named).contains(b));
        }
    }
}
