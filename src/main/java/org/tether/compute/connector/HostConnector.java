package org.tether.compute.connector;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.config.ConnectorConfig;
import org.tether.config.IscsiConfig;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Optional;

/** Reads this host's connector properties the way os-brick does on Linux. */
@ApplicationScoped
public class HostConnector {
    private final IscsiConfig iscsi;
    private final ConnectorConfig connector;
    private final Path productUuid;
    private final org.tether.compute.nvme.NvmeHostIdentity nvme;

    @Inject
    public HostConnector(TetherConfig config, org.tether.compute.nvme.NvmeHostIdentity nvme) {
        this(config, Path.of("/sys/class/dmi/id/product_uuid"), nvme);
    }

    HostConnector(TetherConfig config, Path productUuid, org.tether.compute.nvme.NvmeHostIdentity nvme) {
        this.nvme = nvme;
        this.iscsi = config.iscsi();
        this.connector = config.connector();
        this.productUuid = productUuid;
    }

    /**
     * With the NVMe keys os-brick's NVMe-oF connector adds ({@code nqn}, {@code nvme_hostid}, {@code uuid},
     * {@code nvme_native_multipath}): Cinder exports an nvmeof volume only to a connector with {@code nqn}. The
     * host NQN is made once when the host has none (and cannot be: then the keys are left out).
     */
    public ConnectorProperties properties() {
        var id = nvmeIdentity();
        return new ConnectorProperties(platform(), "linux", ip(), host(), iscsi.multipath(),
                iscsi.enforceMultipath(), initiator().orElse(null), systemUuid(), false,
                id.map(org.tether.compute.nvme.NvmeHostIdentity.Identity::hostNqn).orElse(null),
                id.map(org.tether.compute.nvme.NvmeHostIdentity.Identity::hostId).orElse(null),
                id.isPresent() ? systemUuid().toLowerCase(Locale.ROOT) : null,
                id.isPresent() ? nativeMultipath() : null);
    }

    private Optional<org.tether.compute.nvme.NvmeHostIdentity.Identity> nvmeIdentity() {
        try {
            return Optional.of(nvme.ensure());
        } catch (org.tether.error.TetherException e) {
            org.jboss.logging.Logger.getLogger(HostConnector.class).warnf("no NVMe host identity: %s",
                    e.getMessage());
            return nvme.current();
        }
    }

    /** Whether the kernel joins NVMe paths itself ({@code nvme_core multipath=Y}). */
    private static boolean nativeMultipath() {
        try {
            return "Y".equals(Files.readString(Path.of("/sys/module/nvme_core/parameters/multipath")).strip());
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code InitiatorName=} from open-iscsi's file; absent when open-iscsi is not set up. */
    public Optional<String> initiator() {
        java.nio.file.Path file = iscsi.initiatorNameFile();
        try {
            var attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            InitiatorFile read = initiatorFile;
            if (read != null && read.matches(file, attrs)) {
                return read.name(); // every attach asks: a stat instead of a read while the file is unchanged
            }
            Optional<String> name = Files.readAllLines(file).stream()
                    .map(String::strip)
                    .filter(l -> l.startsWith("InitiatorName="))
                    .map(l -> l.substring("InitiatorName=".length()).strip())
                    .filter(s -> !s.isEmpty())
                    .findFirst();
            initiatorFile = new InitiatorFile(file, attrs.lastModifiedTime(), attrs.size(), name);
            return name;
        } catch (IOException e) {
            initiatorFile = null;
            return Optional.empty();
        }
    }

    private volatile InitiatorFile initiatorFile;

    /** The initiator name file as last read: changed (an operator's edit) when its time or size is not these. */
    private record InitiatorFile(java.nio.file.Path path, java.nio.file.attribute.FileTime modified, long size,
                                 Optional<String> name) {
        boolean matches(java.nio.file.Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
            return path.equals(file) && modified.equals(attrs.lastModifiedTime()) && size == attrs.size();
        }
    }

    static String platform() {
        String arch = System.getProperty("os.arch");
        return "amd64".equals(arch) ? "x86_64" : arch;
    }

    private String host() {
        return connector.host().orElseGet(() -> {
            try {
                return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            } catch (IOException e) {
                return "localhost";
            }
        });
    }

    private String ip() {
        return connector.ip().orElseGet(HostConnector::firstAddress);
    }

    private static String firstAddress() {
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
                        return a.getHostAddress();
                    }
                }
            }
        } catch (SocketException e) {
            // fall through to loopback
        }
        return "127.0.0.1";
    }

    /** DMI product UUID as os-brick reports it (upper case); empty when the platform has none. */
    private String systemUuid() {
        try {
            return Files.readString(productUuid).strip().toUpperCase(Locale.ROOT);
        } catch (IOException e) {
            return "";
        }
    }
}
