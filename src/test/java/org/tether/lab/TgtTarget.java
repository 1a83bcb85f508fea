package org.tether.lab;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real iSCSI target in tgtd on 127.0.0.1:3260, backed by a sparse file, with CHAP. tgt puts data on
 * LUN 1 (LUN 0 is its controller), as Cinder's tgt helper reports.
 */
public final class TgtTarget implements AutoCloseable {
    private static final AtomicInteger NEXT_TID = new AtomicInteger(ThreadLocalRandom.current().nextInt(2000, 60000));

    public final UUID volumeId;
    public final String iqn;
    public final int tid;
    public final Path file;
    public final String user;
    public final String password;

    private TgtTarget(UUID volumeId, Path dir, long sizeBytes, boolean chap) throws IOException {
        this.volumeId = volumeId;
        this.iqn = "iqn.2010-10.org.openstack:volume-" + volumeId;
        this.tid = NEXT_TID.getAndIncrement();
        this.file = dir.resolve("volume-" + volumeId + ".img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(sizeBytes);
        }
        this.user = chap ? "u" + Integer.toHexString(tid) + volumeId.toString().substring(0, 8) : null;
        this.password = chap ? "p" + UUID.randomUUID().toString().replace("-", "").substring(0, 15) : null;
        define();
    }

    /** Makes the target in tgtd (again, after a tgtd restart lost it). */
    public void define() {
        tgt("--op", "new", "--mode", "target", "--tid", "" + tid, "-T", iqn);
        tgt("--op", "new", "--mode", "logicalunit", "--tid", "" + tid, "--lun", "1", "-b", file.toString());
        // admit this host's initiator name only, as a Cinder export for this host's connector does
        tgt("--op", "bind", "--mode", "target", "--tid", "" + tid, "--initiator-name", hostInitiator());
        if (user != null) {
            tgt("--op", "new", "--mode", "account", "--user", user, "--password", password);
            tgt("--op", "bind", "--mode", "account", "--tid", "" + tid, "--user", user);
        }
    }

    public static String hostInitiator() {
        try {
            return Files.readAllLines(Path.of("/etc/iscsi/initiatorname.iscsi")).stream()
                    .filter(l -> l.startsWith("InitiatorName=")).findFirst().orElseThrow()
                    .substring("InitiatorName=".length()).strip();
        } catch (IOException e) {
            throw new IllegalStateException("open-iscsi's initiator name is needed", e);
        }
    }

    public static TgtTarget create(Path dir, boolean chap) throws IOException {
        return create(dir, chap, 64L << 20);
    }

    public static TgtTarget create(Path dir, boolean chap, long sizeBytes) throws IOException {
        return new TgtTarget(UUID.randomUUID(), dir, sizeBytes, chap);
    }

    private static void tgt(String... args) {
        Host.run(java.util.List.of("tgtadm", "--lld", "iscsi"), args);
    }

    /** Cinder's nested connection_info for this target, optionally with another password. */
    public String connectionInfo(String passwordToSend, String qosJson) {
        String chap = user == null ? "" : """
                , "auth_method": "CHAP", "auth_username": "%s", "auth_password": "%s\"""".formatted(user, passwordToSend);
        return """
                {"driver_volume_type": "iscsi", "data": {"target_discovered": false,
                 "target_portal": "127.0.0.1:3260", "target_iqn": "%s", "target_lun": 1,
                 "volume_id": "%s", "encrypted": false, "access_mode": "rw", "qos_specs": %s%s}}"""
                .formatted(iqn, volumeId, qosJson == null ? "null" : qosJson, chap);
    }

    public String connectionInfo() {
        return connectionInfo(password, null);
    }

    /**
     * For a floor that plugs this target into a domain by hand (libvirt, not the agent): a libvirt secret of
     * iSCSI usage {@code usage} holding the CHAP password, defined outside the floor's time; returns its UUID.
     */
    public String defineSecret(Path dir, String usage) throws IOException {
        return defineSecret(dir, usage, password);
    }

    /** A libvirt secret of iSCSI usage {@code usage} holding a CHAP password; returns its UUID. */
    public static String defineSecret(Path dir, String usage, String password) throws IOException {
        String uuid = UUID.randomUUID().toString();
        Path xml = dir.resolve(usage + "-secret.xml");
        Files.writeString(xml, "<secret ephemeral='no' private='yes'><uuid>" + uuid + "</uuid><usage type='iscsi'>"
                + "<target>" + usage + "</target></usage></secret>");
        Host.run("virsh", "-c", "qemu:///system", "secret-define", xml.toString());
        Host.run("virsh", "-c", "qemu:///system", "secret-set-value", uuid, "--base64",
                java.util.Base64.getEncoder().encodeToString(password.getBytes()));
        return uuid;
    }

    /** The disk element by which libvirt reaches this target on QEMU's client with the secret of that usage. */
    public String diskXml(String usage) {
        return diskXml(iqn, 1, user, usage);
    }

    /** The disk element of a CHAP target on this host's tgtd (127.0.0.1:3260), reached on QEMU's client. */
    public static String diskXml(String iqn, int lun, String user, String usage) {
        return "<disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='iscsi' name='"
                + iqn + "/" + lun + "'><host name='127.0.0.1' port='3260'/><initiator><iqn name='" + hostInitiator()
                + "'/></initiator></source><auth username='" + user + "'><secret type='iscsi' usage='" + usage
                + "'/></auth></disk>";
    }

    public byte[] read(long offset, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }

    @Override
    public void close() throws IOException {
        Host.exec("tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", "" + tid, "--force");
        if (user != null) {
            Host.exec("tgtadm", "--lld", "iscsi", "--op", "delete", "--mode", "account", "--user", user);
        }
        Files.deleteIfExists(file);
    }
}
