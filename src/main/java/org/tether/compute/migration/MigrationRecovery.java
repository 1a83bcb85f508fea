package org.tether.compute.migration;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.compute.attach.AttachmentLocks;
import org.tether.compute.attach.Teardown;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.libvirt.MigrationState;
import org.tether.config.TetherConfig;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.time.Clock;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * At start, each half of a migration an earlier run left is finished or undone by asking libvirt where the domain
 * runs: the source releases the volumes of a domain that left and re-attaches those of one that stayed; the
 * destination completes a domain that arrived and undoes one that never will ({@link IncomingMigrations#settle},
 * also every settle interval, since a source that died cannot tell it).
 */
@ApplicationScoped
public class MigrationRecovery {
    private static final Logger LOG = Logger.getLogger(MigrationRecovery.class);

    private final MigrationStore store;
    private final OutgoingMigrations outgoing;
    private final IncomingMigrations incoming;
    private final Hypervisor hypervisor;
    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final Teardown teardown;
    private final TetherConfig config;
    private final Clock clock;

    public MigrationRecovery(MigrationStore store, OutgoingMigrations outgoing, IncomingMigrations incoming,
                             Hypervisor hypervisor, AttachmentJournal journal, AttachmentLocks locks,
                             Teardown teardown, TetherConfig config, Clock clock) {
        this.store = store;
        this.outgoing = outgoing;
        this.incoming = incoming;
        this.hypervisor = hypervisor;
        this.journal = journal;
        this.locks = locks;
        this.teardown = teardown;
        this.config = config;
        this.clock = clock;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            recover();
        }
    }

    @Scheduled(every = "${tether.attach.settle-interval:15s}", delayed = "${tether.attach.settle-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "migration-settle")
    void settle() {
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            recover(); // what a start could not finish (libvirtd away, the peer down) is retried until it is
        }
    }

    /** @return how many outgoing migrations were found interrupted (none in progress in this run count) */
    public int recover() {
        int n = 0;
        for (MigrationRecord m : store.all()) {
            if (outgoing.progress(m.domain()).isPresent()) {
                continue; // this run's own, in progress
            }
            n++;
            try {
                recoverOutgoing(m);
            } catch (RuntimeException e) {
                LOG.errorf("could not recover the migration of %s to %s: %s", m.domain(), m.peer(), e.getMessage());
            }
        }
        Set<String> owned = store.all().stream().map(MigrationRecord::domain).collect(Collectors.toSet());
        owned.addAll(outgoing.inProgress());
        for (AttachmentRecord r : journal.all()) {
            if (r.phase() == AttachmentRecord.Phase.MIGRATING && !owned.contains(r.domain())) {
                orphan(r); // marked by a run that died before its migration record was written, or after removed
            }
        }
        incoming.settle();
        return n;
    }

    private void recoverOutgoing(MigrationRecord m) {
        outgoing.waitForJobEnd(m.domain()); // a peer-to-peer migration goes on in libvirtd without us
        MigrationState here = hypervisor.migrationState(m.domain());
        if (here == MigrationState.ABSENT && m.phase() != MigrationRecord.Phase.PREPARING) {
            LOG.infof("recovered the migration of %s to %s: the domain left, releasing its volumes here",
                    m.domain(), m.peer());
            outgoing.finish(m.in(MigrationRecord.Phase.CLEANING, clock.instant()));
        } else if (here == MigrationState.ABSENT) {
            // never began moving, yet the domain is gone: shut off and undefined by hand meanwhile
            outgoing.undoHere(m, "the domain is gone and was never migrated");
            outgoing.abortDestination(m);
        } else {
            outgoing.undoHere(m, "the agent restarted before the guest moved (" + here + ")");
            outgoing.abortDestination(m);
        }
    }

    private void orphan(AttachmentRecord r) {
        try (var held = locks.volume(r.volumeId())) {
            if (hypervisor.migrationState(r.domain()) == MigrationState.ABSENT) {
                teardown.release(r);
            } else {
                journal.put(r.withPhase(AttachmentRecord.Phase.ATTACHED, clock.instant()));
            }
        } catch (RuntimeException e) {
            LOG.errorf("could not recover migrating attachment %s: %s", r.key(), e.getMessage());
        }
    }
}
