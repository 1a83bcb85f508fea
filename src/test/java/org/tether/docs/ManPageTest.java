package org.tether.docs;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docs/tetherctl.1}, the man page the packages install, is tetherctl's command model as it is: a
 * command, option or exit code added or changed without the page made again fails here.
 */
class ManPageTest {
    @Test
    void theManPageIsTheCommandModel() throws Exception {
        CommandLine cl = new CommandLine(new org.tether.cli.Tetherctl());
        String page = ManPage.of(cl);
        assertThat(page).contains(".SS tetherctl attach", ".SS tetherctl operations wait", "\\fB\\-\\-output\\fR",
                ".SH EXIT STATUS").doesNotContain("warm\\-up");
        GeneratedPage.check(Path.of("docs/tetherctl.1"), page, "ManPageTest");
    }
}
