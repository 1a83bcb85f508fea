package org.tether.testhost;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The .deb under real systemd as PID 1 in the test-host VM: after the RPM's storage and both modes, the RPM is
 * removed and the .deb installed with {@code apt install} (the operator's compute settings already in place),
 * a disk attached on the kernel path, the package upgraded to a second build with the disk attached, then
 * removed and purged. About 17 minutes under TCG (the RPM alone: 6), more than the suite's 55-minute budget
 * holds: tagged {@code packages}, run by {@code lab/test-packages.sh}, not by {@code lab/test.sh};
 * {@code DebPackageIT} (files, scripts, lintian) runs in the suite.
 */
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
@org.junit.jupiter.api.parallel.ResourceLock(TestHostVm.LOCK)
@org.junit.jupiter.api.Order(4)
@Tag("packages")
class SystemdDebIT {
    @Test
    void theDebIsInstalledUpgradedWithADiskAttachedRemovedAndPurgedUnderSystemd() throws Exception {
        List<String> verdicts = SystemdUnitIT.verdicts("deb");
        assertThat(verdicts).contains(
                "SYSTEMD-OK: deb: apt install ./tether-agent_0.1.0-1_all.deb",
                "SYSTEMD-OK: deb: postinst enabled and started the unit",
                "SYSTEMD-OK: deb: postinst made the API token and the TLS certificate (key 0600)",
                "SYSTEMD-OK: deb: tetherctl status with no flags: UP",
                "SYSTEMD-OK: deb: the operator's settings in place before kept",
                "SYSTEMD-OK: compute: kernel-path attach",
                "SYSTEMD-OK: deb: upgraded to 0.1.0-2",
                "SYSTEMD-OK: deb: the upgrade stopped the old agent and started the new one",
                "SYSTEMD-OK: deb: the operator's settings kept (conffile)",
                "SYSTEMD-OK: deb: after the upgrade the disk is still attached and the agent has its record",
                "SYSTEMD-OK: deb: the domain still has the disk",
                "SYSTEMD-OK: deb: a reconciliation after the upgrade finds no drift",
                "SYSTEMD-OK: deb: remove took the program and kept the configuration",
                "SYSTEMD-OK: deb: purge removed /etc/tether (settings, token, certificate)",
                "SYSTEMD-OK: deb: purge removed the state directory, which held no record",
                "SYSTEMD-OK: deb: dpkg knows it no more",
                "SYSTEMD-OK: the journal holds neither the API token nor the CHAP secret");
    }
}
