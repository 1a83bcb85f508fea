package org.tether.storage.target;

import org.jboss.logging.Logger;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The per-target files tgt's own service loads at boot ({@code tgt-admin -e} reads {@code /etc/tgt/targets.conf},
 * which includes {@code conf.d/*.conf}), as Cinder's tgt helper writes them: a host that reboots without the
 * agent running keeps serving its exports. One file per volume, {@code tether-<volume>.conf}, 0600 (it holds
 * the CHAP secret), written by temp file + fsync + rename. Absent directory: persistence is off (logged once).
 */
final class TgtConfFiles {
    private static final Logger LOG = Logger.getLogger(TgtConfFiles.class);

    private static final String HEADER = "# written by tether-agent; tgt's service loads it at boot. "
            + "The agent rewrites or removes it: do not edit.\n";

    private final Optional<Path> dir;

    TgtConfFiles(Optional<Path> dir) {
        this.dir = dir.filter(d -> {
            try {
                if (!Files.isDirectory(d) && d.toAbsolutePath().getParent() != null
                        && Files.isDirectory(d.toAbsolutePath().getParent())) {
                    Files.createDirectory(d); // tgt is installed (its directory is there), conf.d is not
                }
            } catch (IOException e) {
                LOG.debugf("cannot create %s: %s", d, e.getMessage());
            }
            if (Files.isDirectory(d)) {
                return true;
            }
            LOG.warnf("%s does not exist: tgt exports are not written for tgt's service to restore at boot", d);
            return false;
        });
    }

    /** The target as it is now: its backing store, every admitted initiator, the volume's CHAP account. */
    void write(String iqn, String volumeName, String devicePath, Collection<String> initiators, String chapUser,
               String chapPassword) {
        if (dir.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder(HEADER);
        b.append("<target ").append(iqn).append(">\n");
        b.append("    backing-store ").append(devicePath).append('\n');
        for (String initiator : new TreeSet<>(initiators)) {
            b.append("    initiator-name ").append(initiator).append('\n');
        }
        if (chapUser != null) {
            b.append("    incominguser ").append(chapUser).append(' ').append(chapPassword).append('\n');
        }
        b.append("</target>\n");
        store(file(volumeName), b.toString());
    }

    /** The same file without one initiator's ACL line (the others, the store and CHAP stay as written). */
    void rewriteWithout(String volumeName, String initiator) {
        if (dir.isEmpty() || !Files.exists(file(volumeName))) {
            return;
        }
        try {
            String kept = Files.readAllLines(file(volumeName)).stream()
                    .filter(l -> !l.strip().equals("initiator-name " + initiator))
                    .reduce(new StringBuilder(), (sb, l) -> sb.append(l).append('\n'), StringBuilder::append).toString();
            store(file(volumeName), kept);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.TARGET_FAILED, "cannot read " + file(volumeName), e);
        }
    }

    private static void store(Path target, String text) {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
                c.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.TARGET_FAILED, "cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    void remove(String volumeName) {
        if (dir.isEmpty()) {
            return;
        }
        try {
            Files.deleteIfExists(file(volumeName));
        } catch (IOException e) {
            throw new TetherException(ErrorCode.TARGET_FAILED, "cannot remove " + file(volumeName), e);
        }
    }

    private Path file(String volumeName) {
        return dir.orElseThrow().resolve("tether-" + volumeName + ".conf");
    }
}
