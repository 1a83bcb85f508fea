package org.tether.compute.iscsi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tether.connection.Portal;

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

    /** Every code of open-iscsi's iscsi_err.h (0-32) and what it means here. */
    @ParameterizedTest
    @CsvSource({"0, OK", "1, FAILED", "2, NO_OBJECTS", "3, FAILED", "4, TRANSPORT", "5, LOGIN_REFUSED",
            "6, DB_BUSY", "7, FAILED", "8, TRANSPORT", "9, FAILED", "10, FAILED", "11, TRANSPORT",
            "12, NO_TRANSPORT", "13, FAILED", "14, NO_TRANSPORT", "15, SESSION_EXISTS", "16, FAILED", "17, FAILED",
            "18, ISCSID_DOWN", "19, LOGIN_REFUSED", "20, ISCSID_DOWN", "21, NO_OBJECTS", "22, FAILED", "23, FAILED",
            "24, AUTH_FAILED", "25, FAILED", "26, FAILED", "27, FAILED", "28, DB_BUSY", "29, DB_BUSY", "30, FAILED",
            "31, FAILED", "32, TRANSPORT", "255, FAILED"})
    void exitCodesAreClassifiedAsOpenIscsiDefinesThem(int code, IscsiadmStatus status) {
        assertThat(IscsiadmStatus.of(code)).isEqualTo(status);
    }

    /** A login's exit code and the answer the API gives for it; an existing session is a success. */
    @ParameterizedTest
    @CsvSource({"15, ", "24, iscsi_auth_failed", "8, target_unavailable", "4, target_unavailable",
            "20, iscsid_unavailable", "18, iscsid_unavailable", "19, iscsi_login_failed", "5, iscsi_login_failed",
            "12, iscsi_login_failed", "3, command_failed", "7, command_failed"})
    void eachLoginOutcomeIsOneDecision(int code, String problem) {
        org.tether.exec.ScriptedRunner runner = new org.tether.exec.ScriptedRunner().on(List.of("--login"),
                org.tether.exec.ScriptedRunner.Reply.fail(code, "iscsiadm: exit " + code));
        Iscsiadm iscsiadm = new Iscsiadm(runner, "iscsiadm", java.time.Duration.ofSeconds(5));
        Portal portal = new Portal("10.0.0.1", 3260);
        if (problem == null) {
            iscsiadm.login(portal, "iqn.2010-10.org.openstack:volume-x");
            return;
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> iscsiadm.login(portal,
                        "iqn.2010-10.org.openstack:volume-x"))
                .isInstanceOfSatisfying(org.tether.error.TetherException.class, e -> {
                    assertThat(e.code().code()).isEqualTo(problem);
                    assertThat(e.getMessage()).contains("iqn.2010-10.org.openstack:volume-x");
                });
    }

    @Test
    void aFailedNodeWriteNamesItsTargetAndNeverItsSecret() {
        org.tether.exec.ScriptedRunner runner = new org.tether.exec.ScriptedRunner().on(List.of("--op", "update"),
                org.tether.exec.ScriptedRunner.Reply.fail(20, "iscsiadm: can not connect to iSCSI daemon (111)!"));
        Iscsiadm iscsiadm = new Iscsiadm(runner, "iscsiadm", java.time.Duration.ofSeconds(5));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> iscsiadm.createNode(new Portal("10.0.0.1", 3260),
                        "iqn.2010-10.org.openstack:volume-y",
                        new org.tether.connection.ChapCredentials("user", "s3cret-pass", null, null)))
                .isInstanceOfSatisfying(org.tether.error.TetherException.class, e -> {
                    assertThat(e.code().code()).isEqualTo("iscsid_unavailable");
                    assertThat(e.getMessage()).contains("iqn.2010-10.org.openstack:volume-y").doesNotContain("s3cret");
                });
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
