package org.tether.compute.rbd;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.connection.CephKeys;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The host's own cephx secret ({@code tether.ceph.secret-uuid} + {@code key-file}), kept in libvirt as Nova
 * expects its {@code rbd_secret_uuid} to be: private, persistent, usage {@code client.<user> secret}. Made at
 * start and again whenever an attach or a reconciliation pass finds it gone. An existing secret with that
 * UUID (one the operator made for Nova) only gets its value set, so its usage name stays as it is. libvirt
 * allows one ceph secret per usage name, and the Nova and Ceph guides make {@code client.cinder secret}
 * under their own UUID: a host holding such a secret under another UUID stops the agent at start, naming
 * that UUID, instead of failing every RBD attach later.
 */
@ApplicationScoped
public class CephHostSecret {
    private static final Logger LOG = Logger.getLogger(CephHostSecret.class);
    private static final Set<PosixFilePermission> OPEN = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private final Hypervisor hypervisor;
    private final Optional<UUID> uuid;
    private final Optional<Path> keyFile;
    private final String user;
    private final TetherConfig.Mode mode;
    private volatile String lastProblem;

    public CephHostSecret(Hypervisor hypervisor, TetherConfig config) {
        this.hypervisor = hypervisor;
        this.uuid = config.ceph().secretUuid();
        this.keyFile = config.ceph().keyFile();
        this.user = config.ceph().user();
        this.mode = config.mode();
    }

    void onStart(@Observes StartupEvent event) {
        if (mode == TetherConfig.Mode.STORAGE || uuid.isEmpty()) {
            return;
        }
        try {
            ensure();
        } catch (TetherException e) {
            if (e.code() == ErrorCode.CEPH_SECRET_CONFLICT) {
                throw new IllegalStateException(e.getMessage());
            }
            LOG.errorf("ceph secret %s not set up at start: %s", uuid.get(), e.getMessage());
        }
    }

    private String usage() {
        return "client." + user + " secret";
    }

    /** The configured UUID, if any. */
    public Optional<UUID> uuid() {
        return uuid;
    }

    /** Why the last attempt to keep the secret failed; null when it worked or was never needed. */
    public String lastProblem() {
        return lastProblem;
    }

    /**
     * Makes sure libvirt holds the key under the configured UUID. Without a key file only checks that the
     * secret exists (the operator made it, as for Nova).
     */
    public synchronized void ensure() {
        UUID id = uuid.orElseThrow(() -> new TetherException(ErrorCode.CEPH_SECRET_MISSING,
                "tether.ceph.secret-uuid is not set"));
        try {
            if (keyFile.isEmpty()) {
                if (!hypervisor.secretExists(id)) {
                    throw new TetherException(ErrorCode.CEPH_SECRET_MISSING, "libvirt has no secret " + id
                            + " and tether.ceph.key-file is not set to make it");
                }
                lastProblem = null;
                return;
            }
            byte[] raw = CephKeys.decode(readKey(keyFile.get()));
            try {
                if (!hypervisor.setSecretValue(id, raw)) {
                    refuseAnotherWithTheUsage(id);
                    hypervisor.defineCephSecret(id, usage(), "cephx key of client." + user + " (Tether)", raw);
                    LOG.infof("libvirt secret %s holds the cephx key of client.%s", id, user);
                }
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
            lastProblem = null;
        } catch (TetherException e) {
            lastProblem = e.getMessage();
            throw e;
        }
    }

    private void refuseAnotherWithTheUsage(UUID id) {
        Optional<UUID> other = hypervisor.cephSecretWithUsage(usage());
        if (other.isPresent() && !other.get().equals(id)) {
            throw new TetherException(ErrorCode.CEPH_SECRET_CONFLICT, "libvirt already has secret " + other.get()
                    + " for usage '" + usage() + "' (as Nova's rbd_secret_uuid is made), and libvirt allows one per "
                    + "usage: set tether.ceph.secret-uuid=" + other.get() + " (its value is then set from "
                    + "tether.ceph.key-file), or undefine that secret");
        }
    }

    /**
     * The host's cephx key (base64, as Ceph prints it) when the secret {@code uuid} is the host's and its key
     * file is configured; else empty (a secret the operator or Nova made is not read back).
     */
    public Optional<String> keyFor(UUID secret) {
        if (uuid.isEmpty() || !uuid.get().equals(secret) || keyFile.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(readKey(keyFile.get()));
    }

    private String readKey(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(OPEN::contains)) {
                throw new TetherException(ErrorCode.CEPH_SECRET_MISSING, "tether.ceph.key-file " + file
                        + " is readable or writable by others; make it 0600 or 0400");
            }
            return CephKeys.fromText(Files.readString(file, StandardCharsets.US_ASCII), user);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.CEPH_SECRET_MISSING, "cannot read tether.ceph.key-file " + file
                    + ": " + e.getClass().getSimpleName());
        } catch (IllegalArgumentException e) {
            throw new TetherException(ErrorCode.CEPH_SECRET_MISSING, "tether.ceph.key-file " + file + ": "
                    + e.getMessage());
        }
    }
}
