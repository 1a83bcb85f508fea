package org.tether.compute.backup;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.storage.backup.BackupManifest;
import org.tether.storage.backup.BackupService;
import org.tether.storage.backup.BackupView;
import org.tether.storage.volume.BlockReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Backups of attached volumes from the compute side, while the guest runs ({@link DiskExport}): into the agent's
 * backup stores, in the storage side's format, so that either side lists, verifies and restores them. What a
 * backup leaves behind when the agent dies (libvirt's job exporting the disk, its socket and scratch file) is
 * found at the next start by asking libvirt which domains run a backup job exported under this agent's
 * directory, and ended; the store's side (chunks no manifest names) is {@link BackupService}'s.
 */
@ApplicationScoped
public class DiskBackups {
    private static final Logger LOG = Logger.getLogger(DiskBackups.class);

    private final Hypervisor hypervisor;
    private final AttachmentJournal attachments;
    private final BackupService backups;
    private final Path dir;
    private final TetherConfig.Mode mode;
    /** The backups under way, by domain and volume: a detach waits for none of them, it is refused. */
    private final java.util.Map<String, UUID> running = new java.util.concurrent.ConcurrentHashMap<>();

    public DiskBackups(Hypervisor hypervisor, AttachmentJournal attachments, BackupService backups,
                       TetherConfig config) {
        this.hypervisor = hypervisor;
        this.attachments = attachments;
        this.backups = backups;
        this.dir = config.stateDir().toAbsolutePath().resolve("exports"); // libvirt takes absolute paths only
        this.mode = config.mode();
    }

    /**
     * A backup of volume {@code volumeId} as attached to the running {@code domain}; {@code quiesce}: freeze the
     * guest's file systems for its instant when a guest agent answers. A LUKS volume is refused: QEMU opens it,
     * so its export would be the plaintext (its storage side backs up the ciphertext).
     */
    public BackupView backup(String domain, UUID volumeId, BackupService.Request req, boolean quiesce) {
        AttachmentRecord a = attachments.find(volumeId, domain).filter(r -> r.phase() == AttachmentRecord.Phase.ATTACHED)
                .orElseThrow(() -> new TetherException(ErrorCode.ATTACHMENT_NOT_FOUND, "volume " + volumeId
                        + " is not attached to " + domain));
        if (a.diskXml() != null && a.diskXml().contains("<encryption")) {
            throw new TetherException(ErrorCode.BACKUP_UNSUPPORTED, "volume " + volumeId + " is LUKS, opened by "
                    + "QEMU: the running domain's disk is its plaintext; back it up from the storage side, which "
                    + "keeps the ciphertext");
        }
        String target = a.device().dev();
        String key = domain + "/" + volumeId;
        return backups.createFromDisk(volumeId, req, id -> {
            if (running.putIfAbsent(key, id) != null) {
                throw new TetherException(ErrorCode.BACKUP_BUSY, "volume " + volumeId + " on " + domain
                        + " is being backed up already (backup " + running.get(key) + ")");
            }
            try {
                return taken(DiskExport.begin(hypervisor, domain, target, dir, id, quiesce), domain, target,
                        () -> running.remove(key, id));
            } catch (RuntimeException e) {
                running.remove(key, id);
                throw e;
            }
        });
    }

    /** The backup reading volume {@code volumeId}'s disk in {@code domain} now, if one is. */
    public java.util.Optional<UUID> running(String domain, UUID volumeId) {
        return java.util.Optional.ofNullable(running.get(domain + "/" + volumeId));
    }

    private static BackupService.TakenDisk taken(DiskExport export, String domain, String target, Runnable ended) {
        return new BackupService.TakenDisk() {
            @Override
            public long size() {
                return export.size();
            }

            @Override
            public BlockReader reader() {
                return export.reader();
            }

            @Override
            public BackupManifest.Origin origin() {
                return new BackupManifest.Origin(domain, target, export.quiesced());
            }

            @Override
            public void close() {
                try {
                    export.close();
                } finally {
                    ended.run();
                }
            }
        };
    }

    /** Where backup exports put their sockets and scratch files. */
    Path exportDir() {
        return dir;
    }

    /** Ends the backup jobs a dead agent left exporting under its directory, and removes their files. */
    void onStart(@Observes StartupEvent event) {
        if (mode == TetherConfig.Mode.STORAGE || !Files.isDirectory(dir)) {
            return;
        }
        try {
            for (String domain : hypervisor.domainNames()) {
                var job = hypervisor.backupJob(domain);
                if (job.isPresent() && job.get().contains(dir + "/")) {
                    LOG.infof("domain %s runs a backup export this agent left when it stopped; ended", domain);
                    hypervisor.endBackup(domain);
                }
            }
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.errorf("backup exports left by the last run not ended yet (next start tries again): %s",
                    e.getMessage());
        }
    }
}
