package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;

/** {@code tetherctl attach}, {@code detach}, {@code qos} and {@code extend}: the compute mode's calls on a disk. */
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
            JsonNode n = JsonInput.read(source, "--connection-info");
            // a whole Cinder attachment or initialize_connection answer carries it one level down
            return n.has("connection_info") ? n.get("connection_info") : n;
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

    @Command(name = "qos", description = "Replaces an attached disk's limits, live and persistent, with Cinder "
            + "front-end qos_specs (KEY=VALUE...; none clears them).")
    static final class Qos implements Runnable {
        @ParentCommand
        Tetherctl root;

        @Mixin
        DomainAndVolume target;

        @Parameters(index = "2..*", arity = "0..*", description = "qos_specs, e.g. total_iops_sec=500")
        List<String> specs = List.of();

        @Override
        public void run() {
            ObjectNode qos = AgentClient.JSON.createObjectNode();
            for (String s : specs) {
                int eq = s.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("a qos spec is KEY=VALUE, not " + s);
                }
                qos.put(s.substring(0, eq), s.substring(eq + 1));
            }
            ObjectNode body = AgentClient.JSON.createObjectNode();
            body.set("qos_specs", qos);
            JsonNode answer = root.call("PUT", target.path() + "/qos", body);
            if (answer.isObject() && (root.output == Output.TABLE || root.output == Output.VALUE)) {
                ObjectNode shown = answer.deepCopy();
                shown.put("live", limits(answer.path("live")));
                answer = shown;
            }
            root.print(answer, List.of(Output.Column.of("volume_id"), Output.Column.of("domain"),
                    Output.Column.of("device"), Output.Column.of("live"), Output.Column.of("ignored_qos_keys")));
        }

        /**
         * QEMU's live throttle as a person reads it: the limits that are set ({@code total_iops_sec=500,...}), not
         * the twenty fields QEMU answers with zeros; {@code none} when nothing is limited. JSON shows them all.
         */
        static String limits(JsonNode live) {
            List<String> set = new java.util.ArrayList<>();
            live.fields().forEachRemaining(e -> {
                if (e.getValue().isNumber() && e.getValue().asDouble() != 0) {
                    set.add(e.getKey() + "=" + e.getValue().asText());
                }
            });
            return set.isEmpty() ? "none" : String.join(",", set);
        }
    }

    @Command(name = "extend", description = "Makes a grown volume's new size visible to the host and the guest.")
    static final class Extend implements Runnable {
        @ParentCommand
        Tetherctl root;

        @Mixin
        DomainAndVolume target;

        @Option(names = "--size-bytes", description = "the volume's new size in bytes (needed on the qemu path)")
        Long sizeBytes;

        @Option(names = "--size-gb", description = "the volume's new size in GiB")
        Integer sizeGb;

        @Override
        public void run() {
            ObjectNode body = AgentClient.JSON.createObjectNode();
            if (sizeBytes != null && sizeGb != null) {
                throw new IllegalArgumentException("--size-bytes or --size-gb, not both");
            }
            if (sizeBytes != null || sizeGb != null) {
                body.put("new_size", sizeBytes != null ? sizeBytes : (long) sizeGb << 30);
            }
            root.print(root.call("POST", target.path() + "/extend", body), List.of(Output.Column.of("volume_id"),
                    Output.Column.of("domain"), Output.Column.of("device"), Output.Column.of("previous_size_bytes"),
                    Output.Column.of("size_bytes")));
        }
    }
}
