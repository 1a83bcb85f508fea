package org.tether.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.crash.AgentProcess;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged agent under a notify socket, as systemd runs a {@code Type=notify} unit with a watchdog:
 * READY=1 only once the API answers, WATCHDOG=1 at half the interval, STOPPING=1 on SIGTERM.
 */
class SystemdNotifyIT {
    @TempDir
    Path dir;

    @Test
    void readyThenWatchdogPingsThenStopping() throws Exception {
        String socket = dir.resolve("notify").toString();
        try (DatagramReceiver systemd = new DatagramReceiver(socket);
             AgentProcess agent = new AgentProcess(18091, dir.resolve("state"),
                     Path.of("target/agent-notify.log").toAbsolutePath())) {
            agent.env("NOTIFY_SOCKET", socket).env("WATCHDOG_USEC", "400000");
            agent.spawn();
            assertThat(systemd.receive(60_000)).hasValueSatisfying(m -> assertThat(m).startsWith("READY=1"));
            // the first request right after READY=1 is answered, as anything ordered after the unit expects
            assertThat(agent.get("/q/health/ready").statusCode()).isEqualTo(200);
            List<String> pings = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Optional<String> m = systemd.receive(5_000);
                m.ifPresent(pings::add);
            }
            assertThat(pings).containsOnly("WATCHDOG=1").hasSize(3);
            assertThat(agent.stop()).as("exit status on SIGTERM").isIn(0, 143);
            Optional<String> last = Optional.empty();
            for (Optional<String> m = systemd.receive(2_000); m.isPresent(); m = systemd.receive(500)) {
                last = m;
            }
            assertThat(last).hasValueSatisfying(m -> assertThat(m).startsWith("STOPPING=1"));
        }
    }
}
