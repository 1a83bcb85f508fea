package org.tether.compute.libvirt;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** The libvirt operations attach and detach need. One implementation talks to libvirtd. */
public interface Hypervisor {

    enum Scope {
        LIVE(1), CONFIG(2);

        private final int flag;

        Scope(int flag) {
            this.flag = flag;
        }

        public static int flags(Set<Scope> scopes) {
            return scopes.stream().mapToInt(s -> s.flag).reduce(0, (a, b) -> a | b);
        }
    }

    /** The libvirt daemon's version (major*1,000,000 + minor*1,000 + release); proves it answers. */
    /** Since when libvirtd has not been reachable; empty while it answers (or before it was first needed). */
    default java.util.Optional<java.time.Instant> unavailableSince() {
        return java.util.Optional.empty();
    }

    long daemonVersion();

    /** @throws org.tether.error.TetherException DOMAIN_NOT_FOUND when no such domain exists */
    DomainState domainState(String domain);

    /** The running definition (when active) or the persistent one. */
    DomainXml liveXml(String domain);

    /** The persistent definition; empty disks for a transient domain. */
    DomainXml persistentXml(String domain);

    /** A domain's state with its running and persistent definitions, read together. */
    record DomainView(DomainState state, DomainXml live, DomainXml persistent) {
    }

    /**
     * {@link #domainState}, {@link #liveXml} and {@link #persistentXml} at once; an implementation reads the
     * definition of a domain that is not running once (its live definition is the persistent one).
     *
     * @throws org.tether.error.TetherException DOMAIN_NOT_FOUND when no such domain exists
     */
    default DomainView view(String domain) {
        DomainState state = domainState(domain);
        return new DomainView(state, liveXml(domain), persistentXml(domain));
    }

    void attachDevice(String domain, String deviceXml, Set<Scope> scope);

    void detachDevice(String domain, String deviceXml, Set<Scope> scope);

    /**
     * Asks for the removal of the device whose alias is {@code alias} ({@code virDomainDetachDeviceAlias}): only that
     * device, whatever else sits at its target. Returns once asked; the device-removed event follows.
     */
    void detachDeviceAlias(String domain, String alias, Set<Scope> scope);

    /** Defines (or redefines) an iSCSI CHAP secret with a fixed UUID and sets its value. */
    void defineIscsiSecret(UUID uuid, String usage, byte[] value);

    /**
     * Defines (or redefines) a ceph secret with a fixed UUID and sets its value: the raw cephx key (what
     * {@code virsh secret-set-value --base64} stores from a keyring's base64 key).
     */
    void defineCephSecret(UUID uuid, String usageName, String description, byte[] value);

    /**
     * Defines (or redefines) an encrypted volume's LUKS passphrase secret with a fixed UUID and sets its value,
     * as Nova names it: usage type volume, the volume's id.
     */
    void definePassphraseSecret(UUID uuid, UUID volumeId, byte[] value);

    /** Sets the value of an existing secret; false when there is no secret with that UUID. */
    boolean setSecretValue(UUID uuid, byte[] value);

    /** Removes the secret; absent is success. */
    void undefineSecret(UUID uuid);

    boolean secretExists(UUID uuid);

    /** The UUIDs of every secret libvirt holds, from one listing. */
    java.util.Set<UUID> secretUuids();

    /** The UUID of the secret of usage type {@code ceph} named {@code usageName} (libvirt allows one); empty if none. */
    java.util.Optional<UUID> cephSecretWithUsage(String usageName);

    /** The usage id of a secret of usage type {@code volume} (a LUKS passphrase); empty for others or none. */
    java.util.Optional<String> volumeSecretUsage(UUID uuid);

    /** Names of every domain libvirt knows, running or defined. */
    List<String> domainNames();

    /**
     * Sets block I/O throttling of one disk (by target device), libvirt's {@code virDomainSetBlockIoTune}:
     * numbers are {@code Long}, {@code group_name} a String; keys left out keep their value.
     */
    void setBlockIoTune(String domain, String disk, Map<String, Object> params, Set<Scope> scope);

    /** The disk's throttling as libvirt reports it, live (from QEMU) or from the persistent config. */
    Map<String, Object> blockIoTune(String domain, String disk, Scope scope);

    /** The disk's capacity in bytes as QEMU sees it. */
    long blockCapacity(String domain, String disk);

    /** Grows a running domain's disk to {@code bytes}, libvirt's {@code virDomainBlockResize}. */
    void blockResize(String domain, String disk, long bytes);

    /** Defines a persistent domain from XML; a domain of that name must not exist. */
    void defineDomain(String xml);

    void startDomain(String domain);

    /** Powers the domain off at once when it runs; not running is success. */
    void destroyDomain(String domain);

    /** Removes the persistent definition; absent is success. */
    void undefineDomain(String domain);

    /**
     * Starts a pull-mode backup of the running domain (libvirt's backup API, {@code virDomainBackupBegin}) as
     * {@code backupXml} describes it: the disks, the NBD server they are exported through and their scratch
     * files. One backup job per domain at a time.
     */
    void beginBackup(String domain, String backupXml);

    /** The running backup job's description, empty when the domain (or the domain itself) has none. */
    java.util.Optional<String> backupJob(String domain);

    /** Ends the domain's backup job (its export closes, libvirt removes its scratch files); none is success. */
    void endBackup(String domain);

    /**
     * Freezes the guest's file systems through its guest agent: how many it froze; empty when the domain has no
     * agent or it does not answer (nothing is frozen then).
     */
    java.util.OptionalInt freezeFilesystems(String domain);

    /** Thaws what {@link #freezeFilesystems} froze; nothing frozen is success. */
    void thawFilesystems(String domain);

    /** Where the domain stands for a migration, from its state and the reason libvirt gives for it. */
    MigrationState migrationState(String domain);

    /**
     * The domain's definition as a migration sends it ({@code VIR_DOMAIN_XML_MIGRATABLE}, secrets included): the
     * running one, or with {@code persistent} the one libvirt keeps (null for a transient domain).
     */
    String migratableXml(String domain, boolean persistent);

    /**
     * Live-migrates the running domain peer-to-peer and returns once it runs on the destination (the source's
     * definition then undefined). Throws when libvirt refused or failed it: the domain runs here still, unless
     * the connection to libvirtd was lost meanwhile (then {@link #migrationState} says where it is).
     */
    void migrate(String domain, LiveMigration migration);

    /**
     * The statistics of the domain's current job ({@code virDomainGetJobStats}), or with {@code completed} of
     * its last completed one; keys as libvirt names them ({@code memory_remaining}, {@code downtime}, ...), plus
     * {@code type} (0: none). Empty when the domain is gone.
     */
    Map<String, Object> jobStats(String domain, boolean completed);

    /** Aborts the domain's current job (a migration); none is success. */
    void abortJob(String domain);

    /** The longest pause a live migration may impose at its switch-over, in milliseconds. */
    void setMaxDowntime(String domain, long millis);

    /**
     * Every running domain's per-disk I/O counters in one call ({@code virConnectGetAllDomainStats} with the block
     * group): domain name → its disks. What Nova's {@code get_all_volume_usage} reads, per disk.
     */
    Map<String, List<DiskIo>> diskIo();

    /**
     * One disk's cumulative I/O as QEMU counts it since the domain started.
     *
     * @param disk the target name ({@code vdb}, {@code sda})
     */
    record DiskIo(String disk, long readRequests, long readBytes, long readNanos, long writeRequests,
                  long writeBytes, long writeNanos, long flushRequests, long flushNanos) {
    }

    /**
     * Starts copying the disk with target {@code disk} of the running domain onto the existing destination
     * {@code destinationXml} (a {@code <disk>} whose source is used), mirroring the guest's writes until {@link
     * #endBlockJob}: libvirt's {@code virDomainBlockCopy} with a reused destination and a transient job (a domain
     * that stops ends it, the guest still on its own disk).
     *
     * @param bandwidthBytes a cap in bytes per second, or null
     */
    void blockCopy(String domain, String disk, String destinationXml, Long bandwidthBytes);

    /** The disk's block job ({@code virDomainGetBlockJobInfo}); empty when there is none. */
    java.util.Optional<BlockJob> blockJob(String domain, String disk);

    /**
     * Ends the disk's block job: with {@code pivot} the guest switches to the copy once libvirt answers (and its
     * definitions name the copy); without, the copy is abandoned and the guest keeps its disk. No job is success
     * without a pivot; a pivot refused because the copy is not in sync yet throws {@link BlockJobNotReady}.
     */
    void endBlockJob(String domain, String disk, boolean pivot);

    /**
     * A block job's progress. libvirt reports {@code cur == end} only once the copy is in sync (QEMU's ready
     * state), so that is when a pivot may be asked.
     */
    record BlockJob(long cur, long end) {
        public boolean ready() {
            return end > 0 && cur == end;
        }
    }

    /** A pivot asked before the copy was in sync: ask again later. */
    final class BlockJobNotReady extends RuntimeException {
        public BlockJobNotReady(String message) {
            super(message);
        }
    }

    /**
     * Registers for libvirt's device-removed and device-removal-failed events of every domain.
     * The returned handle deregisters.
     */
    AutoCloseable onDeviceEvents(DeviceEvents listener);
}
