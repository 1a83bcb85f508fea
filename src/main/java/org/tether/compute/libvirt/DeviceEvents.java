package org.tether.compute.libvirt;

/** libvirt's answers to a device unplug, as they arrive from its event loop. */
public interface DeviceEvents {

    void removed(String domain, String alias);

    void removalFailed(String domain, String alias);
}
