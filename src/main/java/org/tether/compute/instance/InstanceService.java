package org.tether.compute.instance;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.attach.AttachCommand;
import org.tether.compute.attach.AttachService;
import org.tether.compute.attach.AttachmentLocks;
import org.tether.compute.attach.Fingerprint;
import org.tether.compute.attach.Teardown;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DomainDefinition;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.concurrent.KeyedLocks;
import org.tether.config.TetherConfig;
import org.tether.config.InstancesConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Boot from volume: connects every volume of the new domain (journalled like any attach), defines the
 * domain with the boot volume as its first disk (boot order 1), starts it. A failure anywhere undoes it all:
 * domain destroyed and undefined, volumes disconnected. Deleting stops and undefines the domain and
 * disconnects its volumes; the volumes themselves are never touched.
 */
@ApplicationScoped
public class InstanceService {
    private static final Logger LOG = Logger.getLogger(InstanceService.class);

    private final AttachService attach;
    private final Teardown teardown;
    private final AttachmentJournal journal;
    private final AttachmentLocks volumeLocks;
    private final InstanceStore store;
    private final Hypervisor hypervisor;
    private final InstancesConfig settings;
    private final Path consoles;
    private final Clock clock;
    private final KeyedLocks instanceLocks = new KeyedLocks();

    public InstanceService(AttachService attach, Teardown teardown, AttachmentJournal journal,
                           AttachmentLocks volumeLocks, InstanceStore store, Hypervisor hypervisor,
                           TetherConfig config, Clock clock) {
        this.attach = attach;
        this.teardown = teardown;
        this.journal = journal;
        this.volumeLocks = volumeLocks;
        this.store = store;
        this.hypervisor = hypervisor;
        this.settings = config.instances();
        this.consoles = config.stateDir().toAbsolutePath().resolve("consoles");
        this.clock = clock;
    }

    /** An instance and the attachments it holds now (boot volume first). */
    public record Instance(InstanceRecord record, boolean running, List<AttachmentRecord> attachments) {
    }

    public Instance create(CreateInstance req) {
        List<AttachService.Prepared> prepared = new ArrayList<>();
        Set<UUID> seen = new HashSet<>();
        for (int i = 0; i < req.volumes().size(); i++) {
            AttachCommand cmd = req.volumes().get(i);
            String field = i == 0 ? "boot_volume" : "volumes[" + (i - 1) + "]";
            if (!seen.add(cmd.volumeId())) {
                throw TetherException.invalid(field + ".volume_id", "volume " + cmd.volumeId() + " is given twice");
            }
            prepared.add(attach.prepare(cmd, field + ".connection_info"));
        }
        String fingerprint = fingerprint(req, prepared);
        try (KeyedLocks.Held held = instanceLocks.lock(req.name())) {
            Optional<InstanceRecord> existing = store.find(req.name());
            if (existing.isPresent()) {
                return repeat(existing.get(), fingerprint);
            }
            if (exists(req.name())) {
                throw new TetherException(ErrorCode.INSTANCE_CONFLICT, "name", "a domain named " + req.name()
                        + " exists already");
            }
            List<KeyedLocks.Held> locks = lockVolumes(prepared);
            try {
                for (AttachService.Prepared p : prepared) {
                    attach.checkNotElsewhere(p.cmd());
                }
                return createNew(req, prepared, fingerprint);
            } finally {
                locks.forEach(KeyedLocks.Held::close);
            }
        }
    }

    private Instance repeat(InstanceRecord r, String fingerprint) {
        if (r.phase() == InstanceRecord.Phase.ACTIVE && r.fingerprint().equals(fingerprint)) {
            return describe(r);
        }
        throw new TetherException(ErrorCode.INSTANCE_CONFLICT, "name", "instance " + r.name() + " exists"
                + (r.phase() == InstanceRecord.Phase.ACTIVE ? " with another definition" : " and is "
                + r.phase().name().toLowerCase(java.util.Locale.ROOT)));
    }

    private Instance createNew(CreateInstance req, List<AttachService.Prepared> prepared, String fingerprint) {
        Path console = consoles.resolve(req.name() + ".log");
        InstanceRecord record = new InstanceRecord(req.name(), InstanceRecord.Phase.CREATING,
                req.volumes().stream().map(AttachCommand::volumeId).toList(), fingerprint, console.toString(),
                clock.instant(), clock.instant());
        store.put(record);
        List<AttachmentRecord> connected = new ArrayList<>();
        List<byte[]> passphrases = new ArrayList<>();
        boolean defined = false;
        try {
            // every key first: a key manager away or a key that does not fit leaves the host untouched
            for (AttachService.Prepared p : prepared) {
                passphrases.add(attach.passphrase(p));
            }
            for (int i = 0; i < prepared.size(); i++) {
                connected.add(attach.connect(prepared.get(i)));
                byte[] passphrase = passphrases.get(i);
                if (passphrase != null) {
                    connected.set(i, attach.journalLuks(prepared.get(i), connected.get(i), passphrase));
                    attach.holdPassphrase(connected.get(i), passphrase);
                }
            }
            List<DiskXml> disks = InstanceDomainXml.disks(prepared, connected);
            DomainDefinition domain = InstanceDomainXml.definition(req, settings.virtType(), settings.arch(),
                    console, disks);
            Files.createDirectories(consoles);
            hypervisor.defineDomain(LibvirtXml.write(domain));
            defined = true;
            hypervisor.startDomain(req.name());
            List<AttachmentRecord> attached = new ArrayList<>();
            for (int i = 0; i < connected.size(); i++) {
                DiskXml disk = disks.get(i);
                AttachmentRecord a = connected.get(i)
                        .withDisk(InstanceDomainXml.device(disk), LibvirtXml.write(disk), clock.instant())
                        .withPhase(AttachmentRecord.Phase.ATTACHED, clock.instant());
                journal.put(a);
                attached.add(a);
            }
            record = record.withPhase(InstanceRecord.Phase.ACTIVE, clock.instant());
            store.put(record);
            LOG.infof("instance %s boots from volume %s (%d volumes)", req.name(), record.bootVolumeId(),
                    attached.size());
            return new Instance(record, true, attached);
        } catch (IOException | RuntimeException e) {
            throw undo(record, connected, defined, e);
        } finally {
            passphrases.stream().filter(java.util.Objects::nonNull).forEach(b -> java.util.Arrays.fill(b, (byte) 0));
        }
    }

    private TetherException undo(InstanceRecord record, List<AttachmentRecord> connected, boolean defined,
                                 Exception cause) {
        TetherException failure = cause instanceof TetherException t ? t
                : new TetherException(ErrorCode.INTERNAL, cause.getMessage(), cause);
        try {
            if (defined) {
                hypervisor.destroyDomain(record.name());
                hypervisor.undefineDomain(record.name());
            }
        } catch (RuntimeException e) {
            LOG.errorf("undo of instance %s incomplete: %s; the next start finishes it", record.name(), e.getMessage());
            return new TetherException(failure.code(), failure.field(), failure.getMessage()
                    + "; undo incomplete (" + e.getMessage() + "), it will be retried at the next start");
        }
        List<UUID> left = new ArrayList<>();
        for (AttachmentRecord a : connected) {
            teardown.rollback(a, failure);
            if (journal.find(a.volumeId(), a.domain()).isPresent()) {
                left.add(a.volumeId()); // kept as rollback_pending: the next start finishes it
            }
        }
        store.remove(record.name());
        return new TetherException(failure.code(), failure.field(), failure.getMessage() + (left.isEmpty()
                ? "; rolled back" : "; rollback incomplete for volumes " + left + ", retried at the next start"));
    }

    public Optional<InstanceRecord> find(String name) {
        return store.find(name);
    }

    public Instance get(String name) {
        return describe(store.find(name).orElseThrow(() -> new TetherException(ErrorCode.INSTANCE_NOT_FOUND,
                "name", "Tether holds no instance named " + name)));
    }

    public List<Instance> all() {
        return store.all().stream().map(this::describe).toList();
    }

    private Instance describe(InstanceRecord r) {
        boolean running;
        try {
            running = hypervisor.domainState(r.name()).active();
        } catch (TetherException e) {
            if (e.code() != ErrorCode.DOMAIN_NOT_FOUND) {
                throw e;
            }
            running = false;
        }
        List<AttachmentRecord> mine = journal.all().stream().filter(a -> a.domain().equals(r.name()))
                .sorted(Comparator.comparingInt(a -> {
                    int i = r.volumeIds().indexOf(a.volumeId());
                    return i < 0 ? Integer.MAX_VALUE : i;
                })).toList();
        return new Instance(r, running, mine);
    }

    /**
     * Powers off, undefines, disconnects every volume the domain holds.
     *
     * @return false when there was no such instance
     * @throws TetherException INSTANCE_CONFLICT for a domain Tether did not create
     */
    public boolean delete(String name) {
        try (KeyedLocks.Held held = instanceLocks.lock(name)) {
            Optional<InstanceRecord> r = store.find(name);
            if (r.isEmpty()) {
                if (exists(name)) {
                    throw new TetherException(ErrorCode.INSTANCE_CONFLICT, "name", "domain " + name
                            + " was not created by Tether; it is left alone");
                }
                return false;
            }
            boolean migrating = r.get().phase() == InstanceRecord.Phase.INCOMING || journal.all().stream()
                    .anyMatch(a -> a.domain().equals(name) && a.phase().migration());
            if (migrating) {
                throw new TetherException(ErrorCode.MIGRATION_BUSY, "name", "instance " + name + " is migrating; "
                        + "delete it where it runs once the migration ends");
            }
            finishDelete(r.get().withPhase(InstanceRecord.Phase.DELETING, clock.instant()));
            return true;
        }
    }

    /** Also used by recovery: a CREATING or DELETING instance found at start is taken down the same way. */
    void finishDelete(InstanceRecord r) {
        store.put(r);
        hypervisor.destroyDomain(r.name());
        hypervisor.undefineDomain(r.name());
        for (AttachmentRecord a : journal.all()) {
            if (a.domain().equals(r.name())) {
                try (var held = volumeLocks.volume(a.volumeId())) {
                    teardown.detach(a);
                }
            }
        }
        store.remove(r.name());
        LOG.infof("deleted instance %s; its volumes are disconnected and kept", r.name());
    }

    /** @throws TetherException INSTANCE_CONFLICT when the volume is the instance's boot disk */
    public void requireNotBootVolume(String domain, UUID volumeId) {
        store.find(domain).filter(r -> r.bootVolumeId().equals(volumeId)).ifPresent(r -> {
            throw new TetherException(ErrorCode.INSTANCE_CONFLICT, "volume_id", "volume " + volumeId
                    + " is the boot disk of " + domain + "; delete the instance instead");
        });
    }

    private boolean exists(String name) {
        try {
            hypervisor.domainState(name);
            return true;
        } catch (TetherException e) {
            if (e.code() == ErrorCode.DOMAIN_NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    private List<KeyedLocks.Held> lockVolumes(List<AttachService.Prepared> prepared) {
        List<KeyedLocks.Held> held = new ArrayList<>();
        prepared.stream().map(p -> p.cmd().volumeId()).sorted().forEach(v -> held.add(volumeLocks.volume(v)));
        return held;
    }

    private static String fingerprint(CreateInstance req, List<AttachService.Prepared> prepared) {
        StringBuilder s = new StringBuilder().append(req.vcpus()).append('|').append(req.memoryMb()).append('|')
                .append(req.machine()).append('|').append(req.network());
        prepared.forEach(p -> s.append('|').append(p.cmd().volumeId()).append('=').append(p.fingerprint()));
        if (!req.hardware().equals(GuestHardware.DEFAULT)) {
            s.append('|').append(req.hardware()); // only then: instances made before keep their fingerprint
        }
        return Fingerprint.digest(s.toString());
    }
}
