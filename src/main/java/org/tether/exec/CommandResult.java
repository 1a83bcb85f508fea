package org.tether.exec;

import java.time.Duration;

/** What a finished program left behind. Output is already redacted of the command's secrets. */
public record CommandResult(Command command, int exitCode, String stdout, String stderr, Duration elapsed) {

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** Diagnostic lines kept in a summary: enough for lvm's reasons, bounded for a problem's detail. */
    static final int MAX_LINES = 8;
    static final int MAX_CHARS = 1500;

    /**
     * For logs and error details: program, exit code, and the program's own diagnostic lines (stderr, or
     * stdout when stderr is empty), at most {@link #MAX_LINES} lines, joined with " | ". lvm prints its
     * reason before its last line ("Command failed with status code 5"), so every line counts. Output was
     * redacted of the command's secrets when it was read.
     */
    public String summary() {
        String text = stderr.strip().isEmpty() ? stdout.strip() : stderr.strip();
        java.util.List<String> lines = text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        java.util.List<String> kept = lines.size() <= MAX_LINES ? lines
                : java.util.stream.Stream.concat(lines.subList(0, MAX_LINES - 1).stream(),
                java.util.stream.Stream.of("... " + (lines.size() - MAX_LINES + 1) + " more line(s)")).toList();
        String detail = String.join(" | ", kept);
        if (detail.length() > MAX_CHARS) {
            detail = detail.substring(0, MAX_CHARS) + " ...";
        }
        return command.display() + " exited " + exitCode + (detail.isEmpty() ? "" : ": " + detail);
    }
}
