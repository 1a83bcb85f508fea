package org.tether.docs;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.Map;

/**
 * {@code tetherctl(1)} in troff ({@code man} macros), made from the command model itself: every command, its
 * synopsis, options and parameters, the exit codes; nothing of it is written by hand, so it cannot drift.
 */
final class ManPage {
    private ManPage() {
    }

    static String of(CommandLine root) {
        CommandSpec spec = root.getCommandSpec();
        StringBuilder b = new StringBuilder();
        b.append(".\\\" Made from tetherctl's command model by ManPageTest; do not edit.\n");
        b.append(".TH TETHERCTL 1 \"\" \"Tether\" \"User Commands\"\n");
        b.append(".SH NAME\ntetherctl \\- ").append(escape(first(spec.usageMessage().description()))).append('\n');
        b.append(".SH SYNOPSIS\n.B tetherctl\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGUMENTS\\fR]\n");
        b.append(".SH DESCRIPTION\n")
                .append("Talks to the Tether agent on this host through its REST API, reading the agent's own ")
                .append("configuration (\\fB/etc/tether/agent.properties\\fR: its port, its certificate, its token ")
                .append("file), so that root on the host needs no flags. Tables are for people; \\fB\\-o json\\fR, ")
                .append("\\fByaml\\fR or \\fBvalue\\fR are for scripts.\n");
        b.append(".SH OPTIONS\nThese apply to every command.\n");
        options(b, spec);
        b.append(".SH COMMANDS\n");
        for (CommandLine sub : root.getSubcommands().values().stream().distinct().toList()) {
            command(b, sub, "tetherctl");
        }
        b.append(".SH EXIT STATUS\n");
        for (Map.Entry<String, String> e : spec.usageMessage().exitCodeList().entrySet()) {
            b.append(".TP\n.B ").append(escape(e.getKey().strip())).append('\n').append(escape(e.getValue()))
                    .append('\n');
        }
        b.append(".SH ENVIRONMENT\n.TP\n.B TETHER_URL\nThe agent's API when neither \\fB\\-\\-url\\fR nor the ")
                .append("configuration gives it.\n.TP\n.B TETHERCTL_JAVA_OPTS\nOptions for the JVM tetherctl runs in.\n");
        b.append(".SH FILES\n.TP\n.B /etc/tether/agent.properties\nThe agent's configuration, read for its URL, ")
                .append("certificate and token file.\n");
        b.append(".SH SEE ALSO\n.BR virsh (1),\n.BR systemctl (1);\n")
                .append("the operator's guide, \\fB/usr/share/doc/tether\\-agent/docs/operator\\-guide.md\\fR.\n");
        return b.toString();
    }

    private static void command(StringBuilder b, CommandLine cl, String parent) {
        CommandSpec spec = cl.getCommandSpec();
        if (spec.usageMessage().hidden()) {
            return;
        }
        String name = parent + " " + spec.name();
        b.append(".SS ").append(escape(name)).append('\n');
        b.append(escape(String.join(" ", spec.usageMessage().description()))).append('\n');
        StringBuilder usage = new StringBuilder(name);
        for (OptionSpec o : spec.options()) {
            if (!o.hidden() && !o.inherited() && !isStandard(o)) {
                usage.append(" [").append(o.longestName()).append(o.arity().max() > 0 ? "=" + label(o) : "").append(']');
            }
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (!p.hidden()) {
                usage.append(' ').append(p.arity().min() == 0 ? "[" + label(p) + "]" : label(p))
                        .append(p.arity().max() > 1 ? "..." : "");
            }
        }
        b.append(".PP\n.B ").append(escape(usage.toString())).append('\n');
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (!p.hidden()) {
                b.append(".TP\n.I ").append(escape(label(p))).append('\n')
                        .append(escape(String.join(" ", p.description()))).append('\n');
            }
        }
        for (OptionSpec o : spec.options()) {
            if (!o.hidden() && !o.inherited() && !isStandard(o)) {
                option(b, o);
            }
        }
        for (CommandLine sub : cl.getSubcommands().values().stream().distinct().toList()) {
            command(b, sub, name);
        }
    }

    private static void options(StringBuilder b, CommandSpec spec) {
        for (OptionSpec o : spec.options()) {
            if (!o.hidden()) {
                option(b, o);
            }
        }
    }

    private static void option(StringBuilder b, OptionSpec o) {
        b.append(".TP\n");
        String names = String.join(", ", java.util.Arrays.stream(o.names()).map(n -> "\\fB" + escape(n) + "\\fR")
                .toList());
        b.append(names).append(o.arity().max() > 0 ? "=\\fI" + escape(label(o)) + "\\fR" : "").append('\n');
        b.append(escape(String.join(" ", o.description()))).append('\n');
    }

    /** -h and -V, which every command has: said once, with the global options. */
    private static boolean isStandard(OptionSpec o) {
        return o.usageHelp() || o.versionHelp();
    }

    private static String label(ArgSpec a) {
        return a.paramLabel().replace("<", "").replace(">", "").toUpperCase(java.util.Locale.ROOT);
    }

    private static String first(String[] lines) {
        return lines.length == 0 ? "" : lines[0];
    }

    /** Text as troff reads it: backslashes and hyphens literal, no line taken for a request. */
    static String escape(String s) {
        String t = s.replace("\\", "\\e").replace("-", "\\-").replace("%n", " ").strip();
        return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
    }
}
