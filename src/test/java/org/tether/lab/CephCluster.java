package org.tether.lab;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A real single-node Ceph (one monitor, one memstore OSD, cephx, pool {@code volumes}, user
 * {@code client.cinder}) on loopback, made by {@code lab/ceph-cluster.sh}; one per test class.
 */
public final class CephCluster implements AutoCloseable {
    public static final String POOL = "volumes";
    public static final String USER = "cinder";

    public final Path dir;
    public final int port;
    public final Path conf;
    public final Path keyring;
    public final Path keyFile;

    private CephCluster(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        this.conf = dir.resolve("ceph.conf");
        this.keyring = dir.resolve("client.cinder.keyring");
        this.keyFile = dir.resolve("client.cinder.key");
    }

    /** Starts a cluster whose monitor listens on 127.0.0.1:{@code port} (a port per test class). */
    public static CephCluster start(int port) throws IOException {
        return start(port, 1L << 30);
    }

    /** The same with an OSD that holds {@code memstoreBytes} in RAM (1 GiB by default). */
    public static CephCluster start(int port, long memstoreBytes) throws IOException {
        List<String> leftovers = Host.undefineLeftoverHostCephSecrets("cinder");
        if (!leftovers.isEmpty()) {
            System.err.println("undefined the cephx host secret(s) an interrupted run left in libvirt: " + leftovers);
        }
        Path dir = Files.createTempDirectory("tether-ceph");
        CephCluster c = new CephCluster(dir, port);
        Map<String, String> out = script("start", dir.toString(), Integer.toString(port),
                "CEPH_MEMSTORE_BYTES=" + memstoreBytes).lines()
                .filter(l -> l.startsWith("CEPH_")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')),
                        l -> l.substring(l.indexOf('=') + 1)));
        if (!out.containsKey("CEPH_CONF")) {
            throw new IllegalStateException("ceph-cluster.sh did not report its settings");
        }
        return c;
    }

    /** The script with these arguments; a trailing NAME=value goes to its environment. */
    private static String script(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("env"));
        List<String> rest = new java.util.ArrayList<>(List.of(args));
        while (!rest.isEmpty() && rest.get(rest.size() - 1).matches("[A-Z_]+=.*")) {
            argv.add(rest.remove(rest.size() - 1));
        }
        argv.addAll(List.of("bash", scriptPath().toString()));
        argv.addAll(rest);
        return Host.run(argv.toArray(String[]::new));
    }

    private static Path scriptPath() {
        Path p = Path.of("lab/ceph-cluster.sh").toAbsolutePath();
        if (!Files.exists(p)) {
            throw new IllegalStateException("run from the project directory: " + p + " is missing");
        }
        return p;
    }

    public String key() throws IOException {
        return Files.readString(keyFile).strip();
    }

    public String keyringText() throws IOException {
        return Files.readString(keyring);
    }

    /** {@code rbd} as client.cinder against this cluster. */
    public String rbd(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("rbd", "-c", conf.toString(), "--id", USER,
                "-k", keyring.toString()));
        argv.addAll(List.of(args));
        return Host.run(argv.toArray(String[]::new));
    }

    public Host.Result rbdExec(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("timeout", "50", "rbd", "-c", conf.toString(),
                "--id", USER, "-k", keyring.toString()));
        argv.addAll(List.of(args));
        return Host.exec(argv.toArray(String[]::new));
    }

    /** A fresh image {@code volumes/volume-<id>} of {@code megabytes}. */
    public UUID createVolume(int megabytes) {
        UUID id = UUID.randomUUID();
        rbd("create", "--size", Integer.toString(megabytes), "--image-feature", "layering", POOL + "/volume-" + id);
        return id;
    }

    /** Bytes of an image at an offset, read with {@code rbd export} (through Ceph, not QEMU). */
    public byte[] read(String image, long offset, int length) throws IOException {
        Path file = Files.createTempFile(dir, "export", ".img");
        try {
            Files.delete(file);
            rbd("export", POOL + "/" + image, file.toString());
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                byte[] b = new byte[length];
                f.seek(offset);
                f.readFully(b);
                return b;
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Cinder's RBD connection_info (nested) for an image, with the given auth fields appended. */
    public String connectionInfo(UUID volumeId, String authJson, String qosJson) {
        return """
                {"driver_volume_type": "rbd", "data": {"name": "%s/volume-%s", "hosts": ["127.0.0.1"],
                 "ports": ["%d"], "cluster_name": "ceph", "auth_enabled": true, "auth_username": "%s",
                 "secret_type": "ceph", "volume_id": "%s", "discard": true, "qos_specs": %s,
                 "access_mode": "rw", "encrypted": false%s}}"""
                .formatted(POOL, volumeId, port, USER, volumeId, qosJson == null ? "null" : qosJson,
                        authJson == null || authJson.isEmpty() ? "" : ", " + authJson);
    }

    /** An S3 endpoint (RADOS Gateway) on this cluster and a user's keys. */
    public record S3(String endpoint, String accessKey, String secretKey) {
    }

    /** Starts a RADOS Gateway on 127.0.0.1:{@code port} (again after {@link #stopRgw}: the same user). */
    public S3 startRgw(int port) {
        Map<String, String> out = script("start-rgw", dir.toString(), Integer.toString(port)).lines()
                .filter(l -> l.startsWith("S3_")).collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')),
                        l -> l.substring(l.indexOf('=') + 1)));
        return new S3(out.get("S3_ENDPOINT"), out.get("S3_ACCESS_KEY"), out.get("S3_SECRET_KEY"));
    }

    /**
     * A pool {@code backups} and a user {@code client.cinder-backup} that reaches it alone (made once); its
     * keyring.
     */
    public Path backupPool() {
        String out = script("backup-pool", dir.toString());
        return Path.of(out.lines().filter(l -> l.startsWith("BACKUP_KEYRING=")).findFirst()
                .orElseThrow(() -> new IllegalStateException("ceph-cluster.sh did not make the backup pool"))
                .substring("BACKUP_KEYRING=".length()));
    }

    /** {@code rados} as client.cinder-backup in the backup pool's namespace {@code nspace}. */
    public String radosBackups(String nspace, String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("timeout", "60", "rados", "-c", conf.toString(),
                "--id", "cinder-backup", "-k", dir.resolve("client.cinder-backup.keyring").toString(), "-p",
                "backups", "-N", nspace));
        argv.addAll(List.of(args));
        return Host.run(argv.toArray(String[]::new));
    }

    public void stopRgw() {
        script("stop-rgw", dir.toString());
    }

    public void stopMonitor() {
        script("stop-mon", dir.toString());
    }

    public void startMonitor() {
        script("start-mon", dir.toString());
    }

    @Override
    public void close() throws IOException {
        script("stop", dir.toString());
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
