package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code tetherctl attach} and {@code detach}: the compute mode's core calls. */
final class AttachCommands {
    private AttachCommands() {
    }

    static final List<Output.Column> COLUMNS = List.of(Output.Column.of("volume_id"), Output.Column.of("domain"),
            Output.Column.of("state"), Output.Column.of("device"), Output.Column.of("attach_path"),
            Output.Column.of("host_device"));

    /** The two positional parameters both commands take. */
    static final class DomainAndVolume {
        @Parameters(index = "0", description = "the libvirt domain")
        String domain;

        @Parameters(index = "1", description = "the volume's id")
        String volume;

        String path() {
            return "/v1/instances/" + AgentClient.segment(domain) + "/volumes/" + AgentClient.segment(volume);
        }
    }

    @Command(name = "attach", description = "Attaches a volume to a running or defined domain from Cinder's "
            + "connection_info (a file, or - for standard input).")
    static final class Attach implements Runnable {
        @ParentCommand
        Tetherctl root;

        @Mixin
        DomainAndVolume target;

        @Option(names = "--connection-info", required = true, description = "file holding connection_info (JSON), or -")
        String connectionInfo;

        @Option(names = "--path", description = "kernel or qemu; default: the agent's tether.attach.default-path")
        String attachPath;

        @Option(names = "--bus", description = "virtio (default) or scsi")
        String bus;

        @Override
        public void run() {
            ObjectNode body = AgentClient.JSON.createObjectNode();
            body.set("connection_info", read(connectionInfo));
            if (attachPath != null) {
                body.put("attach_path", attachPath);
            }
            if (bus != null) {
                body.put("bus", bus);
            }
            root.print(root.call("PUT", target.path(), body), COLUMNS);
        }

        private static JsonNode read(String source) {
            try {
                byte[] bytes = "-".equals(source) ? System.in.readAllBytes() : Files.readAllBytes(Path.of(source));
                JsonNode n = AgentClient.JSON.readTree(bytes);
                // a whole Cinder attachment or initialize_connection answer carries it one level down
                return n.has("connection_info") ? n.get("connection_info") : n;
            } catch (IOException e) {
                throw new IllegalArgumentException("--connection-info " + source + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "detach", description = "Detaches a volume from a domain and disconnects it from the host.")
    static final class Detach implements Runnable {
        @ParentCommand
        Tetherctl root;

        @Mixin
        DomainAndVolume target;

        @Override
        public void run() {
            root.call("DELETE", target.path(), null);
            if (root.output == Output.TABLE) {
                root.out.println("detached " + target.volume + " from " + target.domain);
                root.out.flush();
            }
        }
    }
}
