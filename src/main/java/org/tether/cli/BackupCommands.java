package org.tether.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tetherctl backups show|create|restore|verify|reseal|delete}: each change runs as an operation on the agent,
 * waited for
 * with its progress (or {@code --no-wait}).
 */
final class BackupCommands {
    private BackupCommands() {
    }

    static final List<Output.Column> COLUMNS = List.of(Output.Column.of("id"), Output.Column.of("volume_id"),
            Output.Column.of("store"), Output.Column.of("state"), Output.Column.of("parent_id"),
            Output.Column.of("bytes_read"), Output.Column.of("bytes_stored"));

    abstract static class OnBackups implements Callable<Integer> {
        @ParentCommand
        ListCommands.Backups backups;

        @Mixin
        Tetherctl.Waiting wait;

        Tetherctl root() {
            return backups.root;
        }

        static String path(String backup) {
            return "/v1/backups/" + AgentClient.segment(backup);
        }
    }

    @Command(name = "show", description = "One backup: its volume, store, parent, state, bytes and content hash.")
    static final class Show implements Runnable {
        @ParentCommand
        ListCommands.Backups backups;

        @Parameters(description = "the backup's id")
        String backup;

        @Override
        public void run() {
            ListCommands.show(backups.root, OnBackups.path(backup), "id", "volume_id", "store", "state", "parent_id",
                    "bytes_read", "bytes_stored", "content_sha256");
        }
    }

    @Command(name = "create", description = "Backs a volume up: full, or incremental on its latest backup in the store.")
    static final class Create extends OnBackups {
        @Parameters(description = "the volume's id")
        String volume;

        @Option(names = "--store", description = "the store (default: the agent's default store)")
        String store;

        @Option(names = "--incremental", description = "only what changed since the volume's latest backup there")
        boolean incremental;

        @Option(names = "--force", description = "back up an exported volume (from a snapshot taken now)")
        boolean force;

        @Option(names = "--id", description = "the backup's id (default: a new UUID)")
        String id;

        @Override
        public Integer call() throws InterruptedException {
            return root().change("POST", "/v1/volumes/" + AgentClient.segment(volume) + "/backups", AgentClient.body(
                    "id", id, "store", store, "incremental", incremental, "force", force), COLUMNS, wait, "");
        }
    }

    @Command(name = "restore", description = "Restores a backup into a new volume, or over an available one.")
    static final class Restore extends OnBackups {
        @Parameters(description = "the backup's id")
        String backup;

        @Option(names = "--volume", description = "write over this volume (available, not exported, large enough)")
        String volume;

        @Option(names = "--size-gb", description = "the new volume's size (default: the backup's)")
        Integer sizeGb;

        @Override
        public Integer call() throws InterruptedException {
            // a new volume gets its id here, so that its filling can be followed while the restore runs
            String target = volume != null ? volume : java.util.UUID.randomUUID().toString();
            return root().change("POST", path(backup) + "/restore", AgentClient.body("volume_id", target, "size_gb",
                    sizeGb), VolumeCommands.COLUMNS, wait, "", "/v1/volumes/" + AgentClient.segment(target));
        }
    }

    @Command(name = "verify", description = "Reads a backup back and checks every chunk against its hash.")
    static final class Verify extends OnBackups {
        @Parameters(description = "the backup's id")
        String backup;

        @Override
        public Integer call() throws InterruptedException {
            return root().change("POST", path(backup) + "/verify", AgentClient.JSON.createObjectNode(),
                    List.of(Output.Column.of("id"), Output.Column.of("chunks"), Output.Column.of("bytes_checked")), wait, "");
        }
    }

    @Command(name = "reseal", description = "Finishes a sealed store's key rotation: every backup a previous key "
            + "sealed is sealed again with the current key.")
    static final class Reseal extends OnBackups {
        @Parameters(description = "the store's name (tether.backup.stores.<name>)")
        String store;

        @Override
        public Integer call() throws InterruptedException {
            return root().change("POST", "/v1/backup-stores/" + AgentClient.segment(store) + "/reseal",
                    AgentClient.JSON.createObjectNode(), List.of(Output.Column.of("store"),
                            Output.Column.of("manifests"), Output.Column.of("chunks"),
                            Output.Column.of("removed_chunks")), wait, "");
        }
    }

    @Command(name = "delete", description = "Deletes a backup (refused while an incremental builds on it).")
    static final class Delete extends OnBackups {
        @Parameters(description = "the backup's id")
        String backup;

        @Override
        public Integer call() throws InterruptedException {
            return root().change("DELETE", path(backup), null, COLUMNS, wait, "deleted backup " + backup);
        }
    }
}
