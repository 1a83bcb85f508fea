package org.tether.connection;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tether.error.TetherException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IscsiNamesTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "iqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2",
            "iqn.1993-08.org.debian:01:a41db8382266",
            "iqn.1992-08.com.netapp:sn.4a6e1c7a0c1b11e9:vs.3",
            "iqn.2001-04.com.example",
            "eui.02004567A425678D",
            "naa.52004567BA64678D",
            "naa.600a098038304437522b4a7a6e4a6d41"})
    void acceptsRealNames(String name) {
        assertThat(IscsiNames.isValidName(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "iqn", "iqn.201-10.org.x", "iqn.2010-00.org.x", "iqn.2010-10.-org.x",
            "iqn.2010-10.org.x:a b", "iqn.2010-10.org.x:a\nb", "iqn.2010-10.org.x:a/b", "iqn.2010-10.org.x:a'b",
            "eui.0200456", "naa.12345678901234567", "../../etc/passwd"})
    void refusesMalformedNames(String name) {
        assertThat(IscsiNames.isValidName(name)).isFalse();
    }

    @Test
    void refusesNamesLongerThanRfc3720Allows() {
        String longName = "iqn.2010-10.org.openstack:" + "a".repeat(200);
        assertThat(IscsiNames.isValidName(longName)).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
            "10.0.0.1:3260, 10.0.0.1, 3260",
            "10.0.0.1, 10.0.0.1, 3260",
            "[2001:db8::1]:3261, 2001:db8::1, 3261",
            "[::1], ::1, 3260",
            "storage-1.example.org:860, storage-1.example.org, 860",
            "Storage-1:3260, storage-1, 3260"})
    void parsesPortals(String text, String host, int port) {
        assertThat(IscsiNames.parsePortal(text, "p")).isEqualTo(new Portal(host, port));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:", "[2001:db8::1", "[2001:db8::1]3260",
            "2001:db8::1:3260", "[example.org]:3260", "-bad.example:3260", "a_b:3260", "10.0.0.1:32a0",
            "[fe80::1%eth0]:3260", "1.2.3.4.5:3260"})
    void refusesMalformedPortals(String text) {
        assertThatThrownBy(() -> IscsiNames.parsePortal(text, "p")).isInstanceOf(TetherException.class);
    }

    @Test
    void ipv6PortalsAreWrittenInBrackets() {
        assertThat(new Portal("2001:db8::1", 3260).hostPort()).isEqualTo("[2001:db8::1]:3260");
        assertThat(new Portal("10.0.0.1", 3260).hostPort()).isEqualTo("10.0.0.1:3260");
    }
}
