package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tetherctl operations show|wait ID}: the agent's asynchronous operations. */
@Command(name = "operations", description = "Asynchronous operations: show one, or wait for it to end.",
        subcommands = {OperationsCommand.Show.class, OperationsCommand.Wait.class})
final class OperationsCommand {
    @ParentCommand
    Tetherctl root;

    static final List<Output.Column> COLUMNS = List.of(Output.Column.of("id"), Output.Column.of("state"),
            Output.Column.of("method"), Output.Column.of("path"), Output.Column.of("status"),
            Output.Column.of("created_at"), Output.Column.of("finished_at"));

    @Command(name = "show", description = "One operation: its state and, once ended, its answer.")
    static final class Show implements Runnable {
        @ParentCommand
        OperationsCommand ops;

        @Parameters(description = "the operation's id (the last part of its Location)")
        String id;

        @Override
        public void run() {
            ops.root.print(ops.root.call("GET", "/v1/operations/" + AgentClient.segment(id), null), COLUMNS);
        }
    }

    /**
     * Waits for the operation to end, showing its progress: a line that updates in place on a terminal, with a
     * bar where the operation's resource says how far it is ({@link OperationProgress}), a plain line per change
     * otherwise (a log, a pipe). Where the resource reports a phase (a move, a migration) the phase is shown too.
     * Exit 0 when it succeeded, 1 when it failed (its problem printed).
     */
    @Command(name = "wait", description = "Waits until the operation ends; exit 1 if it failed.")
    static final class Wait implements Callable<Integer> {
        @ParentCommand
        OperationsCommand ops;

        @Parameters(description = "the operation's id")
        String id;

        @Option(names = "--interval", defaultValue = "PT0.5S", description = "how often to ask (default: ${DEFAULT-VALUE})")
        Duration interval;

        @Option(names = "--max-wait", defaultValue = "PT12H", description = "give up after (default: ${DEFAULT-VALUE})")
        Duration maxWait;

        @Override
        public Integer call() throws InterruptedException {
            return finish(ops.root, id, interval, maxWait, null, null);
        }

        /**
         * Waits for operation {@code id}, its progress on standard error, and prints its answer: 0 when it
         * succeeded; a failure is thrown as the agent's problem (exit 1). {@code progressPath}: a volume whose
         * {@code progress_percent} tells how far the operation is, or null to find it from the operation's path;
         * {@code columns}: how the command shows its answer, or null for the answer's first fields.
         */
        static int finish(Tetherctl root, String id, Duration interval, Duration maxWait, String progressPath,
                          List<Output.Column> columns) throws InterruptedException {
            boolean terminal = System.console() != null && root.output == Output.TABLE;
            long start = System.nanoTime();
            String shown = null;
            JsonNode op;
            while (true) {
                op = root.call("GET", "/v1/operations/" + AgentClient.segment(id), null);
                String state = op.path("state").asText();
                OperationProgress progress = OperationProgress.of(root, op, progressPath);
                String line = state + progress.phaseSuffix();
                long seconds = (System.nanoTime() - start) / 1_000_000_000L;
                if (terminal) {
                    root.err.print("\r" + progress.bar() + line + " (" + seconds + " s)   ");
                    root.err.flush();
                } else if (!line.equals(shown)) {
                    root.err.println(line);
                    root.err.flush();
                }
                shown = line;
                if (!"running".equals(state)) {
                    break;
                }
                if (System.nanoTime() - start > maxWait.toNanos()) {
                    throw new IllegalArgumentException("operation " + id + " still running after " + maxWait);
                }
                Thread.sleep(interval.toMillis());
            }
            if (terminal) {
                root.err.println();
            }
            JsonNode result = op.path("result");
            if ("succeeded".equals(op.path("state").asText())) {
                // the command's own columns (a restore's volume as `volumes` shows one), or the answer's first fields
                root.print(result.isMissingNode() ? op : result, columns != null && !result.isMissingNode() ? columns
                        : resultColumns(result));
                return 0;
            }
            throw new Tetherctl.ProblemAnswer(new AgentClient.Reply(op.path("status").asInt(500), result, null));
        }

        private static List<Output.Column> resultColumns(JsonNode result) {
            if (result == null || !result.isObject()) {
                return List.of(Output.Column.of("state"));
            }
            List<Output.Column> cols = new java.util.ArrayList<>();
            result.fieldNames().forEachRemaining(f -> {
                if (result.get(f).isValueNode() && cols.size() < 6) {
                    cols.add(Output.Column.of(f));
                }
            });
            return cols;
        }
    }
}
