package org.tether.health;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class AgentVitalsTest {
    private static final Instant NOW = Instant.parse("2026-12-01T04:00:00Z");
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void libvirtAwayLessThanTheGiveUpTimeKeepsTheAgentAliveLongerDoesNot() {
        Duration giveUp = Duration.ofMinutes(5);
        assertThat(new AgentVitals(true, Optional::empty, giveUp, clock).alive()).isTrue();
        assertThat(new AgentVitals(true, () -> Optional.of(NOW.minus(Duration.ofMinutes(4))), giveUp, clock).alive())
                .as("libvirtd may come back: keep waiting").isTrue();
        assertThat(new AgentVitals(true, () -> Optional.of(NOW.minus(Duration.ofMinutes(6))), giveUp, clock).alive())
                .as("given up: liveness DOWN, the watchdog stops, systemd restarts the agent").isFalse();
    }

    @Test
    void storageModeDoesNotDependOnLibvirt() {
        assertThat(new AgentVitals(false, () -> Optional.of(NOW.minus(Duration.ofDays(1))), Duration.ofMinutes(5),
                clock).alive()).isTrue();
    }
}
