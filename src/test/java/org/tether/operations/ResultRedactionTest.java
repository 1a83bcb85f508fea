package org.tether.operations;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResultRedactionTest {
    private static final ResultRedaction R = new ResultRedaction(new com.fasterxml.jackson.databind.ObjectMapper()
            // as the agent's mapper is configured (application.properties): nulls must survive even so
            .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL));

    @Test
    void anExportsChapPasswordIsRemovedAndNamedTheRestKept() {
        String kept = R.redact("""
                {"driver_volume_type":"iscsi","data":{"target_iqn":"iqn.x","auth_method":"CHAP",
                 "auth_username":"u1","auth_password":"S3cr3tChap","auth_password_in":"In5ecret","qos_specs":null}}""").json();
        assertThat(kept).doesNotContain("S3cr3tChap").doesNotContain("In5ecret")
                .contains("\"auth_username\":\"u1\"", "\"target_iqn\":\"iqn.x\"", "\"qos_specs\":null")
                .contains("\"redacted\":[\"data.auth_password\",\"data.auth_password_in\"]");
    }

    @Test
    void secretsInArraysAndSuffixedNamesGoToo() {
        String kept = R.redact("{\"volumes\":[{\"id\":\"a\",\"keyring\":\"AQB==\"}],"
                + "\"encryption\":{\"luks_passphrase\":\"pp\"}}").json();
        assertThat(kept).doesNotContain("AQB==").doesNotContain("\"pp\"")
                .contains("volumes[0].keyring", "encryption.luks_passphrase");
    }

    @Test
    void answersWithoutSecretsAndNonJsonAreUnchanged() {
        String plain = "{\"id\":\"v\",\"size_gb\":1}";
        assertThat(R.redact(plain).json()).isSameAs(plain);
        assertThat(R.redact("not json").json()).isEqualTo("not json");
        assertThat(R.redact(null).json()).isNull();
    }
}
