package org.tether.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * {@code tetherctl warm-up} (hidden): the classes a call loads, without an agent, for the class-data archive the
 * package makes at install ({@code -XX:ArchiveClassesAtExit}): an answer parsed and shown in every output form,
 * and a connection attempt to a closed port.
 */
@Command(name = "warm-up", hidden = true, description = "Loads what a call loads (for the class-data archive).")
final class WarmUpCommand implements Runnable {
    @ParentCommand
    Tetherctl root;

    @Override
    public void run() {
        String sample = "[{\"id\": \"a\", \"state\": \"attached\", \"nested\": {\"n\": 1.5}, \"list\": [true, null]}]";
        PrintWriter sink = new PrintWriter(new StringWriter());
        try {
            var body = AgentClient.JSON.readTree(sample);
            for (Output o : Output.values()) {
                o.print(sink, body, List.of(Output.Column.of("id"), Output.Column.of("nested.n")));
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        try {
            new AgentClient(new AgentSettings("http://127.0.0.1:9", java.util.Optional.empty(),
                    java.util.Optional.empty()), java.time.Duration.ofSeconds(2)).get("/q/health");
        } catch (AgentClient.Unreachable expected) {
            // the port is closed: what was to be loaded is loaded
        }
    }
}
