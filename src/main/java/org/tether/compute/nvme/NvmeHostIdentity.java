package org.tether.compute.nvme;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.connection.NvmeNames;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * This host's NVMe identity: its host NQN and host id, in nvme-cli's own files ({@code /etc/nvme/hostnqn},
 * {@code /etc/nvme/hostid}) so that nvme-cli, the kernel and every connector on the host present the same one.
 * Made once when missing, from a random host id ({@code nvme gen-hostnqn} derives it from the DMI product
 * uuid, which is all zeros on many VMs), and never again: a host NQN that changes between runs loses its
 * storage-side ACLs (os-brick's bug 2016029).
 */
@ApplicationScoped
public class NvmeHostIdentity {
    private static final Logger LOG = Logger.getLogger(NvmeHostIdentity.class);
    static final String UUID_NQN_PREFIX = "nqn.2014-08.org.nvmexpress:uuid:";

    private final Path hostnqnFile;
    private final Path hostidFile;

    @Inject
    public NvmeHostIdentity(TetherConfig config) {
        this(config.nvme().hostnqnFile(), config.nvme().hostidFile());
    }

    public NvmeHostIdentity(Path hostnqnFile, Path hostidFile) {
        this.hostnqnFile = hostnqnFile;
        this.hostidFile = hostidFile;
    }

    public record Identity(String hostNqn, String hostId) {
    }

    /** The identity in the files; made and written first when the host has none. */
    public synchronized Identity ensure() {
        String nqn = read(hostnqnFile);
        String id = read(hostidFile);
        if (nqn != null && id != null) {
            return new Identity(requireValid(nqn), id);
        }
        if (id == null) {
            // a host NQN of the uuid form carries its host id; keep them the same, as nvme-cli does
            id = nqn != null && nqn.startsWith(UUID_NQN_PREFIX) ? nqn.substring(UUID_NQN_PREFIX.length())
                    : UUID.randomUUID().toString();
            write(hostidFile, id);
        }
        if (nqn == null) {
            nqn = UUID_NQN_PREFIX + id;
            write(hostnqnFile, nqn);
            LOG.infof("made this host's NVMe host NQN %s (%s)", nqn, hostnqnFile);
        }
        return new Identity(requireValid(nqn), id);
    }

    /** The identity when the host has one, without making it (the connector for a controller reads this). */
    public java.util.Optional<Identity> current() {
        String nqn = read(hostnqnFile);
        String id = read(hostidFile);
        return nqn == null || !NvmeNames.isNqn(nqn) ? java.util.Optional.empty()
                : java.util.Optional.of(new Identity(nqn, id));
    }

    private String requireValid(String nqn) {
        if (!NvmeNames.isNqn(nqn)) {
            throw new TetherException(ErrorCode.NOT_READY, hostnqnFile + " holds no valid host NQN");
        }
        return nqn;
    }

    private static String read(Path f) {
        try {
            String s = Files.readString(f, StandardCharsets.US_ASCII).strip();
            return s.isEmpty() ? null : s;
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new TetherException(ErrorCode.NOT_READY, "cannot read " + f + ": " + e.getMessage());
        }
    }

    private static void write(Path f, String value) {
        try {
            Files.createDirectories(f.getParent());
            Path tmp = f.resolveSibling("." + f.getFileName() + ".tether-tmp");
            Files.writeString(tmp, value + "\n", StandardCharsets.US_ASCII);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.NOT_READY, "cannot write " + f + ": " + e.getMessage());
        }
    }
}
