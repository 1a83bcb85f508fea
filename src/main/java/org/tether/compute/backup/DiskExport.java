package org.tether.compute.backup;

import org.jboss.logging.Logger;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.BlockReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One disk of a running domain as it was at one instant, while the guest goes on writing: libvirt's pull-mode
 * backup (as vdsm and the Proxmox backup client use it) exports the disk over NBD on a Unix socket of the agent's,
 * and QEMU copies a block aside into a scratch file before the guest overwrites it (copy-before-write), so the
 * export keeps reading the instant the job began. The allocation map ({@code base:allocation}) tells which ranges
 * hold data: the rest is never read. With {@code quiesce}, the guest's file systems are frozen through its guest
 * agent for the instant the job begins and thawed right after, as Nova's quiesced snapshots do; without an agent
 * the backup is crash-consistent, and says so ({@link #quiesced}).
 *
 * <p>Incrementals from QEMU dirty bitmaps are not made here: libvirt's checkpoints (which keep those bitmaps) are
 * refused for raw disks ({@code checkpoint for disk vda unsupported for storage type raw}, libvirt 9.0), and
 * every disk Tether attaches is raw. A backup made this way reads what is allocated and stores only new chunks.
 */
public final class DiskExport implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DiskExport.class);

    private final Hypervisor hypervisor;
    private final String domain;
    private final Path socket;
    private final Path scratch;
    private final NbdClient nbd;
    private final TreeMap<Long, Long> data;
    private final boolean quiesced;

    private DiskExport(Hypervisor hypervisor, String domain, Path socket, Path scratch, NbdClient nbd,
                       TreeMap<Long, Long> data, boolean quiesced) {
        this.hypervisor = hypervisor;
        this.domain = domain;
        this.socket = socket;
        this.scratch = scratch;
        this.nbd = nbd;
        this.data = data;
        this.quiesced = quiesced;
    }

    /** The socket and scratch file a backup {@code id} uses under {@code dir}. */
    static Path socket(Path dir, UUID id) {
        return dir.resolve(id + ".sock");
    }

    static Path scratch(Path dir, UUID id) {
        return dir.resolve(id + ".scratch.qcow2");
    }

    /**
     * Begins the backup job of disk {@code target} of the running {@code domain}, its files under {@code dir}.
     * Refused (409) when the domain is not running, has no such disk, or runs another backup job. Everything it
     * made is undone when it fails.
     */
    public static DiskExport begin(Hypervisor hypervisor, String domain, String target, Path dir, UUID id,
                                   boolean quiesce) {
        if (!hypervisor.domainState(domain).active()) {
            throw new TetherException(ErrorCode.BACKUP_UNSUPPORTED, "domain", "domain " + domain + " is not running; "
                    + "back its volume up from the storage side");
        }
        List<DiskXml> disks = hypervisor.liveXml(domain).disks();
        if (disks.stream().noneMatch(d -> target.equals(d.targetDev()))) {
            throw new TetherException(ErrorCode.ATTACHMENT_NOT_FOUND, "domain " + domain + " has no disk " + target);
        }
        if (hypervisor.backupJob(domain).isPresent()) {
            throw new TetherException(ErrorCode.BACKUP_BUSY, "domain " + domain + " runs a backup job already");
        }
        Path socket = socket(dir, id);
        Path scratch = scratch(dir, id);
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean frozen = false;
        boolean begun = false;
        NbdClient nbd = null;
        try {
            if (quiesce) {
                frozen = hypervisor.freezeFilesystems(domain).isPresent();
                if (!frozen) {
                    LOG.infof("domain %s has no guest agent answering: the backup of %s is crash-consistent", domain,
                            target);
                }
            }
            try {
                hypervisor.beginBackup(domain, xml(disks, target, socket, scratch));
                begun = true;
            } finally {
                if (frozen) {
                    hypervisor.thawFilesystems(domain); // the instant is taken: the guest goes on at once
                }
            }
            nbd = NbdClient.open(socket, target, NbdClient.BASE_ALLOCATION);
            TreeMap<Long, Long> data = new TreeMap<>();
            for (NbdClient.Extent e : nbd.status(0, nbd.size())) {
                if ((e.flags() & NbdClient.STATE_HOLE) == 0 || (e.flags() & NbdClient.STATE_ZERO) == 0) {
                    data.put(e.offset(), e.end()); // allocated, or a hole that does not read as zeroes
                }
            }
            return new DiskExport(hypervisor, domain, socket, scratch, nbd, data, frozen);
        } catch (IOException | RuntimeException e) {
            if (nbd != null) {
                nbd.close();
            }
            if (begun) {
                end(hypervisor, domain, socket, scratch);
            }
            if (e instanceof IOException io) {
                throw new TetherException(ErrorCode.HYPERVISOR_ERROR, "the backup export of " + target + " of "
                        + domain + " could not be read: " + io.getMessage());
            }
            throw (RuntimeException) e;
        }
    }

    /** libvirt's backup description: this disk exported at {@code socket}, every other disk left out. */
    static String xml(List<DiskXml> disks, String target, Path socket, Path scratch) {
        StringBuilder x = new StringBuilder("<domainbackup mode='pull'><server transport='unix' socket='")
                .append(attr(socket.toString())).append("'/><disks>");
        for (DiskXml d : disks) {
            if (d.targetDev() == null) {
                continue;
            }
            x.append("<disk name='").append(attr(d.targetDev())).append('\'');
            if (d.targetDev().equals(target)) {
                x.append(" backup='yes' type='file'><scratch file='").append(attr(scratch.toString()))
                        .append("'/></disk>");
            } else {
                x.append(" backup='no'/>");
            }
        }
        return x.append("</disks></domainbackup>").toString();
    }

    private static String attr(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;").replace("\"", "&quot;");
    }

    /**
     * Ends the domain's backup job if it is the one exported at {@code socket} (never another's), and removes the
     * files: after a failure, and at a start after the agent died during a backup.
     */
    static void end(Hypervisor hypervisor, String domain, Path socket, Path scratch) {
        if (hypervisor.backupJob(domain).filter(x -> x.contains(socket.toString())).isPresent()) {
            hypervisor.endBackup(domain);
        }
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(scratch);
        } catch (IOException e) {
            LOG.warnf("backup files %s, %s not removed: %s", socket, scratch, e.getMessage());
        }
    }

    public long size() {
        return nbd.size();
    }

    /** Whether the guest's file systems were frozen for the instant (else the backup is crash-consistent). */
    public boolean quiesced() {
        return quiesced;
    }

    /** Bytes the allocation map says hold data. */
    public long allocated() {
        return data.entrySet().stream().mapToLong(e -> e.getValue() - e.getKey()).sum();
    }

    /** The disk at the instant, as a backup reads it; the export stays open until this export is closed. */
    public BlockReader reader() {
        return new BlockReader() {
            @Override
            public boolean hasData(long offset, int length) {
                var e = data.floorEntry(offset + length - 1);
                return e != null && e.getValue() > offset;
            }

            @Override
            public void read(long offset, byte[] buf, int length) {
                int n = (int) Math.max(0, Math.min(length, nbd.size() - offset));
                try {
                    nbd.read(offset, buf, n);
                } catch (IOException e) {
                    throw new TetherException(ErrorCode.HYPERVISOR_ERROR, "reading the backup export of " + domain
                            + " at " + offset + ": " + e.getMessage());
                }
                java.util.Arrays.fill(buf, n, length, (byte) 0);
            }

            @Override
            public void close() {
                // the export is the DiskExport's
            }
        };
    }

    @Override
    public void close() {
        nbd.close();
        end(hypervisor, domain, socket, scratch);
    }
}
