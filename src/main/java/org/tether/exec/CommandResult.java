package org.tether.exec;

import java.time.Duration;

/** What a finished program left behind. Output is already redacted of the command's secrets. */
public record CommandResult(Command command, int exitCode, String stdout, String stderr, Duration elapsed) {

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** One line for logs and error details: program, exit code, first line of stderr. */
    public String summary() {
        String err = stderr.strip();
        int nl = err.indexOf('\n');
        if (nl > 0) {
            err = err.substring(0, nl);
        }
        return command.display() + " exited " + exitCode + (err.isEmpty() ? "" : ": " + err);
    }
}
