package org.tether.compute.cinder;

import org.tether.openstack.CinderClient;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.compute.cinder.CinderAttachmentRecord.Phase;
import org.tether.config.TetherConfig;

/**
 * At start, after the host attachments were recovered: Cinder attachments left mid-way are finished or undone.
 * Runs on its own thread because it talks to Keystone and Cinder, which may be down; what it cannot finish
 * stays recorded for the controller's next call or the next start.
 */
@ApplicationScoped
public class CinderAttachmentRecovery {
    private static final Logger LOG = Logger.getLogger(CinderAttachmentRecovery.class);

    private final CinderAttachmentStore store;
    private final CinderAttachmentService service;
    private final CinderClient cinder;
    private final TetherConfig config;

    public CinderAttachmentRecovery(CinderAttachmentStore store, CinderAttachmentService service, CinderClient cinder,
                                    TetherConfig config) {
        this.store = store;
        this.service = service;
        this.cinder = cinder;
        this.config = config;
    }

    void onStart(@Observes @Priority(3000) StartupEvent event) {
        if (config.mode() == TetherConfig.Mode.STORAGE || !cinder.configured()) {
            return;
        }
        if (store.all().stream().anyMatch(r -> r.phase() != Phase.COMPLETED)) {
            Thread t = new Thread(this::recover, "tether-cinder-recovery");
            t.setDaemon(true);
            t.start();
        }
    }

    /** @return how many records were left mid-way */
    int recover() {
        int n = 0;
        for (CinderAttachmentRecord r : store.all()) {
            if (r.phase() == Phase.COMPLETED) {
                continue;
            }
            n++;
            try {
                service.recover(r);
            } catch (RuntimeException e) {
                LOG.errorf("Cinder attachment %s (%s) not recovered yet: %s", r.attachmentId(), r.phase(),
                        e.getMessage());
            }
        }
        return n;
    }
}
