package org.tether.connection;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CephKeysTest {
    private static final String KEY = "AQBD8CxnAAAAABAAyq0Cxyr+3zJqYuSMr0aydQ==";

    @Test
    void aBareKeyAsCephAuthGetKeyPrintsIt() {
        assertThat(CephKeys.fromText(KEY + "\n", "cinder")).isEqualTo(KEY);
        assertThat(CephKeys.decode(KEY)).hasSize(28);
    }

    @Test
    void aKeyringPrefersTheUsersSection() {
        String keyring = "[client.admin]\n\tkey = AQAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAA==\n[client.cinder]\n\tkey = "
                + KEY + "\n\tcaps mon = \"profile rbd\"\n";
        assertThat(CephKeys.fromText(keyring, "cinder")).isEqualTo(KEY);
        assertThat(CephKeys.fromText("[client.other]\n key = " + KEY + "\n", "cinder")).isEqualTo(KEY);
    }

    @Test
    void whatIsNotAKeyIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> CephKeys.fromText("password123!", "cinder"))
                .hasMessageNotContaining("password123");
        assertThatThrownBy(() -> CephKeys.fromText("QUJD", "cinder")).hasMessageContaining("not a cephx key");
        assertThatThrownBy(() -> CephKeys.fromText("[client.cinder]\n caps = x\n", "cinder"))
                .hasMessageContaining("no key line");
    }
}
