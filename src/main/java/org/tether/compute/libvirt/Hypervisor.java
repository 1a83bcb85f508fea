package org.tether.compute.libvirt;

import java.util.Set;
import java.util.UUID;

/** The libvirt operations attach and detach need. One implementation talks to libvirtd. */
public interface Hypervisor {

    enum Scope {
        LIVE(1), CONFIG(2);

        private final int flag;

        Scope(int flag) {
            this.flag = flag;
        }

        public static int flags(Set<Scope> scopes) {
            return scopes.stream().mapToInt(s -> s.flag).reduce(0, (a, b) -> a | b);
        }
    }

    /** The libvirt daemon's version (major*1,000,000 + minor*1,000 + release); proves it answers. */
    long daemonVersion();

    /** @throws org.tether.error.TetherException DOMAIN_NOT_FOUND when no such domain exists */
    DomainState domainState(String domain);

    /** The running definition (when active) or the persistent one. */
    DomainXml liveXml(String domain);

    /** The persistent definition; empty disks for a transient domain. */
    DomainXml persistentXml(String domain);

    void attachDevice(String domain, String deviceXml, Set<Scope> scope);

    void detachDevice(String domain, String deviceXml, Set<Scope> scope);

    /** Defines (or redefines) an iSCSI CHAP secret with a fixed UUID and sets its value. */
    void defineIscsiSecret(UUID uuid, String usage, byte[] value);

    /** Removes the secret; absent is success. */
    void undefineSecret(UUID uuid);
}
