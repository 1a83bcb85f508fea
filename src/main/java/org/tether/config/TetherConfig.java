package org.tether.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Everything an operator can set, under {@code tether.*}. */
@ConfigMapping(prefix = "tether")
public interface TetherConfig {

    /** Which halves of the agent run on this host. */
    @WithDefault("compute")
    Mode mode();

    /** Directory holding the attachment journal; must survive reboots. */
    @WithDefault("/var/lib/tether")
    Path stateDir();

    Libvirt libvirt();

    Attach attach();

    Iscsi iscsi();

    Connector connector();

    enum Mode { COMPUTE, STORAGE, BOTH }

    interface Libvirt {
        @WithDefault("qemu:///system")
        String uri();
    }

    interface Attach {
        /** Path used when a request does not name one. */
        @WithDefault("kernel")
        org.tether.compute.attach.AttachPath defaultPath();

        /** How long a detach waits for the guest to release the disk. */
        @WithDefault("30s")
        Duration detachTimeout();

        /** How often a pending live detach is asked again while waiting. */
        @WithDefault("5s")
        Duration detachRetryInterval();
    }

    interface Iscsi {
        /** Root of sysfs; tests point it at a recorded tree. */
        @WithDefault("/sys")
        Path sysfsRoot();

        @WithDefault("/dev")
        Path devRoot();

        @WithDefault("iscsiadm")
        String iscsiadm();

        /** Time one iscsiadm call may take before it is killed. */
        @WithDefault("30s")
        Duration commandTimeout();

        /** Deadline for the SCSI disk of a freshly scanned LUN to appear. */
        @WithDefault("20s")
        Duration deviceTimeout();

        @WithDefault("false")
        boolean multipath();

        @WithDefault("true")
        boolean enforceMultipath();

        @WithDefault("/etc/iscsi/initiatorname.iscsi")
        Path initiatorNameFile();
    }

    interface Connector {
        /** Address the storage side should reach this host on; first non-loopback address when unset. */
        Optional<String> ip();

        /** Host name reported to the controller; the OS host name when unset. */
        Optional<String> host();
    }
}
