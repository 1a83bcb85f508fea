package org.tether.disk;

import java.util.Locale;

/** A guest-visible disk name and the bus it sits on. */
public record GuestDevice(String dev, Bus bus) {

    public enum Bus {
        VIRTIO("vd"), SCSI("sd");

        private final String prefix;

        Bus(String prefix) {
            this.prefix = prefix;
        }

        /** Device-name prefix libvirt uses for this bus. */
        public String prefix() {
            return prefix;
        }

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
