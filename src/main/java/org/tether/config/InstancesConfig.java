package org.tether.config;

import io.smallrye.config.WithDefault;

/** Domains Tether defines itself (boot from volume). */
public interface InstancesConfig {
    /** libvirt domain type: {@code kvm} on real hosts, {@code qemu} (TCG) where KVM is missing. */
    @WithDefault("kvm")
    String virtType();

    /** The guest architecture of the domains the agent defines (boot from volume or image). */
    @WithDefault("x86_64")
    String arch();
}
