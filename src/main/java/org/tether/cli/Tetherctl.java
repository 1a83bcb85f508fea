package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code tetherctl}: the agent on this host from its shell, with the agent's own configuration (no flags needed
 * as root), tables for people and JSON, YAML or bare values for scripts. Exit codes: 0 success, 1 the agent
 * answered with a problem (its code, detail and field are printed), 2 a usage error, 3 the agent cannot be
 * reached.
 */
@Command(name = "tetherctl", mixinStandardHelpOptions = true, versionProvider = Tetherctl.Version.class,
        description = "Talks to the Tether agent on this host (or --url), using its own configuration.",
        subcommands = {StatusCommand.class, ConnectorCommand.class, ListCommands.Attachments.class,
                AttachCommands.Attach.class, AttachCommands.Detach.class, AttachCommands.Qos.class,
                AttachCommands.Extend.class, ListCommands.Instances.class, ListCommands.Volumes.class,
                VolumeParts.Snapshots.class, VolumeParts.Exports.class, ListCommands.Pools.class,
                ListCommands.Backups.class, MotionCommands.Migrations.class, MotionCommands.Moves.class,
                OperationsCommand.class, ReconcileCommand.class, WarmUpCommand.class, CommandLine.HelpCommand.class,
                picocli.AutoComplete.GenerateCompletion.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the agent answered with a problem (code, detail and field printed)",
                "2:a usage error", "3:the agent cannot be reached"})
public final class Tetherctl {
    static final int PROBLEM = 1;
    static final int UNREACHABLE = 3;

    @Option(names = {"-o", "--output"}, description = "table (default), json, yaml or value",
            defaultValue = "table", scope = CommandLine.ScopeType.INHERIT)
    Output output;

    @Option(names = "--url", description = "the agent's API; default: from the configuration file, or TETHER_URL",
            scope = CommandLine.ScopeType.INHERIT)
    String url;

    @Option(names = "--token-file", description = "bearer token file; default: tether.api.token-file",
            scope = CommandLine.ScopeType.INHERIT)
    Path tokenFile;

    @Option(names = "--ca-file", description = "CA certificates (PEM) for https; default: the agent's own certificate",
            scope = CommandLine.ScopeType.INHERIT)
    Path caFile;

    @Option(names = "--config", description = "the agent's configuration file (default: ${DEFAULT-VALUE})",
            defaultValue = "/etc/tether/agent.properties", scope = CommandLine.ScopeType.INHERIT)
    Path config;

    @Option(names = "--timeout", description = "longest one call may take (default: ${DEFAULT-VALUE})",
            defaultValue = "PT2M", scope = CommandLine.ScopeType.INHERIT)
    Duration timeout;

    private AgentClient client;
    private Map<String, String> env = System.getenv();
    PrintWriter out;
    PrintWriter err;

    AgentClient client() {
        if (client == null) {
            client = new AgentClient(AgentSettings.resolve(config, url, tokenFile, caFile, env), timeout);
        }
        return client;
    }

    /** The answer's body when it is 2xx; otherwise the problem is printed and the command ends with 1. */
    JsonNode call(String method, String path, JsonNode body) {
        AgentClient.Reply r = client().send(method, path, body);
        if (!r.ok()) {
            throw new ProblemAnswer(r);
        }
        return r.body();
    }

    /**
     * A call that changes something: its answer printed with {@code columns}, or, when the agent runs it as an
     * operation (202 and a Location), the operation waited for with its progress unless {@code wait} says not
     * to (then its id is printed). {@code done} is what a table shows for an answer without a body.
     */
    int change(String method, String path, JsonNode body, List<Output.Column> columns, Waiting wait, String done)
            throws InterruptedException {
        return change(method, path, body, columns, wait, done, null);
    }

    /**
     * {@link #change(String, String, JsonNode, List, Waiting, String)}, its operation's progress read from the
     * volume at {@code progressPath} (one the command named: a volume from an image, a restore's target).
     */
    int change(String method, String path, JsonNode body, List<Output.Column> columns, Waiting wait, String done,
               String progressPath) throws InterruptedException {
        AgentClient.Reply r = client().send(method, path, body);
        if (!r.ok()) {
            throw new ProblemAnswer(r);
        }
        if (r.status() == 202 && r.location() != null) {
            String id = r.location().substring(r.location().lastIndexOf('/') + 1);
            if (wait.noWait) {
                print(AgentClient.JSON.createObjectNode().put("operation", id).put("state", "running"),
                        List.of(Output.Column.of("operation"), Output.Column.of("state")));
                return 0;
            }
            return OperationsCommand.Wait.finish(this, id, wait.interval, wait.maxWait, progressPath, columns);
        }
        if (r.body() == null) {
            if (output == Output.TABLE) {
                out.println(done);
                out.flush();
            }
            return 0;
        }
        print(r.body(), columns);
        return 0;
    }

    /** Whether and how long a command that runs as an operation waits for it. */
    static final class Waiting {
        @Option(names = "--no-wait", description = "print the operation's id and return at once")
        boolean noWait;

        @Option(names = "--interval", defaultValue = "PT0.5S", hidden = true)
        Duration interval;

        @Option(names = "--max-wait", defaultValue = "PT12H", description = "give up waiting after (default: "
                + "${DEFAULT-VALUE})")
        Duration maxWait;
    }

    void print(JsonNode body, List<Output.Column> columns) {
        output.print(out, body, columns);
    }

    /** A non-2xx answer from the agent. */
    static final class ProblemAnswer extends RuntimeException {
        final transient AgentClient.Reply reply;

        ProblemAnswer(AgentClient.Reply reply) {
            super("the agent answered " + reply.status());
            this.reply = reply;
        }

        /** {@code code: detail (field: f)}, or the status alone for an answer without problem+json. */
        String describe() {
            JsonNode b = reply.body();
            if (b == null || !b.isObject() || !b.has("code")) {
                return "the agent answered " + reply.status() + (b == null ? "" : ": " + Output.text(b));
            }
            String field = b.path("field").asText("");
            return b.path("code").asText() + ": " + b.path("detail").asText(b.path("title").asText())
                    + (field.isEmpty() ? "" : " (field: " + field + ")");
        }
    }

    /** The command line as run: the exit code of the command, with the agent's answers mapped as documented. */
    static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        Tetherctl root = new Tetherctl();
        root.out = out;
        root.err = err;
        root.env = env;
        CommandLine cl = new CommandLine(root).setCaseInsensitiveEnumValuesAllowed(true).setOut(out).setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof ProblemAnswer p) {
                err.println("Error: " + p.describe());
                return PROBLEM;
            }
            if (e instanceof AgentClient.Unreachable u) {
                err.println("Error: " + u.getMessage());
                return UNREACHABLE;
            }
            if (e instanceof IllegalArgumentException) {
                err.println("Error: " + e.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            throw e;
        });
        // a usage error is the error and where to read on, as GNU tools answer, not the whole help page
        cl.setParameterExceptionHandler((e, given) -> {
            CommandLine wrong = e.getCommandLine();
            err.println("Error: " + e.getMessage());
            err.println("Try '" + wrong.getCommandSpec().qualifiedName() + " --help' for more information.");
            return CommandLine.ExitCode.USAGE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.getenv()));
    }

    /** The version of the build, from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Tetherctl.class.getPackage().getImplementationVersion();
            return new String[] {"tetherctl " + (v == null ? "(development build)" : v)};
        }
    }
}
