package org.tether.packaging;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tether.lab.Host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Debian package {@code lab/build-deb.sh} makes from the packaged application: the same files as the RPM
 * (the unit and its tmpfiles, the configuration as a conffile, the host-certificate script, tetherctl with its
 * completion and man page, the docs) with the modes an operator relies on, its dependencies and maintainer
 * scripts, and lintian with no error or warning beyond the overrides it ships, each explained. Installing,
 * upgrading and purging it under systemd is {@code SystemdUnitIT}'s.
 */
class DebPackageIT {
    private static Path deb;

    @BeforeAll
    static void build() throws Exception {
        deb = Path.of(Host.run(Duration.ofMinutes(3), "bash", "lab/build-deb.sh").strip());
        assertThat(Files.exists(deb)).as(deb.toString()).isTrue();
    }

    @Test
    void filesModesAndTheConffile() {
        String files = Host.run("dpkg-deb", "-c", deb.toString());
        assertThat(files).containsPattern("(?m)^drwx------ root/root .* \\./var/lib/tether/$")
                .containsPattern("(?m)^drwxr-x--- root/root .* \\./etc/tether/$")
                .containsPattern("(?m)^-rw------- root/root .* \\./etc/tether/agent\\.properties$")
                .containsPattern("(?m)^-rw-r--r-- root/root .* \\./lib/systemd/system/tether-agent\\.service$")
                .containsPattern("(?m)^-rw-r--r-- root/root .* \\./usr/lib/tmpfiles\\.d/tether-agent\\.conf$")
                .containsPattern("(?m)^-rw-r--r-- root/root .* \\./usr/lib/tether-agent/quarkus-run\\.jar$")
                .containsPattern("(?m)^-rwxr-xr-x root/root .* \\./usr/lib/tether-agent/make-host-cert\\.sh$")
                .containsPattern("(?m)^-rwxr-xr-x root/root .* \\./usr/bin/tetherctl$")
                .containsPattern("(?m) \\./usr/share/man/man1/tetherctl\\.1\\.gz$")
                .containsPattern("(?m) \\./usr/share/bash-completion/completions/tetherctl$")
                .containsPattern("(?m) \\./usr/share/doc/tether-agent/docs/grafana-dashboard\\.json$")
                .containsPattern("(?m) \\./usr/share/doc/tether-agent/copyright$")
                .doesNotContain("app-cds.jsa").doesNotContain("tetherctl.jsa");
        assertThat(Host.run("dpkg-deb", "-I", deb.toString(), "conffiles").strip())
                .isEqualTo("/etc/tether/agent.properties");
    }

    @Test
    void theUnitAndSettingsAreTheRpmsOwn() throws Exception {
        Path dir = Files.createTempDirectory("tether-deb");
        try {
            Host.run("dpkg-deb", "-x", deb.toString(), dir.toString());
            assertThat(Files.readString(dir.resolve("lib/systemd/system/tether-agent.service")))
                    .isEqualTo(Files.readString(Path.of("systemd/tether-agent.service")));
            assertThat(Files.readString(dir.resolve("etc/tether/agent.properties")))
                    .isEqualTo(Files.readString(Path.of("rpm/agent.properties")));
            assertThat(Files.readString(dir.resolve("usr/share/bash-completion/completions/tetherctl")))
                    .doesNotStartWith("#!").contains("complete -F _complete_tetherctl");
        } finally {
            Host.run("rm", "-rf", dir.toString());
        }
    }

    @Test
    void dependenciesAndMaintainerScripts() {
        String control = Host.run("dpkg-deb", "-f", deb.toString(), "Package", "Architecture", "Depends");
        assertThat(control).contains("Package: tether-agent", "Architecture: all", "openjdk-17-jre-headless",
                "open-iscsi", "lvm2", "libvirt-daemon-driver-qemu");
        assertThat(Host.run("dpkg-deb", "-I", deb.toString(), "postinst"))
                .contains("umask 077; head -c 32 /dev/urandom | base64").contains("make-host-cert.sh /etc/tether/tls")
                .contains("deb-systemd-helper enable tether-agent.service")
                .contains("deb-systemd-invoke start tether-agent.service");
        assertThat(Host.run("dpkg-deb", "-I", deb.toString(), "prerm")).contains("deb-systemd-invoke stop");
        assertThat(Host.run("dpkg-deb", "-I", deb.toString(), "postrm")).contains("rm -rf /etc/tether")
                .contains("/var/lib/tether kept");
    }

    /** lintian (Debian's own package checker): no error and no warning that the package does not explain. */
    @Test
    void lintianFindsNoErrorOrWarning() {
        Host.Result r = Host.exec(Duration.ofMinutes(3), "lintian", "--fail-on", "error,warning",
                "--tag-display-limit", "0", deb.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).doesNotContainPattern("(?m)^[EW]: ");
    }
}
