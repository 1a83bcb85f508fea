package org.tether.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.util.Arrays;
import java.util.List;

/** The listings: one GET each, shown with the columns an operator looks at first (-o json shows everything). */
final class ListCommands {
    private ListCommands() {
    }

    /** One GET of {@code path} (a listing, or one thing), shown with {@code columns}. */
    static void show(Tetherctl root, String path, String... columns) {
        root.print(root.call("GET", path, null), Arrays.stream(columns).map(Output.Column::of).toList());
    }

    /** One GET of {@code path}, shown with {@code columns}. */
    abstract static class Listing implements Runnable {
        @ParentCommand
        Tetherctl root;
        private final String path;
        private final String[] columns;

        Listing(String path, String... columns) {
            this.path = path;
            this.columns = columns;
        }

        String path() {
            return path;
        }

        @Override
        public void run() {
            show(root, path(), columns);
        }
    }

    @Command(name = "attachments", description = "Volumes attached to this host's domains (compute mode).")
    static final class Attachments extends Listing {
        Attachments() {
            super("/v1/attachments", "volume_id", "domain", "state", "device", "attach_path", "driver_volume_type",
                    "host_device");
        }
    }

    @Command(name = "instances", description = "Domains this agent defined (boot from volume or image).")
    static final class Instances extends Listing {
        Instances() {
            super("/v1/instances", "name", "state", "running", "boot_volume_id");
        }
    }

    @Command(name = "volumes", description = "Volumes of this storage host.", subcommands = {
            VolumeCommands.Show.class, VolumeCommands.Create.class, VolumeCommands.Delete.class,
            VolumeCommands.Extend.class,
            VolumeCommands.Revert.class})
    static final class Volumes extends Listing {
        Volumes() {
            super("/v1/volumes", "id", "size_gb", "state", "pool", "thin", "bootable");
        }
    }

    @Command(name = "pools", description = "Storage pools with Cinder's capacity figures.")
    static final class Pools extends Listing {
        Pools() {
            super("/v1/pools", "name", "capabilities.total_capacity_gb", "capabilities.free_capacity_gb",
                    "capabilities.provisioned_capacity_gb", "capabilities.total_volumes", "capabilities.backend_state");
        }
    }

    @Command(name = "backups", description = "Backups in every configured store (or one: --store).", subcommands = {
            BackupCommands.Show.class, BackupCommands.Create.class, BackupCommands.Restore.class,
            BackupCommands.Verify.class, BackupCommands.Reseal.class,
            BackupCommands.Delete.class})
    static final class Backups extends Listing {
        @Option(names = "--store", description = "only this store")
        String store;

        @Option(names = "--volume", description = "only this volume's")
        String volume;

        Backups() {
            super("/v1/backups", "id", "volume_id", "store", "state", "parent_id", "size_bytes", "created_at");
        }

        @Override
        String path() {
            List<String> q = new java.util.ArrayList<>();
            if (store != null) {
                q.add("store=" + java.net.URLEncoder.encode(store, java.nio.charset.StandardCharsets.UTF_8));
            }
            if (volume != null) {
                q.add("volume_id=" + java.net.URLEncoder.encode(volume, java.nio.charset.StandardCharsets.UTF_8));
            }
            return super.path() + (q.isEmpty() ? "" : "?" + String.join("&", q));
        }
    }
}
