package org.tether.encryption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Cinder's encryption metadata: what QEMU can open, what it cannot and why, and the key's passphrase. */
class EncryptionSpecParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void luksOneUnderEveryNameCinderAndNovaGaveItIsRead() throws Exception {
        for (String provider : new String[]{"luks", "nova.volume.encryptors.luks.LuksEncryptor",
                "os_brick.encryptors.luks.LuksEncryptor"}) {
            EncryptionSpec s = EncryptionSpecParser.parse(json("{\"provider\": \"" + provider + "\", \"cipher\": "
                    + "\"aes-xts-plain64\", \"key_size\": 512, \"control_location\": \"front-end\", "
                    + "\"encryption_key_id\": \"2c5b1b54-6bb2-4a53-9ee6-1ed6b5c1e0f3\"}"), "encryption");
            assertThat(s.keyId()).isEqualTo("2c5b1b54-6bb2-4a53-9ee6-1ed6b5c1e0f3");
            assertThat(s.cipherAlg()).isEqualTo("aes-256");
            assertThat(s.cipherMode()).isEqualTo("xts");
            assertThat(s.ivgenAlg()).isEqualTo("plain64");
            assertThat(s.ivgenHash()).isNull();
        }
        EncryptionSpec cbc = EncryptionSpecParser.parse(json("{\"provider\": \"luks\", \"cipher\": "
                + "\"aes-cbc-essiv:sha256\", \"key_size\": 256, \"encryption_key_id\": \"k\"}"), "encryption");
        assertThat(cbc.cipherAlg()).isEqualTo("aes-256");
        assertThat(cbc.ivgenAlg()).isEqualTo("essiv");
        assertThat(cbc.ivgenHash()).isEqualTo("sha256");
    }

    @Test
    void backEndEncryptionIsTheStoragesOwnAndNotTheHosts() throws Exception {
        assertThat(EncryptionSpecParser.parse(json("{\"provider\": \"luks\", \"control_location\": \"back-end\"}"),
                "encryption")).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"provider\": \"plain\", \"encryption_key_id\": \"k\"}|unsupported_encryption|needs the host's dm-crypt",
            "{\"provider\": \"luks2\", \"encryption_key_id\": \"k\"}|unsupported_encryption|LUKS2",
            "{\"provider\": \"rot13\", \"encryption_key_id\": \"k\"}|unsupported_encryption|not known",
            "{\"provider\": \"luks\", \"cipher\": \"des-cbc-plain\", \"encryption_key_id\": \"k\"}|unsupported_encryption|cipher des-cbc-plain",
            "{\"provider\": \"luks\", \"cipher\": \"aes-xts-plain64\", \"key_size\": 128, \"encryption_key_id\": \"k\"}|unsupported_encryption|256 or 512",
            "{\"provider\": \"luks\", \"key_size\": \"256\", \"encryption_key_id\": \"k\"}|unsupported_encryption|key_size",
            "{\"provider\": \"luks\"}|missing_field|encryption_key_id",
            "{\"provider\": \"luks\", \"encryption_key_id\": \"../../etc\"}|invalid_field|encryption_key_id",
            "{\"cipher\": \"aes-xts-plain64\"}|missing_field|provider",
            "[]|invalid_field|metadata object",
    })
    void whatQemuCannotOpenIsRefusedSayingWhy(String body, String code, String detail) throws Exception {
        assertThatThrownBy(() -> EncryptionSpecParser.parse(json(body), "encryption"))
                .isInstanceOfSatisfying(TetherException.class, e -> {
                    assertThat(e.code().code()).isEqualTo(code);
                    assertThat(e.getMessage()).contains(detail);
                });
    }

    @Test
    void aNewVolumeMayLeaveTheKeyToTheAgent() throws Exception {
        EncryptionSpec s = EncryptionSpecParser.parse(json("{\"cipher\": \"aes-xts-plain64\", \"key_size\": 256}"),
                "encryption", false);
        assertThat(s.keyId()).isNull();
        assertThat(s.keySizeBits()).isEqualTo(256);
    }

    @Test
    void thePassphraseIsTheKeyInLowercaseHexAndTheKeyMustHaveTheSizeTheVolumeSays() {
        EncryptionSpec s = new EncryptionSpec("aes-xts-plain64", 256, "k");
        byte[] key = new byte[32];
        key[0] = (byte) 0xAB;
        key[31] = 0x01;
        assertThat(new String(LuksKey.passphrase(key, s))).isEqualTo("ab" + "00".repeat(30) + "01");
        assertThatThrownBy(() -> LuksKey.passphrase(new byte[16], s)).isInstanceOfSatisfying(TetherException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ENCRYPTION_KEY_INVALID));
    }
}
