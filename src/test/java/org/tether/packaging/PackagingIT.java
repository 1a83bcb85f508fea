package org.tether.packaging;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The unit passes {@code systemd-analyze verify} without a word, and the RPM built by {@code rpm/build.sh}
 * from the packaged application has the files, modes, config flags, requirements and scriptlets an operator
 * relies on. Runs after {@code package} (failsafe).
 */
class PackagingIT {
    private static Path rpm;

    @BeforeAll
    static void build() throws Exception {
        Host.run("bash", "rpm/build.sh");
        try (Stream<Path> s = Files.list(Path.of("target/rpm/RPMS/noarch"))) {
            rpm = s.filter(p -> p.toString().endsWith(".noarch.rpm")).findFirst().orElseThrow();
        }
    }

    private static String query(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("rpm", "-qp"));
        argv.addAll(List.of(args));
        argv.add(rpm.toString());
        return Host.run(argv.toArray(String[]::new));
    }

    @Test
    void theUnitVerifiesWithoutAnyComplaint() {
        Host.Result r = Host.exec("systemd-analyze", "verify", "systemd/tether-agent.service");
        // systemd-analyze exits 0 on some bad values; any output at all counts as a failure, but for lines
        // about another unit of the host (Debian's keystone.service says its own After= is dropped)
        assertThat(r.exit()).isZero();
        assertThat(aboutOurUnit(r.out() + r.err())).isEmpty();
        String unit = Host.run("cat", "systemd/tether-agent.service");
        assertThat(unit).contains("Type=notify", "WatchdogSec=", "Restart=on-failure", "ProtectSystem=strict",
                "NoNewPrivileges=yes", "PrivateTmp=yes", "CapabilityBoundingSet=", "After=network-online.target "
                        + "iscsid.service libvirtd.service");
    }

    /** The lines of systemd-analyze's output, less those that begin by naming another unit. */
    static List<String> aboutOurUnit(String output) {
        return output.lines().filter(l -> !l.isBlank())
                .filter(l -> !l.matches("^[\\w@.\\\\-]+\\.(service|socket|target|mount|timer|path|slice|scope): .*")
                        || l.startsWith("tether-agent.service:"))
                .toList();
    }

    /** The man page the package installs reads without a troff warning ({@code groff -ww}: every warning on). */
    @Test
    void theManPageHasNoTroffWarning() {
        Host.Result r = Host.exec("groff", "-man", "-ww", "-z", "docs/tetherctl.1");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out() + r.err()).as("groff's warnings").isBlank();
    }

    @Test
    void onlyLinesAboutAnotherUnitAreLeftOut() {
        assertThat(aboutOurUnit("keystone.service: Dependency After=keystone.service is dropped.\n")).isEmpty();
        assertThat(aboutOurUnit("""
                keystone.service: Dependency After=keystone.service is dropped.
                /work/systemd/tether-agent.service:9: Unknown key name 'Bogus' in section 'Service', ignoring.
                tether-agent.service: Command /usr/bin/x is not executable: No such file or directory
                """)).hasSize(2);
    }

    @Test
    void filesAndModes() {
        String files = query("-lv");
        assertThat(files).containsPattern("(?m)^drwx------ .* /var/lib/tether$")
                .containsPattern("(?m)^-rw------- .* /etc/tether/agent.properties$")
                .containsPattern("(?m)^-rw-r--r-- .* /usr/lib/systemd/system/tether-agent.service$")
                .containsPattern("(?m)^-rw-r--r-- .* /usr/lib/tether-agent/quarkus-run.jar$")
                .containsPattern("(?m) /usr/lib/tether-agent/lib/main/.*libvirt-0\\.5\\.4\\.jar$")
                .containsPattern("(?m) /usr/share/doc/tether-agent/docs/configuration\\.md$")
                .containsPattern("(?m) /usr/share/doc/tether-agent/docs/grafana-dashboard\\.json$")
                .containsPattern("(?m) /usr/share/man/man1/tetherctl\\.1(\\.gz)?$")
                .containsPattern("(?m)^-rwxr-xr-x .* /usr/bin/tetherctl$")
                .containsPattern("(?m)^-rw-r--r-- .* /usr/share/bash-completion/completions/tetherctl$");
        assertThat(query("--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\\n]"))
                .containsPattern("(?m)^cn /etc/tether/agent.properties$");
        assertThat(query("--qf", "%{ARCH}")).isEqualTo("noarch");
    }

    @Test
    void requirementsAndScriptlets() {
        assertThat(query("--requires").lines()).contains("java-17-openjdk-headless", "iscsi-initiator-utils",
                "libvirt", "lvm2");
        String scripts = query("--scripts");
        assertThat(scripts).contains("postinstall scriptlet", "preuninstall scriptlet", "postuninstall scriptlet")
                .contains("systemctl daemon-reload")
                .contains("umask 077; head -c 32 /dev/urandom | base64").contains("/etc/tether/api-token")
                .contains("systemctl --no-reload preset tether-agent.service")
                .contains("systemctl --no-reload disable --now tether-agent.service")
                .contains("systemctl try-restart tether-agent.service");
    }
}
