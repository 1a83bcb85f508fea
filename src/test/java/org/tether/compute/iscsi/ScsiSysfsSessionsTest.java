package org.tether.compute.iscsi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.connection.Portal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Sessions read from a sysfs tree laid out as Linux 6.1 lays it out, as {@code iscsiadm -m session} lists them. */
class ScsiSysfsSessionsTest {
    @TempDir
    Path sys;

    private void session(int id, String iqn, String address, String port) throws IOException {
        Path s = Files.createDirectories(sys.resolve("class/iscsi_session/session" + id));
        Files.writeString(s.resolve("targetname"), iqn + "\n");
        if (address != null) {
            Path c = Files.createDirectories(sys.resolve("class/iscsi_connection/connection" + id + ":0"));
            Files.writeString(c.resolve("persistent_address"), address + "\n");
            Files.writeString(c.resolve("persistent_port"), port + "\n");
        }
    }

    @Test
    void sessionsCarryTheirTargetAndThePortalTheyLoggedInToIpv6Included() throws IOException {
        session(3, "iqn.2010-10.org.openstack:volume-a", "10.0.0.1", "3260");
        session(12, "iqn.2010-10.org.openstack:volume-b", "2001:db8::2", "3261");
        session(13, "iqn.2010-10.org.openstack:volume-c", null, null);   // still logging in: no connection yet
        session(14, "not an iqn", "10.0.0.1", "3260");

        assertThat(new ScsiSysfs(sys).sessions()).containsExactlyInAnyOrder(
                new IscsiSession(3, new Portal("10.0.0.1", 3260), "iqn.2010-10.org.openstack:volume-a"),
                new IscsiSession(12, new Portal("2001:db8::2", 3261), "iqn.2010-10.org.openstack:volume-b"));
    }

    @Test
    void noIscsiClassMeansNoSessions() {
        assertThat(new ScsiSysfs(sys).sessions()).isEmpty();
    }
}
