package org.tether.disk;

import java.util.Locale;

/** How the host reaches the volume: its kernel initiator, or QEMU's own client. */
public enum AttachPath {
    KERNEL, QEMU;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
