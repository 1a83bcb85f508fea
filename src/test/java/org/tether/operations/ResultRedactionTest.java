package org.tether.operations;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResultRedactionTest {
    @Test
    void anExportsChapPasswordIsRemovedAndNamedTheRestKept() {
        String kept = ResultRedaction.redact("""
                {"driver_volume_type":"iscsi","data":{"target_iqn":"iqn.x","auth_method":"CHAP",
                 "auth_username":"u1","auth_password":"S3cr3tChap","auth_password_in":"In5ecret","qos_specs":null}}""");
        assertThat(kept).doesNotContain("S3cr3tChap").doesNotContain("In5ecret")
                .contains("\"auth_username\":\"u1\"", "\"target_iqn\":\"iqn.x\"", "\"qos_specs\":null")
                .contains("\"redacted\":[\"data.auth_password\",\"data.auth_password_in\"]");
    }

    @Test
    void secretsInArraysAndSuffixedNamesGoToo() {
        String kept = ResultRedaction.redact("{\"volumes\":[{\"id\":\"a\",\"keyring\":\"AQB==\"}],"
                + "\"encryption\":{\"luks_passphrase\":\"pp\"}}");
        assertThat(kept).doesNotContain("AQB==").doesNotContain("\"pp\"")
                .contains("volumes[0].keyring", "encryption.luks_passphrase");
    }

    @Test
    void answersWithoutSecretsAndNonJsonAreUnchanged() {
        String plain = "{\"id\":\"v\",\"size_gb\":1}";
        assertThat(ResultRedaction.redact(plain)).isSameAs(plain);
        assertThat(ResultRedaction.redact("not json")).isEqualTo("not json");
        assertThat(ResultRedaction.redact(null)).isNull();
    }
}
