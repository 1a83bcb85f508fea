package org.tether.storage.rbd;

import com.fasterxml.jackson.databind.JsonNode;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.target.ExportDriver;
import org.tether.storage.target.ExportSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * RBD needs no target: an export is the answer Cinder's RBD driver gives from {@code initialize_connection}
 * (the image, the monitors from the cluster's monitor map, the cephx user and the secret UUID compute hosts
 * hold its key under), and the record of who was given it, which the export service keeps as for iSCSI.
 */
public class RbdExportDriver implements ExportDriver {
    private static final Duration MONMAP_TTL = Duration.ofSeconds(60);

    private final RbdCli cli;
    private volatile List<String[]> monitors;
    private volatile Instant monitorsRead = Instant.EPOCH;

    public RbdExportDriver(RbdCli cli) {
        this.cli = cli;
    }

    @Override
    public String name() {
        return "rbd";
    }

    @Override
    public int lun() {
        return 0;
    }

    @Override
    public void followResize(String iqn, String devicePath) {
        // QEMU reads the image's size from Ceph; the compute host's block resize tells the guest
    }

    @Override
    public void export(ExportSpec spec) {
        // nothing to make: access is the cephx user's, which Ceph itself enforces
    }

    @Override
    public void unexport(String iqn, String volumeName, String initiator, String chapUser, boolean last) {
        // nothing was made
    }

    @Override
    public void probe() {
        monitors(true);
    }

    @Override
    public Set<String> liveTargets() {
        return Set.of();
    }

    @Override
    public Set<String> initiators(String iqn) {
        return Set.of();
    }

    @Override
    public List<String> gaps(ExportSpec spec) {
        return List.of();
    }

    @Override
    public String exportName(UUID volumeId, String target) {
        return cli.spec(RbdBackend.image(volumeId));
    }

    @Override
    public Optional<Map<String, Object>> connectionInfo(UUID volumeId, String target, Map<String, String> qosSpecs) {
        List<String[]> mons = monitors(false);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", cli.spec(RbdBackend.image(volumeId)));
        data.put("hosts", mons.stream().map(m -> m[0]).toList());
        data.put("ports", mons.stream().map(m -> m[1]).toList());
        data.put("cluster_name", cli.config().clusterName());
        data.put("auth_enabled", true);
        data.put("auth_username", cli.config().user());
        data.put("secret_type", "ceph");
        data.put("secret_uuid", cli.config().secretUuid().map(UUID::toString).orElse(null));
        data.put("volume_id", volumeId.toString());
        data.put("discard", true);
        data.put("keyring", cli.config().sendKeyring() ? keyring() : null);
        data.put("qos_specs", qosSpecs.isEmpty() ? null : qosSpecs);
        data.put("access_mode", "rw");
        data.put("encrypted", false); // the caller says it from the volume's record
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("driver_volume_type", "rbd");
        info.put("data", data);
        return Optional.of(info);
    }

    private String keyring() {
        try {
            return Files.readString(cli.config().keyring());
        } catch (IOException e) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "cannot read the keyring "
                    + cli.config().keyring() + " to send: " + e.getClass().getSimpleName());
        }
    }

    /** (host, port) of every monitor's v1 address, as Cinder's driver reads them from the monitor map. */
    private List<String[]> monitors(boolean fresh) {
        List<String[]> cached = monitors;
        if (!fresh && cached != null && Instant.now().isBefore(monitorsRead.plus(MONMAP_TTL))) {
            return cached;
        }
        JsonNode map = cli.json(cli.ceph("mon", "dump", "--format", "json"), "read the monitor map");
        List<String[]> out = new ArrayList<>();
        for (JsonNode mon : map.path("mons")) {
            String addr = null;
            for (JsonNode a : mon.path("public_addrs").path("addrvec")) {
                if (a.path("type").asText().equals("v1")) {
                    addr = a.path("addr").asText();
                }
            }
            if (addr == null) {
                addr = mon.path("addr").asText(mon.path("public_addr").asText()).replaceAll("/\\d+$", "");
            }
            int colon = addr.lastIndexOf(':');
            if (colon > 0) {
                String host = addr.substring(0, colon);
                out.add(new String[] {host.startsWith("[") ? host.substring(1, host.length() - 1) : host,
                        addr.substring(colon + 1)});
            }
        }
        if (out.isEmpty()) {
            throw new TetherException(ErrorCode.STORAGE_BACKEND_FAILED, "the monitor map lists no monitor");
        }
        monitors = out;
        monitorsRead = Instant.now();
        return out;
    }
}
