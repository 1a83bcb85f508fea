package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.crash.AgentProcess;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tetherctl as an operator runs it: the packaged launcher ({@code rpm/tetherctl}, the same file the RPM and the
 * .deb install as {@code /usr/bin/tetherctl}) over the packaged agent as its own process, in mode both (file
 * pool, tgt exports, a directory backup store, this host's libvirtd). One session of commands, from a volume
 * made to a disk attached, backed up and detached, is compared with {@code src/test/resources/tetherctl/session.txt}
 * (each command, its exit code, what it printed on stdout and on stderr), after what differs from run to run is
 * named (times, CHAP credentials, the domain, this host's initiator and NQN) and the spaces that align a table
 * are made one width; every table is checked to be aligned before that. Then progress: a plain line per change
 * on a pipe, a bar that updates in place on a pseudo-terminal. {@code -Dgolden.write=true} writes the session
 * file again after a change that is meant.
 */
class TetherctlAgentIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path GOLDEN = Path.of("src/test/resources/tetherctl/session.txt");
    private static final String VOLUME = "11111111-1111-4111-8111-111111111111";
    private static final String SNAPSHOT = "22222222-2222-4222-8222-222222222222";
    private static final String BACKUP = "33333333-3333-4333-8333-333333333333";
    private static final String RESTORED = "77777777-7777-4777-8777-777777777777";
    private static final String BIG = "44444444-4444-4444-8444-444444444444";
    /** pty.spawn gives the command a terminal on stdin, stdout and stderr; its exit code is passed on. */
    private static final String PTY = "import os, pty, sys\nsys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))";
    private static final Pattern TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");

    @TempDir
    Path dir;

    private AgentProcess agent;
    private final StringBuilder session = new StringBuilder();
    private final List<String[]> replacements = new ArrayList<>();
    private String host;

    @Test
    void anOperatorsSessionShowsTablesJsonProblemsExitCodesAndProgressAsTheGoldenFileSays() throws Exception {
        Path files = Files.createDirectories(dir.resolve("files"));
        agent = new AgentProcess(18111, dir.resolve("state"), dir.resolve("agent.log")).with("-Dtether.mode=both",
                "-Dtether.storage.backend=file", "-Dtether.storage.file.dir=" + files,
                "-Dtether.storage.target.driver=tgt", "-Dtether.storage.target.portals=127.0.0.1:3260",
                "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve("tgt"),
                "-Dtether.backup.stores.nfs.path=" + dir.resolve("store"));
        removeTargets();
        agent.start();
        try (TestDomain domain = TestDomain.create(TestDomain.Kind.RUNNING)) {
            JsonNode connector = JSON.readTree(agent.get("/v1/connector").body());
            replacements.add(new String[] {domain.name, "<domain>"});
            replacements.add(new String[] {connector.path("initiator").asText(), "<initiator>"});
            replacements.add(new String[] {connector.path("nqn").asText(), "<nqn>"});
            replacements.add(new String[] {connector.path("nvme_hostid").asText(), "<hostid>"});
            replacements.add(new String[] {dir.toString(), "<dir>"});
            replacements.add(new String[] {connector.path("host").asText() + "@", "<host>@"});
            host = connector.path("host").asText();
            session(domain.name, connector.path("initiator").asText());
            progress();
        } finally {
            agent.close();
            removeTargets();
            if (Boolean.getBoolean("golden.write")) {
                Files.createDirectories(GOLDEN.getParent());
                Files.writeString(GOLDEN, session.toString()); // also when a step failed: what it printed is there
            }
        }
        String made = session.toString();
        assertThat(made).as("the session, against " + GOLDEN + " (-Dgolden.write=true writes it again)")
                .isEqualTo(Files.readString(GOLDEN));
    }

    private void session(String domain, String initiator) throws Exception {
        // status reads this host's figures (free bytes, versions): checked here, not recorded
        Host.Result status = tetherctl(List.of(), "status");
        assertThat(status.exit()).as(status.out() + status.err()).isZero();
        assertThat(status.out()).startsWith("agent http://127.0.0.1:18111: UP\n").contains("last reconciliation ");
        for (String check : List.of("agent", "storage", "state-directory", "libvirt", "reconciliation")) {
            assertThat(status.out().lines().filter(l -> l.matches(Pattern.quote(check) + " {2,}\\S.*")).toList())
                    .as(check + ", once").singleElement().asString().contains(" UP ");
        }
        assertAligned("status", status.out().substring(status.out().indexOf('\n') + 1,
                status.out().indexOf("last reconciliation")));
        // the compute half's connector, as an operator hands it to the storage half (here the same agent)
        Path connector = dir.resolve("connector.json");
        Files.writeString(connector, run("-o", "json", "connector"));
        table("volumes", "create", "--size-gb", "1", "--id", VOLUME);
        table("volumes");
        run("-o", "json", "volumes", "show", VOLUME);
        run("-o", "value", "volumes");
        table("snapshots", "create", VOLUME, "--id", SNAPSHOT);
        run("-o", "yaml", "snapshots", VOLUME);
        String info = run("exports", "create", VOLUME, initiator, "--connector", connector.toString());
        table("exports", VOLUME);
        run("volumes", "delete", VOLUME);
        Files.writeString(dir.resolve("connection-info.json"), info);
        // a SCSI disk: a domain with no OS lets it go without a guest's help
        table("attach", domain, VOLUME, "--connection-info", dir.resolve("connection-info.json").toString(),
                "--bus", "scsi");
        table("attachments");
        run("-o", "json", "attachments");
        table("qos", domain, VOLUME, "total_iops_sec=500", "total_bytes_sec=10485760");
        // grown on the storage side (tgt shows the new size), then made visible to the guest
        table("volumes", "extend", VOLUME, "--size-gb", "2");
        table("extend", domain, VOLUME, "--size-gb", "2");
        run("backups", "create", VOLUME, "--id", BACKUP);
        table("backups", "create", VOLUME, "--id", BACKUP, "--force");
        table("backups", "--volume", VOLUME);
        run("backups", "delete", "55555555-5555-4555-8555-555555555555");
        table("backups", "verify", BACKUP);
        table("backups", "restore", BACKUP, "--volume", RESTORED);
        run("migrations", domain);
        run("moves", domain, VOLUME);
        table("instances");
        run("detach", domain, VOLUME);
        run("exports", "delete", VOLUME, initiator);
        run("snapshots", "delete", SNAPSHOT);
        run("backups", "delete", BACKUP);
        run("volumes", "delete", VOLUME);
        run("volumes", "delete", RESTORED);
        table("volumes");
        run("volumes", "create", "--size-gb");
        run("volumes", "frobnicate");
        run("--url", "http://127.0.0.1:1", "volumes");
    }

    /**
     * A backup that takes a few seconds (1 GiB that does not compress), waited for on a pipe and then on a
     * pseudo-terminal: plain lines on the first, a bar drawn again in place on the second.
     */
    private void progress() throws Exception {
        table("volumes", "create", "--size-gb", "2", "--id", BIG);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("files").resolve("volume-" + BIG).toFile(), "rw")) {
            byte[] mib = new byte[1 << 20];
            Random random = new Random(34);
            for (int i = 0; i < 1024; i++) {
                random.nextBytes(mib);
                f.write(mib);
            }
        }
        Host.Result piped = tetherctl(List.of(), "backups", "create", BIG, "--interval", "PT0.1S");
        assertThat(piped.exit()).as(piped.err()).isZero();
        assertThat(piped.err().lines().toList()).as("one line per change on a pipe: no bar, no carriage return")
                .containsExactly("running", "succeeded");

        Host.Result tty = tetherctl(List.of("python3", "-c", PTY), "backups", "create", BIG, "--interval", "PT0.1S",
                "--id", "66666666-6666-4666-8666-666666666666");
        assertThat(tty.exit()).as(tty.out()).isZero();
        String frames = tty.out();
        assertThat(frames).as("the line is drawn again in place (carriage returns), with a bar and a percentage")
                .contains("\r[").containsPattern("\\[#*\\.*\\] +\\d{1,3} % running \\(\\d+ s\\)")
                .containsPattern("\rsucceeded \\(\\d+ s\\) *\r?\n");
        assertThat(java.util.Arrays.stream(frames.split("\n")).filter(l -> l.contains("running")).count())
                .as("every frame on the same line of the terminal").isEqualTo(1);
        assertThat(frames).as("the answer's table after the progress").contains("66666666-6666-4666-8666-666666666666")
                .contains("available");
    }

    /** A command whose stdout is a table: its columns are checked to be aligned before the session records it. */
    private String table(String... args) throws Exception {
        String out = run(args);
        assertAligned(String.join(" ", args), out);
        return out;
    }

    /** Runs tetherctl, records the command, its exit code and output (named and unaligned), returns its stdout. */
    private String run(String... args) throws Exception {
        Host.Result r = tetherctl(List.of(), args);
        session.append(normal("$ tetherctl " + String.join(" ", args))).append('\n')
                .append("exit ").append(r.exit()).append('\n');
        appendStream("stdout", r.out());
        // whether an operation was still running at a look, and in which phase, depends on the machine: not recorded
        appendStream("stderr", r.err().lines().filter(l -> !l.startsWith("running")).map(l -> l + "\n")
                .reduce("", String::concat));
        return r.out();
    }

    private void appendStream(String name, String text) {
        if (text.isEmpty()) {
            return;
        }
        session.append("--- ").append(name).append('\n');
        for (String line : text.split("\n", -1)) {
            if (!line.isEmpty() || !text.endsWith("\n")) {
                session.append(normal(line)).append('\n');
            }
        }
    }

    /** What differs between runs named, and runs of spaces after a cell made two wide. */
    private String normal(String line) {
        String s = TIME.matcher(line).replaceAll("<time>");
        for (String[] r : replacements) {
            s = s.replace(r[0], r[1]);
        }
        s = s.replaceAll("(\"auth_(?:username|password)\" : )\"[^\"]*\"", "$1\"<chap>\"");
        s = s.replaceAll("(<auth username=\\\\\")[^\\\\]*", "$1<chap>");
        s = s.replaceAll("(\"(?:system uuid|uuid)\" : )\"[^\"]*\"", "$1\"<uuid>\"");
        s = s.replace("\"host\" : \"" + host + "\"", "\"host\" : \"<host>\"");
        return s.replaceAll("(?<=\\S) {2,}", "  ");
    }

    private Host.Result tetherctl(List<String> prefix, String... args) {
        List<String> argv = new ArrayList<>(prefix);
        argv.addAll(List.of("env", "TETHER_HOME=" + Path.of("target/quarkus-app").toAbsolutePath(), "sh",
                Path.of("rpm/tetherctl").toAbsolutePath().toString(), "--config", dir.resolve("none.properties")
                        .toString()));
        if (!List.of(args).contains("--url")) {
            argv.addAll(List.of("--url", "http://127.0.0.1:" + 18111));
        }
        argv.addAll(List.of(args));
        return Host.exec(Duration.ofMinutes(2), argv.toArray(String[]::new));
    }

    /** Every cell of every row starts where its heading does (a row may end early: empty trailing cells). */
    static void assertAligned(String command, String out) {
        List<String> lines = out.lines().toList();
        assertThat(lines).as(command + ": a table has a heading").isNotEmpty();
        List<Integer> starts = new ArrayList<>(List.of(0));
        Matcher m = Pattern.compile(" {2,}(?=\\S)").matcher(lines.get(0));
        while (m.find()) {
            starts.add(m.end());
        }
        for (String row : lines.subList(1, lines.size())) {
            for (int start : starts) {
                if (start > 0 && start < row.length()) {
                    assertThat(row.charAt(start) != ' ' && row.charAt(start - 1) == ' ')
                            .as(command + ": a cell starts at column " + start + " of \"" + row + "\"").isTrue();
                }
            }
        }
    }

    /** tgtd's targets of this test's volumes, left by a run that did not finish. */
    private static void removeTargets() throws IOException {
        String show = Host.exec("tgtadm", "--lld", "iscsi", "--mode", "target", "--op", "show").out();
        Matcher m = Pattern.compile("(?m)^Target (\\d+): \\S*volume-(" + VOLUME + "|" + BIG + ")$").matcher(show);
        while (m.find()) {
            Host.exec("tgtadm", "--lld", "iscsi", "--mode", "target", "--op", "delete", "--force", "--tid",
                    m.group(1));
        }
    }
}
