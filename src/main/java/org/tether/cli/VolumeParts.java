package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tetherctl snapshots VOLUME} and {@code exports VOLUME}: what a storage host's volume holds, and their
 * {@code create} and {@code delete}.
 */
final class VolumeParts {
    private VolumeParts() {
    }

    /** The volume's view, and one of its lists shown as a table. */
    abstract static class Part implements Runnable {
        @ParentCommand
        Tetherctl root;

        @Parameters(index = "0", arity = "0..1", description = "the volume's id")
        String volume;

        private final String field;
        final List<Output.Column> columns;

        Part(String field, String... columns) {
            this.field = field;
            this.columns = java.util.Arrays.stream(columns).map(Output.Column::of).toList();
        }

        @Override
        public void run() {
            if (volume == null) {
                throw new IllegalArgumentException("which volume's? give its id");
            }
            JsonNode v = root.call("GET", "/v1/volumes/" + AgentClient.segment(volume), null);
            root.print(v == null ? null : v.path(field), columns);
        }
    }

    @Command(name = "snapshots", description = "A volume's snapshots.", subcommands = {
            SnapshotCreate.class, SnapshotDelete.class})
    static final class Snapshots extends Part {
        Snapshots() {
            super("snapshots", "id", "size_gb", "created_at");
        }
    }

    @Command(name = "create", description = "Snapshots a volume.")
    static final class SnapshotCreate implements Callable<Integer> {
        @ParentCommand
        Snapshots snapshots;

        @Mixin
        Tetherctl.Waiting wait;

        @Parameters(description = "the volume's id")
        String volume;

        @Option(names = "--id", description = "the snapshot's id (default: a new UUID)")
        String id;

        @Override
        public Integer call() throws InterruptedException {
            return snapshots.root.change("POST", "/v1/volumes/" + AgentClient.segment(volume) + "/snapshots",
                    AgentClient.body("id", id), snapshots.columns, wait, "");
        }
    }

    @Command(name = "delete", description = "Deletes a snapshot.")
    static final class SnapshotDelete implements Callable<Integer> {
        @ParentCommand
        Snapshots snapshots;

        @Mixin
        Tetherctl.Waiting wait;

        @Parameters(description = "the snapshot's id")
        String snapshot;

        @Override
        public Integer call() throws InterruptedException {
            return snapshots.root.change("DELETE", "/v1/snapshots/" + AgentClient.segment(snapshot), null,
                    snapshots.columns, wait, "deleted snapshot " + snapshot);
        }
    }

    @Command(name = "exports", description = "A volume's exports: the initiators (or host NQNs) it is exported to.",
            subcommands = {ExportCreate.class, ExportDelete.class})
    static final class Exports extends Part {
        Exports() {
            super("exports", "initiator", "created_at");
        }
    }

    /** The volume and the initiator (an IQN, or a host NQN for NVMe/TCP) an export is for. */
    static final class VolumeAndInitiator {
        @Parameters(index = "0", description = "the volume's id")
        String volume;

        @Parameters(index = "1", description = "the initiator's IQN (or host NQN)")
        String initiator;

        String path() {
            return "/v1/volumes/" + AgentClient.segment(volume) + "/exports/" + AgentClient.segment(initiator);
        }
    }

    @Command(name = "create", description = "Exports a volume to an initiator and prints the connection_info "
            + "(JSON) a compute host attaches it with.")
    static final class ExportCreate implements Callable<Integer> {
        @ParentCommand
        Exports exports;

        @Mixin
        Tetherctl.Waiting wait;

        @Mixin
        VolumeAndInitiator target;

        @Option(names = "--connector", required = true, description = "file holding the compute host's connector "
                + "(what tetherctl -o json connector prints there), or -")
        String connector;

        @Override
        public Integer call() throws InterruptedException {
            Tetherctl root = exports.root;
            if (root.output == Output.TABLE) {
                root.output = Output.JSON; // connection_info is for a program: a table would lose it
            }
            return root.change("PUT", target.path(), JsonInput.read(connector, "--connector"), List.of(), wait, "");
        }
    }

    @Command(name = "delete", description = "Removes a volume's export to an initiator.")
    static final class ExportDelete implements Callable<Integer> {
        @ParentCommand
        Exports exports;

        @Mixin
        Tetherctl.Waiting wait;

        @Mixin
        VolumeAndInitiator target;

        @Override
        public Integer call() throws InterruptedException {
            return exports.root.change("DELETE", target.path(), null, List.of(), wait, "removed the export of "
                    + target.volume + " to " + target.initiator);
        }
    }
}
