package org.tether.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tetherctl migrations DOMAIN} and {@code moves DOMAIN VOLUME}: a running guest sent to another host with its
 * volumes, and an attached volume moved onto another while the guest runs; each shows the one in progress, and has
 * {@code create} (an operation waited for with its progress: memory sent, bytes copied) and {@code cancel}.
 */
final class MotionCommands {
    private MotionCommands() {
    }

    static String migrationPath(String domain) {
        return "/v1/instances/" + AgentClient.segment(domain) + "/migrations";
    }

    static String movePath(String domain, String volume) {
        return "/v1/instances/" + AgentClient.segment(domain) + "/volumes/" + AgentClient.segment(volume) + "/move";
    }

    /** A cancel is asked (202, no body): the guest stays where it was. */
    private static int cancelled(Tetherctl root, String path, String what) {
        root.call("DELETE", path, null);
        if (root.output == Output.TABLE) {
            root.out.println("cancel asked: " + what);
            root.out.flush();
        }
        return 0;
    }

    @Command(name = "migrations", description = "A domain's live migration in progress: phase, memory sent.",
            subcommands = {MigrationCreate.class, MigrationCancel.class})
    static final class Migrations implements Runnable {
        @ParentCommand
        Tetherctl root;

        @Parameters(index = "0", arity = "0..1", description = "the domain")
        String domain;

        @Override
        public void run() {
            if (domain == null) {
                throw new IllegalArgumentException("which domain's migration? give its name");
            }
            ListCommands.show(root, migrationPath(domain), "domain", "destination", "phase", "memory_total",
                    "memory_remaining", "memory_processed");
        }
    }

    @Command(name = "create", description = "Live-migrates a running domain with its volumes to a peer named in the "
            + "agent's tether.migration.peers; on any failure before it runs there the guest stays here, with its "
            + "disks.")
    static final class MigrationCreate implements Callable<Integer> {
        @ParentCommand
        Migrations migrations;

        @Mixin
        Tetherctl.Waiting wait;

        @Parameters(index = "0", description = "the domain")
        String domain;

        @Parameters(index = "1", description = "the destination: a peer's name in tether.migration.peers")
        String destination;

        @Option(names = "--volume", paramLabel = "VOLUME_ID=FILE", description = "an attached volume's connection_info "
                + "made for the destination's connector (a file, or -); repeat per volume")
        Map<String, String> volumes = new LinkedHashMap<>();

        @Option(names = "--encryption", paramLabel = "VOLUME_ID=FILE", description = "an encrypted volume's "
                + "encryption metadata, as Cinder answers it")
        Map<String, String> encryption = new LinkedHashMap<>();

        @Option(names = "--max-downtime-ms", description = "longest pause at the switch-over")
        Long maxDowntimeMs;

        @Option(names = "--bandwidth-mib-s", description = "transfer cap, MiB/s")
        Long bandwidthMibS;

        @Override
        public Integer call() throws InterruptedException {
            ObjectNode targets = AgentClient.JSON.createObjectNode();
            volumes.forEach((id, file) -> targets.putObject(id).set("connection_info",
                    JsonInput.read(file, "--volume " + id + "=")));
            for (var e : encryption.entrySet()) {
                if (!volumes.containsKey(e.getKey())) {
                    throw new IllegalArgumentException("--encryption " + e.getKey() + " has no --volume " + e.getKey());
                }
                ((ObjectNode) targets.get(e.getKey())).set("encryption", JsonInput.read(e.getValue(),
                        "--encryption " + e.getKey() + "="));
            }
            ObjectNode body = AgentClient.body("destination", destination, "max_downtime_ms", maxDowntimeMs,
                    "bandwidth_mib_s", bandwidthMibS);
            if (!volumes.isEmpty()) {
                body.set("volumes", targets);
            }
            return migrations.root.change("POST", migrationPath(domain), body, List.of(Output.Column.of("domain"),
                    Output.Column.of("destination"), Output.Column.of("downtime_ms"), Output.Column.of("total_ms")),
                    wait, "");
        }
    }

    @Command(name = "cancel", description = "Cancels the domain's migration: the guest stays here with its disks.")
    static final class MigrationCancel implements Callable<Integer> {
        @ParentCommand
        Migrations migrations;

        @Parameters(description = "the domain")
        String domain;

        @Override
        public Integer call() {
            return cancelled(migrations.root, migrationPath(domain), "the guest stays on this host");
        }
    }

    @Command(name = "moves", description = "An attached volume's move in progress: phase, bytes copied.",
            subcommands = {MoveCreate.class, MoveCancel.class})
    static final class Moves implements Runnable {
        @ParentCommand
        Tetherctl root;

        @Parameters(index = "0", arity = "0..1", description = "the domain")
        String domain;

        @Parameters(index = "1", arity = "0..1", description = "the volume's id")
        String volume;

        @Override
        public void run() {
            if (domain == null || volume == null) {
                throw new IllegalArgumentException("which move? give the domain and the volume's id");
            }
            ListCommands.show(root, movePath(domain, volume), "domain", "volume_id", "phase", "copied_bytes",
                    "total_bytes");
        }
    }

    @Command(name = "create", description = "Moves an attached volume onto another while the guest runs: connects it, "
            + "copies, switches the guest over, disconnects the old one; device, serial and QoS stay.")
    static final class MoveCreate implements Callable<Integer> {
        @ParentCommand
        Moves moves;

        @Mixin
        Tetherctl.Waiting wait;

        @Parameters(index = "0", description = "the domain")
        String domain;

        @Parameters(index = "1", description = "the attached volume's id")
        String volume;

        @Option(names = "--connection-info", required = true, description = "the new volume's connection_info (a "
                + "file, or -)")
        String connectionInfo;

        @Option(names = "--path", description = "kernel or qemu for the new volume; default: by its transport")
        String attachPath;

        @Option(names = "--bandwidth-mib-s", description = "cap on the copy, MiB/s")
        Long bandwidthMibS;

        @Override
        public Integer call() throws InterruptedException {
            ObjectNode body = AgentClient.body("attach_path", attachPath, "bandwidth_mib_s", bandwidthMibS);
            body.set("connection_info", JsonInput.read(connectionInfo, "--connection-info"));
            return moves.root.change("POST", movePath(domain, volume), body, AttachCommands.COLUMNS, wait, "");
        }
    }

    @Command(name = "cancel", description = "Cancels the move before its switch-over: the guest keeps its volume.")
    static final class MoveCancel implements Callable<Integer> {
        @ParentCommand
        Moves moves;

        @Parameters(index = "0", description = "the domain")
        String domain;

        @Parameters(index = "1", description = "the volume's id")
        String volume;

        @Override
        public Integer call() {
            return cancelled(moves.root, movePath(domain, volume), "the guest stays on the volume it had");
        }
    }
}
