package org.tether.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The notify protocol on real AF_UNIX datagram sockets, path and abstract. */
class SdNotifyTest {
    @TempDir
    Path dir;

    @Test
    void aMessageArrivesWholeOnAPathSocket() {
        String socket = dir.resolve("notify").toString();
        try (DatagramReceiver r = new DatagramReceiver(socket)) {
            assertThat(SdNotify.to(socket).send("READY=1\nSTATUS=ready")).isTrue();
            assertThat(r.receive(2000)).contains("READY=1\nSTATUS=ready");
        }
    }

    @Test
    void aMessageArrivesOnAnAbstractSocket() {
        String socket = "@tether-test-" + UUID.randomUUID();
        try (DatagramReceiver r = new DatagramReceiver(socket)) {
            assertThat(SdNotify.to(socket).send("WATCHDOG=1")).isTrue();
            assertThat(r.receive(2000)).contains("WATCHDOG=1");
        }
    }

    @Test
    void nobodyListeningIsReportedNotThrown() {
        assertThat(SdNotify.to(dir.resolve("nobody").toString()).send("READY=1")).isFalse();
    }
}
