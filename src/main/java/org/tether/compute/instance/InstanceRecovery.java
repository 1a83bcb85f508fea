package org.tether.compute.instance;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.error.TetherException;

/**
 * At start, before attachments are recovered: an instance left CREATING is undone (it never answered its
 * caller), one left DELETING is finished. Either way its domain goes and its volumes are disconnected.
 */
@ApplicationScoped
public class InstanceRecovery {
    private static final Logger LOG = Logger.getLogger(InstanceRecovery.class);

    private final InstanceStore store;
    private final InstanceService instances;
    private final TetherConfig config;

    public InstanceRecovery(InstanceStore store, InstanceService instances, TetherConfig config) {
        this.store = store;
        this.instances = instances;
        this.config = config;
    }

    void onStart(@Observes @Priority(100) StartupEvent event) {
        if (config.mode() != TetherConfig.Mode.STORAGE) {
            recover();
        }
    }

    /** @return how many instances were in flight */
    public int recover() {
        int n = 0;
        for (InstanceRecord r : store.all()) {
            if (r.phase() == InstanceRecord.Phase.ACTIVE || r.phase() == InstanceRecord.Phase.INCOMING) {
                continue; // an incoming one is its migration's
            }
            n++;
            try {
                instances.finishDelete(r);
                LOG.infof("recovered instance %s: it was %s, now removed", r.name(),
                        r.phase().name().toLowerCase(java.util.Locale.ROOT));
            } catch (TetherException e) {
                LOG.errorf("could not recover instance %s (%s): %s", r.name(), r.phase(), e.getMessage());
            }
        }
        return n;
    }
}
