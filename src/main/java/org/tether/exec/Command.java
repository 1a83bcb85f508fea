package org.tether.exec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One external program invocation: an argv (never a shell line), a timeout, and the values that are
 * secret so that no log line, error or exception ever shows them.
 */
public final class Command {
    private static final String REDACTED = "***";

    private final List<String> argv;
    private final Duration timeout;
    private final List<String> secrets;

    private Command(List<String> argv, Duration timeout, List<String> secrets) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty argv");
        }
        this.argv = List.copyOf(argv);
        this.timeout = Objects.requireNonNull(timeout);
        this.secrets = List.copyOf(secrets);
    }

    public static Builder of(String program, Duration timeout) {
        return new Builder(program, timeout);
    }

    public List<String> argv() {
        return argv;
    }

    public Duration timeout() {
        return timeout;
    }

    public String program() {
        return argv.get(0);
    }

    /** The argv joined for humans, secrets replaced. */
    public String display() {
        return redact(String.join(" ", argv));
    }

    /** Replaces every secret value of this command in {@code text}. */
    public String redact(String text) {
        String out = text;
        for (String secret : secrets) {
            out = out.replace(secret, REDACTED);
        }
        return out;
    }

    public static final class Builder {
        private final List<String> argv = new ArrayList<>();
        private final List<String> secrets = new ArrayList<>();
        private final Duration timeout;

        private Builder(String program, Duration timeout) {
            this.argv.add(program);
            this.timeout = timeout;
        }

        public Builder arg(String value) {
            argv.add(Objects.requireNonNull(value));
            return this;
        }

        public Builder args(String... values) {
            for (String v : values) {
                arg(v);
            }
            return this;
        }

        /** An argument that must never be shown. */
        public Builder secretArg(String value) {
            arg(value);
            if (!value.isEmpty()) {
                secrets.add(value);
            }
            return this;
        }

        public Command build() {
            return new Command(argv, timeout, secrets);
        }
    }
}
