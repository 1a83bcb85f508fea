package org.tether.storage.target;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A temporary directory that behaves like nvmet's configfs where the driver depends on it: a new subsystem,
 * namespace or port comes with the attributes and groups the kernel makes (a subsystem admits any host until
 * told otherwise), and an rmdir is refused while the object is still linked or holds objects of its own, or
 * while a namespace is enabled.
 */
final class NvmetLikeConfigfs extends Configfs {
    NvmetLikeConfigfs(Path root) {
        super(root);
    }

    @Override
    public void mkdir(Path p) {
        boolean fresh = !exists(p);
        super.mkdir(p);
        if (!fresh) {
            return;
        }
        String parent = p.getParent().getFileName().toString();
        try {
            if (parent.equals("subsystems") && p.getParent().getParent().equals(root())) {
                Files.writeString(p.resolve("attr_allow_any_host"), "1");
                Files.createDirectory(p.resolve("allowed_hosts"));
                Files.createDirectory(p.resolve("namespaces"));
            } else if (parent.equals("namespaces")) {
                Files.writeString(p.resolve("device_path"), "");
                Files.writeString(p.resolve("device_uuid"), "00000000-0000-0000-0000-000000000000");
                Files.writeString(p.resolve("enable"), "0");
            } else if (parent.equals("ports")) {
                for (String a : new String[] {"addr_trtype", "addr_adrfam", "addr_traddr", "addr_trsvcid"}) {
                    Files.writeString(p.resolve(a), "");
                }
                Files.createDirectory(p.resolve("subsystems"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void remove(Path p) {
        if (Files.isDirectory(p) && !Files.isSymbolicLink(p)) {
            for (String group : new String[] {"allowed_hosts", "namespaces", "subsystems"}) {
                if (!list(p.resolve(group)).isEmpty()) {
                    throw new IllegalStateException("configfs refuses rmdir of " + p + ": " + group + " not empty");
                }
            }
            if ("1".equals(read(p.resolve("enable")))) {
                throw new IllegalStateException("configfs refuses rmdir of enabled namespace " + p);
            }
            if (linkedTo(p)) {
                throw new IllegalStateException("configfs refuses rmdir of " + p + ": still linked");
            }
            try (Stream<Path> files = Files.list(p)) {
                files.forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        super.remove(p);
    }

    private boolean linkedTo(Path target) {
        try (Stream<Path> all = Files.walk(root())) {
            return all.filter(Files::isSymbolicLink).anyMatch(l -> {
                try {
                    return Files.readSymbolicLink(l).equals(target);
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
