package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;

/** {@code tetherctl snapshots VOLUME} and {@code exports VOLUME}: what a storage host's volume holds. */
final class VolumeParts {
    private VolumeParts() {
    }

    /** The volume's view, and one of its lists shown as a table. */
    abstract static class Part implements Runnable {
        @ParentCommand
        Tetherctl root;

        @Parameters(index = "0", description = "the volume's id")
        String volume;

        private final String field;
        private final List<Output.Column> columns;

        Part(String field, String... columns) {
            this.field = field;
            this.columns = java.util.Arrays.stream(columns).map(Output.Column::of).toList();
        }

        @Override
        public void run() {
            JsonNode v = root.call("GET", "/v1/volumes/" + AgentClient.segment(volume), null);
            root.print(v == null ? null : v.path(field), columns);
        }
    }

    @Command(name = "snapshots", description = "A volume's snapshots.")
    static final class Snapshots extends Part {
        Snapshots() {
            super("snapshots", "id", "size_gb", "created_at");
        }
    }

    @Command(name = "exports", description = "A volume's exports: the initiators (or host NQNs) it is exported to.")
    static final class Exports extends Part {
        Exports() {
            super("exports", "initiator", "created_at");
        }
    }
}
