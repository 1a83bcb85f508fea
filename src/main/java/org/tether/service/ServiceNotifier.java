package org.tether.service;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.vertx.http.HttpServerStart;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import org.jboss.logging.Logger;
import org.tether.health.AgentVitals;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Tells systemd how the agent is doing: {@code READY=1} once the HTTP server accepts connections, which
 * Quarkus does only after every startup observer (startup recovery, the first reconciliation) returned;
 * {@code WATCHDOG=1} at half the watchdog interval for as long as the agent is alive; {@code STOPPING=1}
 * when it shuts down. Does nothing outside systemd.
 */
@ApplicationScoped
public class ServiceNotifier {
    private static final Logger LOG = Logger.getLogger(ServiceNotifier.class);

    private final AgentVitals liveness;
    private final Optional<SdNotify> notify = SdNotify.fromEnvironment();
    private ScheduledExecutorService watchdog;
    private boolean readySent;

    public ServiceNotifier(AgentVitals liveness) {
        this.liveness = liveness;
    }

    /** Fired (asynchronously) by Quarkus once the listener is bound, after every StartupEvent observer. */
    void onListening(@ObservesAsync HttpServerStart started) {
        ready();
    }

    /** The same for the TLS listener; a TLS-only agent (the packaged one) has no other. */
    void onListeningTls(@ObservesAsync io.quarkus.vertx.http.HttpsServerStart started) {
        ready();
    }

    private synchronized void ready() {
        if (notify.isEmpty() || readySent) {
            return;
        }
        readySent = true;
        SdNotify n = notify.get();
        if (!n.send("READY=1\nSTATUS=ready\nMAINPID=" + ProcessHandle.current().pid())) {
            LOG.warn("could not send READY=1 to systemd");
        }
        long usec = watchdogUsec();
        if (usec > 0) {
            watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tether-watchdog");
                t.setDaemon(true);
                return t;
            });
            long every = Math.max(1, usec / 2);
            watchdog.scheduleAtFixedRate(() -> {
                if (liveness.alive()) {
                    n.send("WATCHDOG=1");
                } else {
                    LOG.error("not alive; withholding the watchdog ping so that systemd restarts the agent");
                }
            }, every, every, TimeUnit.MICROSECONDS);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        notify.ifPresent(n -> n.send("STOPPING=1\nSTATUS=stopping"));
    }

    /** WATCHDOG_USEC, when WATCHDOG_PID is absent or names this process. */
    private static long watchdogUsec() {
        String pid = System.getenv("WATCHDOG_PID");
        if (pid != null && !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return 0;
        }
        try {
            return Long.parseLong(System.getenv().getOrDefault("WATCHDOG_USEC", "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
