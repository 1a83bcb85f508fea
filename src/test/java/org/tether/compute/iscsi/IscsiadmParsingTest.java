package org.tether.compute.iscsi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tether.compute.connection.Portal;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class IscsiadmParsingTest {

    @Test
    void parsesRecordedSessionListIncludingIpv6AndNamedPortals() throws Exception {
        String out;
        try (InputStream in = getClass().getResourceAsStream("/iscsiadm/session-list.txt")) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<IscsiSession> sessions = IscsiSession.parseAll(out);
        assertThat(sessions).extracting(IscsiSession::id).containsExactly(1, 2, 14, 3);
        assertThat(sessions.get(1).portal()).isEqualTo(new Portal("2001:db8::5", 3260));
        assertThat(sessions.get(2).portal()).isEqualTo(new Portal("storage-2.example.org", 3261));
        assertThat(sessions.get(0).matches(new Portal("10.0.0.1", 3260),
                "iqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2")).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"0, OK", "6, DB_BUSY", "15, SESSION_EXISTS", "21, NO_OBJECTS", "24, AUTH_FAILED", "8, TRANSPORT",
            "3, TRANSPORT", "19, FAILED", "1, FAILED"})
    void exitCodesAreClassifiedOnce(int code, IscsiadmStatus status) {
        assertThat(IscsiadmStatus.of(code)).isEqualTo(status);
    }

    @Test
    void aBusyNodeDatabaseIsRetried() {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        org.tether.exec.ScriptedRunner runner = new org.tether.exec.ScriptedRunner().on(List.of("--op", "delete"),
                argv -> calls.getAndIncrement() < 2 ? org.tether.exec.ScriptedRunner.Reply.fail(6,
                        "iscsiadm: Could not execute operation on all records: encountered iSCSI database failure")
                        : org.tether.exec.ScriptedRunner.Reply.ok(""));
        new Iscsiadm(runner, "iscsiadm", java.time.Duration.ofSeconds(5)).deleteNode(new Portal("10.0.0.1", 3260),
                "iqn.2010-10.org.openstack:volume-x");
        assertThat(calls).hasValue(3);
    }
}
