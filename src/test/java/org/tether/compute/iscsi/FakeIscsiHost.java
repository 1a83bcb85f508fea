package org.tether.compute.iscsi;

import org.tether.exec.Command;
import org.tether.exec.CommandResult;
import org.tether.exec.CommandRunner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A stand-in for open-iscsi and the kernel behind a recorded sysfs tree, for unit tests of the kernel
 * path's decisions only. It answers iscsiadm argv the way open-iscsi does (exit codes 15, 21, 24),
 * creates session and SCSI device directories as the kernel would, and records every command.
 * The real proof of these commands is the test-host VM suite.
 */
final class FakeIscsiHost implements CommandRunner {
    final Path sys;
    final List<Command> commands = Collections.synchronizedList(new ArrayList<>());
    /** node records: "portal,iqn" → settings */
    final Map<String, Map<String, String>> nodes = new HashMap<>();
    /** live sessions: "portal,iqn" → session id */
    final Map<String, Integer> sessions = new HashMap<>();
    /** LUNs each target exports */
    final Map<String, Set<Integer>> targetLuns = new HashMap<>();
    /** CHAP password each target demands; absent means no CHAP */
    final Map<String, String> targetPasswords = new HashMap<>();
    /** portals that do not answer: login exits 8 */
    final Set<String> deadPortals = new HashSet<>();
    /** portals sendtargets discovery reports for every target */
    final List<String> advertisedPortals = new ArrayList<>();
    /** when false, a scan never produces a disk (a LUN the kernel will not see) */
    boolean kernelCreatesDisks = true;
    /** dm holder to create over every new disk, or null */
    String multipathMap;
    private int nextSession = 1;
    private char nextDisk = 'b';

    final Path dev;

    FakeIscsiHost(Path root) {
        this.sys = root.resolve("sys");
        this.dev = root.resolve("dev");
        mkdirs(sys);
        mkdirs(dev);
    }

    ScsiSysfs sysfs() {
        return new ScsiSysfs(sys) {
            @Override
            public void scan(int host, int sessionId, int lun) {
                super.scan(host, sessionId, lun);
                onScan(host, sessionId, lun);
            }

            @Override
            public void delete(String disk) {
                super.delete(disk);
                onDelete(disk);
            }
        };
    }

    List<String> argvs() {
        synchronized (commands) {
            return commands.stream().map(c -> String.join(" ", c.argv())).toList();
        }
    }

    List<String> displays() {
        synchronized (commands) {
            return commands.stream().map(Command::display).toList();
        }
    }

    @Override
    public synchronized CommandResult run(Command c) {
        commands.add(c);
        List<String> a = c.argv();
        if (a.get(0).equals("multipathd") && a.subList(1, a.size()).equals(List.of("resize", "map", String.valueOf(
                multipathMap)))) {
            write(sys.resolve("block/dm-0/size"), lunSectors + "\n");
            return result(c, 0, "ok\n");
        }
        if (a.get(0).equals("blockdev") || a.get(0).equals("multipath")) {
            return result(c, 0, "");
        }
        if (a.equals(List.of("iscsiadm", "-m", "session"))) {
            if (sessions.isEmpty()) {
                return result(c, 21, "");
            }
            StringBuilder out = new StringBuilder();
            sessions.forEach((k, id) -> out.append("tcp: [").append(id).append("] ")
                    .append(k.substring(0, k.indexOf(','))).append(",1 ")
                    .append(k.substring(k.indexOf(',') + 1)).append(" (non-flash)\n"));
            return result(c, 0, out.toString());
        }
        if (a.contains("discoverydb")) {
            if (!a.contains("--discover")) {
                return result(c, 0, "");
            }
            StringBuilder out = new StringBuilder();
            targetLuns.keySet().forEach(iqn -> advertisedPortals.forEach(p -> out.append(p).append(",1 ")
                    .append(iqn).append('\n')));
            return result(c, 0, out.toString());
        }
        String iqn = a.get(a.indexOf("-T") + 1);
        String portal = a.get(a.indexOf("-p") + 1);
        String key = portal + "," + iqn;
        if (a.contains("new")) {
            nodes.computeIfAbsent(key, k -> new HashMap<>());
            return result(c, 0, "");
        }
        if (a.contains("update")) {
            if (!nodes.containsKey(key)) {
                return result(c, 21, "");
            }
            for (int i = 0; i + 3 < a.size(); i++) { // every "-n name -v value" pair
                if (!a.get(i).equals("-n")) {
                    continue;
                }
                String name = a.get(i + 1);
                if (name.equals(loseNextWriteOf)) {
                    loseNextWriteOf = null; // acknowledged, never written: what a lost node-record write looks like
                    continue;
                }
                nodes.get(key).put(name, a.get(i + 3));
            }
            return result(c, 0, "");
        }
        if (a.contains("delete")) {
            return result(c, nodes.remove(key) == null ? 21 : 0, "");
        }
        if (a.contains("--login")) {
            return login(c, key, iqn, portal);
        }
        if (a.size() == 7 && nodes.containsKey(key)) { // iscsiadm -m node -T iqn -p portal: the record
            StringBuilder out = new StringBuilder();
            nodes.get(key).forEach((k, v) -> out.append(k).append(" = ")
                    .append(k.contains("password") ? "********" : v).append('\n'));
            return result(c, 0, out.toString());
        }
        if (a.contains("--logout")) {
            Integer id = sessions.remove(key);
            if (id == null) {
                return result(c, 21, "");
            }
            delete(sys.resolve("class/iscsi_session/session" + id));
            delete(sys.resolve("class/iscsi_connection/connection" + id + ":0"));
            return result(c, 0, "");
        }
        return result(c, 7, "unexpected " + a);
    }

    /** The next update of this node-record key is acknowledged but not written. */
    String loseNextWriteOf;

    private CommandResult login(Command c, String key, String iqn, String portal) {
        if (!nodes.containsKey(key)) {
            return result(c, 21, "");
        }
        if (sessions.containsKey(key)) {
            return result(c, 15, "");
        }
        if (deadPortals.contains(portal)) {
            return result(c, 8, "");
        }
        String want = targetPasswords.get(iqn);
        Map<String, String> node = nodes.get(key);
        if (want != null && !("CHAP".equals(node.get("node.session.auth.authmethod"))
                && node.get("node.session.auth.username") != null
                && want.equals(node.get("node.session.auth.password")))) {
            return result(c, 24, "");
        }
        int id = nextSession++;
        int host = id + 1;
        sessions.put(key, id);
        // as with node.session.scan=manual: the session and its host exist, no SCSI target until a scan
        Path device = sys.resolve("class/iscsi_session/session" + id + "/device");
        mkdirs(device);
        write(sys.resolve("class/iscsi_session/session" + id + "/targetname"), iqn + "\n");
        Path conn = sys.resolve("class/iscsi_connection/connection" + id + ":0");
        mkdirs(conn);
        write(conn.resolve("persistent_address"), portal.substring(0, portal.lastIndexOf(':')) + "\n");
        write(conn.resolve("persistent_port"), portal.substring(portal.lastIndexOf(':') + 1) + "\n");
        mkdirs(sys.resolve("class/iscsi_host/host" + host + "/device"));
        try {
            Files.createSymbolicLink(sys.resolve("class/iscsi_host/host" + host + "/device/session" + id), device);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        mkdirs(sys.resolve("class/scsi_host/host" + host));
        write(sys.resolve("class/scsi_host/host" + host + "/scan"), "");
        return result(c, 0, "");
    }

    final List<String> scans = new ArrayList<>();
    /** The LUN's size in 512-byte sectors as a new disk (and a resized map) reports it. */
    long lunSectors = 2048;

    /** A leg lost under the agent's feet: the disk leaves the kernel as when its session dies. */
    void loseDisk(String disk) {
        onDelete(disk);
    }

    private void onScan(int host, int sessionId, int lun) {
        try {
            scans.add("host" + host + ":" + Files.readString(sys.resolve("class/scsi_host/host" + host + "/scan")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Hctl target = new Hctl(host, 0, 0, 0);
        String iqn = sessions.entrySet().stream()
                .filter(e -> e.getValue() == sessionId).map(e -> e.getKey().substring(e.getKey().indexOf(',') + 1))
                .findFirst().orElseThrow();
        if (!kernelCreatesDisks || !targetLuns.getOrDefault(iqn, Set.of()).contains(lun)) {
            return;
        }
        String disk = "sd" + nextDisk++;
        Path lunDir = sys.resolve("class/iscsi_session/session" + sessionId + "/device/target"
                + target.host() + ":0:0/" + target.host() + ":0:0:" + lun);
        mkdirs(lunDir.resolve("block/" + disk));
        write(dev.resolve(disk), "");
        mkdirs(sys.resolve("block/" + disk + "/device"));
        write(sys.resolve("block/" + disk + "/device/delete"), "");
        write(sys.resolve("block/" + disk + "/lun-dir"), lunDir.toString());
        write(sys.resolve("block/" + disk + "/device/rescan"), "");
        write(sys.resolve("block/" + disk + "/size"), lunSectors + "\n");
        mkdirs(sys.resolve("block/" + disk + "/holders"));
        if (multipathMap != null) {
            mkdirs(sys.resolve("block/" + disk + "/holders/dm-0"));
            mkdirs(sys.resolve("block/dm-0/dm"));
            mkdirs(sys.resolve("block/dm-0/slaves/" + disk));
            write(sys.resolve("block/dm-0/dm/name"), multipathMap + "\n");
            write(sys.resolve("block/dm-0/size"), lunSectors + "\n");
        }
    }

    private void onDelete(String disk) {
        if (!Files.exists(sys.resolve("block/" + disk + "/lun-dir"))) {
            return;
        }
        try {
            Path lunDir = Path.of(Files.readString(sys.resolve("block/" + disk + "/lun-dir")));
            delete(lunDir);
            delete(sys.resolve("block/" + disk));
            delete(sys.resolve("block/dm-0/slaves/" + disk));
            delete(dev.resolve(disk));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CommandResult result(Command c, int code, String out) {
        return new CommandResult(c, code, out, "", Duration.ZERO);
    }

    private static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path p) {
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // already gone
        }
    }
}
