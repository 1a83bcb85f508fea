package org.tether.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tetherctl volumes show|create|delete|extend|revert}: a storage host's volumes changed. */
final class VolumeCommands {
    private VolumeCommands() {
    }

    static final List<Output.Column> COLUMNS = List.of(Output.Column.of("id"), Output.Column.of("size_gb"),
            Output.Column.of("state"), Output.Column.of("pool"), Output.Column.of("thin"), Output.Column.of("bootable"));

    /** The root, reached through {@code volumes}. */
    abstract static class OnVolumes implements Callable<Integer> {
        @ParentCommand
        ListCommands.Volumes volumes;

        @Mixin
        Tetherctl.Waiting wait;

        Tetherctl root() {
            return volumes.root;
        }

        static String path(String volume) {
            return "/v1/volumes/" + AgentClient.segment(volume);
        }
    }

    @Command(name = "create", description = "Creates a volume: empty, or a copy of a volume, a snapshot or a Glance "
            + "image (made from an image as an operation, waited for).")
    static final class Create extends OnVolumes {
        @Option(names = "--size-gb", required = true, description = "its size in GiB")
        int sizeGb;

        @Option(names = "--id", description = "its id (default: a new UUID); creating the same id again is no change")
        String id;

        @Option(names = "--pool", description = "the pool (default: the agent's default pool, or the type's)")
        String pool;

        @Option(names = "--thick", description = "allocate it whole (default: thin where the pool can)")
        boolean thick;

        @Option(names = "--from-volume", description = "a copy of this volume")
        String fromVolume;

        @Option(names = "--from-snapshot", description = "a copy of this snapshot")
        String fromSnapshot;

        @Option(names = "--from-image", description = "the content of this Glance image (its id)")
        String fromImage;

        @Override
        public Integer call() throws InterruptedException {
            String volume = id != null ? id : java.util.UUID.randomUUID().toString();
            ObjectNode body = AgentClient.body("id", volume, "size_gb", sizeGb, "pool", pool);
            if (thick) {
                body.put("thin", false); // a flag that is on: the body helper leaves false out
            }
            int sources = (fromVolume != null ? 1 : 0) + (fromSnapshot != null ? 1 : 0) + (fromImage != null ? 1 : 0);
            if (sources > 1) {
                throw new IllegalArgumentException("one of --from-volume, --from-snapshot and --from-image, not more");
            }
            if (sources == 1) {
                ObjectNode source = body.putObject("source");
                if (fromVolume != null) {
                    source.put("volume_id", fromVolume);
                } else if (fromSnapshot != null) {
                    source.put("snapshot_id", fromSnapshot);
                } else {
                    source.putObject("image").put("glance_id", fromImage);
                }
            }
            return root().change("POST", "/v1/volumes", body, COLUMNS, wait, "", path(volume));
        }
    }

    @Command(name = "show", description = "One volume: its state, pool, type and progress (-o json: every field).")
    static final class Show implements Runnable {
        @ParentCommand
        ListCommands.Volumes volumes;

        @Parameters(description = "the volume's id")
        String volume;

        @Override
        public void run() {
            ListCommands.show(volumes.root, OnVolumes.path(volume), "id", "size_gb", "state", "progress_percent", "pool",
                    "volume_type.name", "thin", "bootable");
        }
    }

    @Command(name = "delete", description = "Deletes a volume (refused while it is exported or has snapshots).")
    static final class Delete extends OnVolumes {
        @Parameters(description = "the volume's id")
        String volume;

        @Override
        public Integer call() throws InterruptedException {
            return root().change("DELETE", path(volume), null, COLUMNS, wait, "deleted volume " + volume);
        }
    }

    @Command(name = "extend", description = "Grows a volume; an exported one shows its new size to its initiators.")
    static final class Extend extends OnVolumes {
        @Parameters(description = "the volume's id")
        String volume;

        @Option(names = "--size-gb", required = true, description = "its new size in GiB")
        int sizeGb;

        @Override
        public Integer call() throws InterruptedException {
            return root().change("POST", path(volume) + "/extend",
                    AgentClient.JSON.createObjectNode().put("new_size_gb", sizeGb), COLUMNS, wait, "");
        }
    }

    @Command(name = "revert", description = "Takes a volume back to one of its snapshots (refused while exported).")
    static final class Revert extends OnVolumes {
        @Parameters(index = "0", description = "the volume's id")
        String volume;

        @Parameters(index = "1", description = "the snapshot's id")
        String snapshot;

        @Override
        public Integer call() throws InterruptedException {
            return root().change("POST", path(volume) + "/revert",
                    AgentClient.JSON.createObjectNode().put("snapshot_id", snapshot), COLUMNS, wait, "");
        }
    }
}
