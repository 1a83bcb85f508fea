package org.tether.concurrent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The node database's lock against the lock os-brick really takes: oslo.concurrency's external lock
 * ({@code lockutils.lock("connect_volume", "os-brick-", external=True)}) run by Debian's python3-oslo.concurrency
 * in another process, on the same file.
 */
class HostFileLockTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private static Process oslo(Path dir, String body) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "Debian's python3 (python3-os-brick pulls oslo.concurrency)");
        String script = "import sys, time\nfrom oslo_concurrency import lockutils\n" + body;
        return new ProcessBuilder(PYTHON.toString(), "-c", script, dir.toString()).redirectErrorStream(true).start();
    }

    @Test
    void tetherWaitsWhileOsBrickHoldsConnectVolume(@TempDir Path dir) throws Exception {
        Process p = oslo(dir, """
                with lockutils.lock("connect_volume", "os-brick-", external=True, lock_path=sys.argv[1]):
                    print("held", flush=True)
                    time.sleep(1)
                    print("releasing", flush=True)
                """);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("held");
        HostFileLock lock = new HostFileLock(dir.resolve("os-brick-connect_volume"));
        try (var held = lock.acquire(Duration.ofSeconds(30))) {
            // had the lock been free while os-brick held it, this line would not have been printed yet
            assertThat(out.readLine()).isEqualTo("releasing");
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void osBrickCannotTakeConnectVolumeWhileTetherHoldsIt(@TempDir Path dir) throws Exception {
        HostFileLock lock = new HostFileLock(dir.resolve("os-brick-connect_volume"));
        String body = """
                try:
                    with lockutils.lock("connect_volume", "os-brick-", external=True, lock_path=sys.argv[1],
                                        blocking=False):
                        print("taken")
                except lockutils.AcquireLockFailedException:
                    print("refused")
                """;
        try (var held = lock.acquire(Duration.ofSeconds(5))) {
            Process p = oslo(dir, body);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip()).isEqualTo("refused");
        }
        Process p = oslo(dir, body);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip()).isEqualTo("taken");
    }

    @Test
    void aLockHeldElsewhereForTheWholeTimeoutIsATimeoutAndFreesTheThreadsQueue(@TempDir Path dir) throws Exception {
        Process p = oslo(dir, """
                with lockutils.lock("connect_volume", "os-brick-", external=True, lock_path=sys.argv[1]):
                    print("held", flush=True)
                    sys.stdin.readline()
                """);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("held");
        HostFileLock lock = new HostFileLock(dir.resolve("os-brick-connect_volume"));
        assertThatThrownBy(() -> lock.acquire(Duration.ofMillis(200))).isInstanceOf(TimeoutException.class)
                .hasMessageContaining("another process");
        p.getOutputStream().write('\n');
        p.getOutputStream().flush();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // the failed attempt left nothing held in this process: the next one gets the lock
        try (var held = lock.acquire(Duration.ofSeconds(5))) {
            assertThat(dir.resolve("os-brick-connect_volume")).exists();
        }
    }
}
