package org.tether.exec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Answers argv with recorded outputs, first matching rule wins, and keeps every command it was given.
 * For unit tests of the decisions taken on a tool's answers; never the proof that the tool works.
 */
public final class ScriptedRunner implements CommandRunner {
    private record Rule(Predicate<List<String>> when, Function<List<String>, Reply> reply) {
    }

    public record Reply(int exit, String stdout, String stderr) {
        public static Reply ok(String stdout) {
            return new Reply(0, stdout, "");
        }

        public static Reply fail(int exit, String stderr) {
            return new Reply(exit, "", stderr);
        }
    }

    private final List<Rule> rules = new ArrayList<>();
    public final List<Command> commands = Collections.synchronizedList(new ArrayList<>());

    /** Rule for argv containing all of {@code words} in order (not necessarily adjacent). */
    public ScriptedRunner on(List<String> words, Function<List<String>, Reply> reply) {
        rules.add(0, new Rule(argv -> containsInOrder(argv, words), reply));
        return this;
    }

    public ScriptedRunner on(List<String> words, Reply reply) {
        return on(words, argv -> reply);
    }

    private static boolean containsInOrder(List<String> argv, List<String> words) {
        int i = 0;
        for (String a : argv) {
            if (i < words.size() && a.equals(words.get(i))) {
                i++;
            }
        }
        return i == words.size();
    }

    public List<String> lines() {
        synchronized (commands) {
            return commands.stream().map(c -> String.join(" ", c.argv())).toList();
        }
    }

    @Override
    public CommandResult run(Command command) {
        commands.add(command);
        for (Rule r : rules) {
            if (r.when().test(command.argv())) {
                Reply reply = r.reply().apply(command.argv());
                return new CommandResult(command, reply.exit(), reply.stdout(), reply.stderr(), Duration.ZERO);
            }
        }
        return new CommandResult(command, 0, "", "", Duration.ZERO);
    }
}
