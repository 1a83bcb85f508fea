package org.tether.compute.libvirt;

/**
 * libvirt's answers to a device unplug, its block jobs' changes, devices added and domains' lifecycle changes,
 * as they arrive from its event loop.
 */
public interface DeviceEvents {

    /** A device was hot-plugged into the running domain (by anyone: this agent too). */
    default void added(String domain, String alias) {
    }

    /** The domain started, stopped, was defined, undefined, suspended, resumed or migrated. */
    default void lifecycle(String domain) {
    }

    /** Events now come over a new libvirt connection: any sent in between were missed. */
    default void reconnected() {
    }

    default void removed(String domain, String alias) {
    }

    default void removalFailed(String domain, String alias) {
    }

    /**
     * A block job of {@code disk} (its target name) changed: {@code status} is libvirt's {@code
     * virConnectDomainEventBlockJobStatus} (0 completed, 1 failed, 2 cancelled, 3 ready for a pivot).
     */
    default void blockJob(String domain, String disk, int status) {
    }
}
