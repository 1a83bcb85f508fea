package org.tether.docs;

import org.junit.jupiter.api.Test;
import org.tether.error.ErrorCode;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code docs/troubleshooting.md} names every problem code with its cause and remedy, as the code has them now. */
class TroubleshootingPageTest {
    private static final Path PAGE = Path.of("docs/troubleshooting.md");

    @Test
    void everyCodeHasACauseAndTheCommittedPageIsTheGeneratedOne() throws Exception {
        List<ProblemCodes.Code> codes = ProblemCodes.codes();
        assertThat(codes).hasSize(ErrorCode.values().length);
        assertThat(codes.stream().filter(c -> c.description().isBlank()).map(ProblemCodes.Code::code))
                .as("codes without a cause and remedy (the Javadoc of their constant in ErrorCode)").isEmpty();
        String generated = ProblemCodes.markdown(codes);
        GeneratedPage.check(PAGE, generated, "TroubleshootingPageTest");
    }
}
