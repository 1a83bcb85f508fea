package org.tether.compute.libvirt;

/** libvirt's answers to a device unplug, and its block jobs' changes, as they arrive from its event loop. */
public interface DeviceEvents {

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
