package org.tether.compute.nvme;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.connection.Portal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * What the kernel says about NVMe-oF controllers and namespaces in sysfs. A controller is matched by its
 * subsystem NQN, transport and address, the address read key by key ({@code traddr=...,trsvcid=...}: its
 * order and extra keys changed across kernels). A namespace is found by its UUID (then its NGUID in
 * {@code wwid}, then its id) under a controller of the subsystem, and named by its head {@code nvmeXnY}
 * (with native multipath the per-path {@code nvmeXcYnZ} nodes have no device), never by a before/after diff.
 */
@ApplicationScoped
public class NvmeSysfs {
    private final Path sys;

    @Inject
    public NvmeSysfs(TetherConfig config) {
        this(config.iscsi().sysfsRoot());
    }

    public NvmeSysfs(Path sys) {
        this.sys = sys;
    }

    /** One fabrics controller as sysfs shows it. */
    public record Controller(String name, String subsysNqn, String transport, Map<String, String> address,
                             String state) {
        public boolean serves(String nqn, Portal portal) {
            return nqn.equals(subsysNqn) && "tcp".equals(transport)
                    && portal.host().equalsIgnoreCase(address.getOrDefault("traddr", ""))
                    && Integer.toString(portal.port()).equals(address.get("trsvcid"));
        }

        public boolean live() {
            return "live".equals(state);
        }
    }

    public List<Controller> controllers() {
        List<Controller> out = new ArrayList<>();
        Path ctl = sys.resolve("class/nvme-fabrics/ctl");
        for (Path c : list(ctl)) {
            String name = c.getFileName().toString();
            if (!name.matches("nvme\\d+")) {
                continue;
            }
            out.add(new Controller(name, read(c.resolve("subsysnqn")), read(c.resolve("transport")),
                    address(read(c.resolve("address"))), read(c.resolve("state"))));
        }
        return out;
    }

    /** {@code traddr=127.0.0.1,trsvcid=4420,src_addr=127.0.0.1} and older or newer spellings, by key. */
    static Map<String, String> address(String text) {
        Map<String, String> out = new HashMap<>();
        for (String part : text.split("[,\\s]+")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                out.put(part.substring(0, eq).strip().toLowerCase(Locale.ROOT), part.substring(eq + 1).strip());
            }
        }
        return out;
    }

    public Optional<Controller> controller(String nqn, Portal portal) {
        return controllers().stream().filter(c -> c.serves(nqn, portal)).findFirst();
    }

    /**
     * The namespace head of the subsystem: by UUID, else NGUID, else id. Heads are {@code /sys/block/nvmeXnY}
     * whose {@code device} is the subsystem (native multipath) or the controller; per-path nodes are skipped.
     */
    public Optional<String> namespace(String nqn, UUID nsUuid, Long nsId) {
        List<Path> heads = list(sys.resolve("block")).stream()
                .filter(p -> p.getFileName().toString().matches("nvme\\d+n\\d+"))
                .filter(p -> nqn.equals(read(p.resolve("device/subsysnqn")))).toList();
        if (nsUuid != null) {
            String want = nsUuid.toString();
            String nguid = want.replace("-", "");
            for (Path h : heads) {
                if (want.equalsIgnoreCase(read(h.resolve("uuid")))) {
                    return Optional.of(h.getFileName().toString());
                }
            }
            for (Path h : heads) {
                String wwid = read(h.resolve("wwid")).toLowerCase(Locale.ROOT);
                if (wwid.startsWith("eui.") && wwid.substring(4).equals(nguid.toLowerCase(Locale.ROOT))) {
                    return Optional.of(h.getFileName().toString());
                }
            }
        }
        if (nsId != null) {
            for (Path h : heads) {
                if (Long.toString(nsId).equals(read(h.resolve("nsid")))) {
                    return Optional.of(h.getFileName().toString());
                }
            }
        }
        return Optional.empty();
    }

    /** Asks a controller to read its namespace list again (new namespaces, new sizes). */
    public void rescan(String controller) {
        write(sys.resolve("class/nvme").resolve(controller).resolve("rescan_controller"), "1");
    }

    /** Removes a controller the way nvme-cli does, for one nvme-cli could not take away. */
    public void deleteController(String controller) {
        write(sys.resolve("class/nvme").resolve(controller).resolve("delete_controller"), "1");
    }

    /**
     * The kernel's world-wide id of a namespace head ({@code uuid.<uuid>}, {@code eui.<nguid>} or the
     * serial-based {@code nvme.<...>}); udev names the head's {@code /dev/disk/by-id/nvme-<wwid>} link after it.
     */
    public String wwid(String head) {
        return read(sys.resolve("block").resolve(head).resolve("wwid"));
    }

    public long sizeBytes(String blockDevice) {
        String sectors = read(sys.resolve("block").resolve(blockDevice).resolve("size"));
        return sectors.isEmpty() ? -1 : Long.parseLong(sectors) * 512;
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void write(Path p, String value) {
        try {
            Files.writeString(p, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new org.tether.error.TetherException(org.tether.error.ErrorCode.NVME_CONNECT_FAILED,
                    "cannot write " + p + ": " + e.getMessage());
        }
    }
}
