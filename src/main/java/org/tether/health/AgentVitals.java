package org.tether.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.compute.libvirt.jna.EventLoop;
import org.tether.config.TetherConfig;

/**
 * Whether the agent can still do its job once its dependencies answer: in compute mode that needs libvirt's
 * event loop thread (device events, keepalive). A dead loop never comes back: the process must restart.
 * Used by the liveness check and by the systemd watchdog.
 */
@ApplicationScoped
public class AgentVitals {
    private final boolean compute;

    public AgentVitals(TetherConfig config) {
        this.compute = config.mode() != TetherConfig.Mode.STORAGE;
    }

    /** True while the event loop runs, or before it was first needed (it starts with libvirt's connection). */
    public boolean alive() {
        return !compute || !EventLoop.started() || EventLoop.running();
    }

    public String eventLoop() {
        return !compute ? "not used" : !EventLoop.started() ? "not started" : EventLoop.running() ? "running" : "stopped";
    }
}
