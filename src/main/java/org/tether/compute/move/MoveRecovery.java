package org.tether.compute.move;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.compute.attach.AttachmentLocks;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.config.TetherConfig;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.time.Clock;
import java.util.Optional;

/**
 * Finishes or undoes the moves an earlier run left, at start and every settle interval (an undo or a disconnect
 * that failed is retried until it is done). Where the guest's disk reads from decides: the new volume, the move is
 * finished (the old connection goes); the old one, the copy is abandoned and the new connection goes.
 */
@ApplicationScoped
public class MoveRecovery {
    private static final Logger LOG = Logger.getLogger(MoveRecovery.class);

    private final MoveStore store;
    private final AttachedVolumeMoves moves;
    private final AttachmentJournal journal;
    private final AttachmentLocks locks;
    private final Hypervisor hypervisor;
    private final TetherConfig config;
    private final Clock clock;

    public MoveRecovery(MoveStore store, AttachedVolumeMoves moves, AttachmentJournal journal, AttachmentLocks locks,
                        Hypervisor hypervisor, TetherConfig config, Clock clock) {
        this.store = store;
        this.moves = moves;
        this.journal = journal;
        this.locks = locks;
        this.hypervisor = hypervisor;
        this.config = config;
        this.clock = clock;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            recover();
        }
    }

    @Scheduled(every = "${tether.attach.settle-interval:15s}", delayed = "${tether.attach.settle-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "move-settle")
    void settle() {
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            recover();
        }
    }

    /** @return how many interrupted moves it found (those in progress in this run do not count) */
    public int recover() {
        int n = 0;
        for (MoveRecord m : store.all()) {
            if (moves.inProgress(m.key())) {
                continue;
            }
            n++;
            try {
                recoverOne(m);
            } catch (RuntimeException e) {
                LOG.errorf("could not recover the move of %s on %s: %s", m.volumeId(), m.domain(), e.getMessage());
            }
        }
        for (AttachmentRecord r : journal.all()) {
            if (r.phase() == AttachmentRecord.Phase.MOVING && !moves.inProgress(r.key())
                    && store.find(r.key()).isEmpty()) {
                try (var held = locks.volume(r.volumeId())) {
                    journal.find(r.volumeId(), r.domain()).filter(x -> x.phase() == AttachmentRecord.Phase.MOVING)
                            .ifPresent(x -> journal.put(x.withPhase(AttachmentRecord.Phase.ATTACHED, clock.instant())));
                }
            }
        }
        return n;
    }

    private void recoverOne(MoveRecord m) {
        switch (m.phase()) {
            case CONNECTING -> moves.undo(m, "the agent restarted while connecting the new volume");
            case PIVOTED -> {
                moves.finish(m);
            }
            case COPYING -> {
                hypervisor.migrationState(m.domain()); // libvirtd away: tried again at the next pass
                Optional<AttachmentRecord> a = journal.find(m.volumeId(), m.domain());
                a.filter(r -> r.device() != null).ifPresent(r -> moves.abandon(m.domain(), r.device().dev()));
                DiskXml target = DiskXmlFactory.withSource(new DiskXml(), m.to().connected().source());
                boolean moved = moves.where(m.domain(), m.volumeId(), target).orElseThrow(() ->
                        new IllegalStateException("libvirt cannot say which volume the guest reads; tried again at "
                                + "the next pass"));
                if (a.isPresent() && moved) {
                    LOG.infof("recovered the move of %s on %s: the guest is on the new volume", m.volumeId(), m.domain());
                    moves.finish(m.in(MoveRecord.Phase.PIVOTED, clock.instant()));
                } else {
                    LOG.infof("undoing the move of %s on %s: the agent restarted before the switch-over",
                            m.volumeId(), m.domain());
                    moves.undo(m, "the agent restarted before the switch-over");
                }
            }
        }
    }
}
