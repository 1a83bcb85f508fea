package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.libvirt.jna.EventLoop;
import org.tether.config.TetherConfig;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether the agent can still do its job once its dependencies answer: in compute mode that needs libvirt's
 * event loop thread (device events, keepalive), and libvirtd reachable again within
 * {@code tether.libvirt.give-up-after}. A dead loop never comes back, and a connection that cannot be
 * reopened for that long is not worth waiting on in-process: the process must restart. Used by the liveness
 * check and by the systemd watchdog.
 */
@ApplicationScoped
public class AgentVitals {
    private final boolean compute;
    private final java.util.function.Supplier<Optional<Instant>> libvirtAway;
    private final Duration giveUpAfter;
    private final Clock clock;

    @jakarta.inject.Inject
    public AgentVitals(TetherConfig config, Instance<Hypervisor> hypervisor, Clock clock) {
        this(config.mode() != TetherConfig.Mode.STORAGE, () -> hypervisor.get().unavailableSince(),
                config.libvirt().giveUpAfter(), clock);
    }

    AgentVitals(boolean compute, java.util.function.Supplier<Optional<Instant>> libvirtAway, Duration giveUpAfter,
                Clock clock) {
        this.compute = compute;
        this.libvirtAway = libvirtAway;
        this.giveUpAfter = giveUpAfter;
        this.clock = clock;
    }

    /** True while the event loop runs (or before it was first needed) and libvirtd was not away too long. */
    public boolean alive() {
        return !compute || ((!EventLoop.started() || EventLoop.running()) && !gaveUpOnLibvirt());
    }

    public String eventLoop() {
        return !compute ? "not used" : !EventLoop.started() ? "not started" : EventLoop.running() ? "running" : "stopped";
    }

    /** Since when libvirtd has been unreachable, when it is. */
    public Optional<Instant> libvirtAwaySince() {
        return compute ? libvirtAway.get() : Optional.empty();
    }

    private boolean gaveUpOnLibvirt() {
        return libvirtAwaySince().map(since -> Duration.between(since, clock.instant()).compareTo(giveUpAfter) > 0)
                .orElse(false);
    }
}
