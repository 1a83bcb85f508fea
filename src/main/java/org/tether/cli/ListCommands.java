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

    abstract static class Listing implements Runnable {
        @ParentCommand
        Tetherctl root;

        abstract String path();

        abstract String[] columns();

        @Override
        public void run() {
            root.print(root.call("GET", path(), null), Arrays.stream(columns()).map(Output.Column::of).toList());
        }
    }

    @Command(name = "attachments", description = "Volumes attached to this host's domains (compute mode).")
    static final class Attachments extends Listing {
        @Override
        String path() {
            return "/v1/attachments";
        }

        @Override
        String[] columns() {
            return new String[] {"volume_id", "domain", "state", "device", "attach_path", "driver_volume_type",
                    "host_device"};
        }
    }

    @Command(name = "instances", description = "Domains this agent defined (boot from volume or image).")
    static final class Instances extends Listing {
        @Override
        String path() {
            return "/v1/instances";
        }

        @Override
        String[] columns() {
            return new String[] {"name", "state", "running", "boot_volume_id"};
        }
    }

    @Command(name = "volumes", description = "Volumes of this storage host.")
    static final class Volumes extends Listing {
        @Override
        String path() {
            return "/v1/volumes";
        }

        @Override
        String[] columns() {
            return new String[] {"id", "size_gb", "state", "pool", "thin", "bootable"};
        }
    }

    @Command(name = "pools", description = "Storage pools with Cinder's capacity figures.")
    static final class Pools extends Listing {
        @Override
        String path() {
            return "/v1/pools";
        }

        @Override
        String[] columns() {
            return new String[] {"name", "capabilities.total_capacity_gb", "capabilities.free_capacity_gb",
                    "capabilities.provisioned_capacity_gb", "capabilities.total_volumes", "capabilities.backend_state"};
        }
    }

    @Command(name = "backups", description = "Backups in every configured store (or one: --store).")
    static final class Backups extends Listing {
        @Option(names = "--store", description = "only this store")
        String store;

        @Option(names = "--volume", description = "only this volume's")
        String volume;

        @Override
        String path() {
            List<String> q = new java.util.ArrayList<>();
            if (store != null) {
                q.add("store=" + java.net.URLEncoder.encode(store, java.nio.charset.StandardCharsets.UTF_8));
            }
            if (volume != null) {
                q.add("volume_id=" + java.net.URLEncoder.encode(volume, java.nio.charset.StandardCharsets.UTF_8));
            }
            return "/v1/backups" + (q.isEmpty() ? "" : "?" + String.join("&", q));
        }

        @Override
        String[] columns() {
            return new String[] {"id", "volume_id", "store", "state", "parent_id", "size_bytes", "created_at"};
        }
    }
}
