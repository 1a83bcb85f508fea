package org.tether.docs;

import org.tether.error.ErrorCode;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The troubleshooting page ({@code docs/troubleshooting.md}): every problem {@code code} the agent answers with,
 * its HTTP status and title from {@link ErrorCode}, and its cause and remedy from the constant's Javadoc.
 */
public final class ProblemCodes {
    static final Path SOURCE = Path.of("src/main/java/org/tether/error/ErrorCode.java");

    /** One code: the wire form, its status, title and the Javadoc (without the leading "status:"). */
    public record Code(String code, int status, String title, String description) {
    }

    private ProblemCodes() {
    }

    public static List<Code> codes() {
        Map<String, String> docs = ConfigReference.javadoc(SOURCE, ErrorCode.class);
        return Arrays.stream(ErrorCode.values()).map(c -> new Code(c.code(), c.status(), c.title(),
                capitalized(docs.getOrDefault(ErrorCode.class.getName() + "#" + c.name(), "")
                        .replaceFirst("^\\d{3}:\\s*", "")))).toList();
    }

    private static String capitalized(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    public static String markdown(List<Code> codes) {
        StringBuilder b = new StringBuilder();
        b.append("# Troubleshooting: every problem code\n\n");
        b.append("Every error the agent answers is RFC 9457 `application/problem+json` with a stable `code` (a controller\n");
        b.append("branches on it), the HTTP status, a `title`, a `detail` saying what was wrong and, for bad input, the\n");
        b.append("`field`. A 503 is retryable (`Retry-After` when the agent knows); a 4xx changed nothing. Generated from\n");
        b.append("`ErrorCode` and its Javadoc; `TroubleshootingPageTest` fails when a code has no description or this page\n");
        b.append("differs from the code (`mvn test -Pfast -Dtest=TroubleshootingPageTest -Ddocs.write=true`).\n");
        b.append("Requests refused by authentication or by a role answer 401 or 403 (see the operator's guide, Security).\n\n");
        b.append("| code | status | title | cause, and what to do |\n|---|---|---|---|\n");
        codes.stream().sorted(java.util.Comparator.comparing(Code::code)).forEach(c -> b.append("| `").append(c.code())
                .append("` | ").append(c.status()).append(" | ").append(c.title().replace("|", "\\|")).append(" | ")
                .append(c.description()).append(" |\n"));
        return b.toString();
    }
}
