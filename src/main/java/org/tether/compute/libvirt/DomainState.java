package org.tether.compute.libvirt;

import java.util.EnumSet;
import java.util.Set;

/** Whether a domain runs and whether libvirt keeps its config; together they decide the hot-plug scope. */
public record DomainState(String name, boolean active, boolean persistent) {

    /** LIVE|CONFIG on a running persistent domain, CONFIG on a shut-off one, LIVE on a transient one. */
    public Set<Hypervisor.Scope> hotplugScope() {
        EnumSet<Hypervisor.Scope> scope = EnumSet.noneOf(Hypervisor.Scope.class);
        if (active) {
            scope.add(Hypervisor.Scope.LIVE);
        }
        if (persistent) {
            scope.add(Hypervisor.Scope.CONFIG);
        }
        return scope;
    }
}
