package org.tether.storage.target;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A temporary directory that behaves like LIO's configfs where the driver depends on it: a new TPG, NodeACL
 * or storage object comes with the groups and attribute files the kernel creates, and removing such a
 * directory removes those too (but refuses while a child object the caller made is still inside).
 */
final class KernelLikeConfigfs extends Configfs {
    KernelLikeConfigfs(Path root) {
        super(root);
    }

    @Override
    public void mkdir(Path p) {
        boolean fresh = !exists(p);
        super.mkdir(p);
        if (!fresh) {
            return;
        }
        String name = p.getFileName().toString();
        String parent = p.getParent().getFileName().toString();
        try {
            if (name.startsWith("tpgt_")) {
                for (String g : new String[] {"attrib", "param", "auth", "acls", "lun", "np"}) {
                    Files.createDirectory(p.resolve(g));
                }
                Files.writeString(p.resolve("enable"), "0");
            } else if (parent.equals("acls")) {
                Files.createDirectory(p.resolve("auth"));
                Files.createDirectory(p.resolve("attrib"));
            } else if (parent.startsWith("iblock_")) {
                Files.writeString(p.resolve("enable"), "0");
                Files.writeString(p.resolve("udev_path"), "");
                Files.writeString(p.resolve("control"), "");
                Files.createDirectory(p.resolve("wwn"));
                // as on Debian 6.1: no serial until someone writes one
                Files.writeString(p.resolve("wwn/vpd_unit_serial"), "T10 VPD Unit Serial Number: ");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** As target_fabric_port_link: a LUN on a storage object that is not enabled is refused (ENODEV). */
    @Override
    public void symlink(Path link, Path target) {
        if (target.getParent().getFileName().toString().startsWith("iblock_")
                && !"1".equals(read(target.resolve("enable")))) {
            throw new org.tether.error.TetherException(org.tether.error.ErrorCode.TARGET_FAILED, "configfs: link "
                    + link + ": No such device (se_device not configured yet)");
        }
        super.symlink(link, target);
    }

    @Override
    public void remove(Path p) {
        if (Files.isDirectory(p) && !Files.isSymbolicLink(p)) {
            try (Stream<Path> walk = Files.walk(p)) {
                walk.sorted(Comparator.reverseOrder()).filter(f -> !f.equals(p)).forEach(f -> {
                    if (Files.isSymbolicLink(f) || Files.isDirectory(f) && !kernelGroup(f)) {
                        throw new IllegalStateException("configfs refuses rmdir of " + p + ": " + f + " is in use");
                    }
                    f.toFile().delete();
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        super.remove(p);
    }

    private static boolean kernelGroup(Path dir) {
        String n = dir.getFileName().toString();
        return n.equals("attrib") || n.equals("param") || n.equals("auth") || n.equals("acls") || n.equals("lun")
                || n.equals("np") || n.equals("wwn");
    }
}
