package org.tether.crash;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tether.lab.CephCluster;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kill -9} of the packaged agent in the middle of an attach and of a detach (qemu path, iSCSI and RBD, real libvirtd,
 * QEMU and tgtd): after the restart the attachment is either complete or fully undone, never half, and
 * nothing leaks (disk, libvirt secret, journal record). The kill lands when the journal shows the phase.
 */
class AgentCrashIT {
    /** One real Ceph for the RBD cases of the class. */
    private static CephCluster ceph;

    private Path dir;
    private TestDomain dom;
    private TgtTarget tgt;
    private UUID rbdVolume;
    private AgentProcess agent;
    /** The case's transport: iscsi (tgt, CHAP) or rbd (Ceph, a keyring sent along). */
    private String transport = "iscsi";

    @BeforeAll
    static void startCeph() throws Exception {
        ceph = CephCluster.start(6794);
    }

    @AfterAll
    static void stopCeph() throws Exception {
        if (ceph != null) {
            ceph.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-crash");
        dom = TestDomain.create(TestDomain.Kind.RUNNING);
        tgt = TgtTarget.create(dir, true);
        rbdVolume = ceph.createVolume(64);
        agent = new AgentProcess(18090, dir.resolve("state"), Path.of("target/agent-crash.log").toAbsolutePath());
        agent.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        agent.close();
        dom.close();
        tgt.close();
    }

    private UUID volumeId() {
        return transport.equals("rbd") ? rbdVolume : tgt.volumeId;
    }

    private String url() {
        return "/v1/instances/" + dom.name + "/volumes/" + volumeId();
    }

    private String attachBody() throws IOException {
        String info = transport.equals("rbd")
                ? ceph.connectionInfo(rbdVolume, "\"keyring\": " + new com.fasterxml.jackson.databind.ObjectMapper()
                        .writeValueAsString(ceph.keyringText()), null)
                : tgt.connectionInfo();
        return "{\"connection_info\": " + info + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}";
    }

    /** Kills the agent as soon as the attachment's journal record shows {@code phase}; returns what it saw. */
    private CompletableFuture<String> killAt(String phase) {
        Path record = agent.stateDir.resolve("attachments").resolve(volumeId() + "@" + dom.name + ".json");
        AtomicReference<String> seen = new AtomicReference<>("never");
        return CompletableFuture.supplyAsync(() -> {
            long end = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < end) {
                try {
                    String text = Files.readString(record);
                    if (text.contains("\"phase\":\"" + phase + "\"") || text.contains("\"phase\" : \"" + phase + "\"")) {
                        agent.kill();
                        return phase;
                    }
                } catch (IOException absentOrReplaced) {
                    // not written yet, or renamed over while reading
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
                Thread.onSpinWait();
            }
            return seen.get();
        });
    }

    private boolean diskInDomain() {
        return Host.virsh("dumpxml", dom.name).contains("<serial>" + volumeId() + "</serial>")
                || Host.virsh("dumpxml", "--inactive", dom.name).contains("<serial>" + volumeId() + "</serial>");
    }

    private boolean secretDefined() {
        return Host.secretUsages().stream().anyMatch(u -> u.contains(volumeId().toString()));
    }

    private boolean recorded() throws IOException {
        Path dirPath = agent.stateDir.resolve("attachments");
        try (Stream<Path> s = Files.exists(dirPath) ? Files.list(dirPath) : Stream.empty()) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(volumeId().toString()));
        }
    }

    /**
     * On the qemu path the journal's first record is already CONNECTED (the connect's outcome is known before the
     * secret is defined, and written then): the kill lands before or while the secret is defined, before the plug.
     */
    @ParameterizedTest
    @CsvSource({"iscsi, CONNECTED", "rbd, CONNECTED"})
    void killDuringAttachLeavesItCompleteOrUndoneAfterRestart(String transport, String phase) throws Exception {
        this.transport = transport;
        CompletableFuture<String> killer = killAt(phase);
        try {
            agent.put(url(), attachBody());
        } catch (IOException expected) {
            // the agent died under the request
        }
        assertThat(killer.get()).as("the kill landed in phase " + phase).isEqualTo(phase);

        agent.start();
        HttpResponse<String> list = agent.get("/v1/attachments");
        boolean attached = list.body().contains(volumeId().toString());
        if (attached) {
            assertThat(list.body()).contains("\"state\":\"attached\"");
            assertThat(diskInDomain()).isTrue();
            assertThat(agent.delete(url()).statusCode()).isEqualTo(204);
        }
        assertThat(diskInDomain()).as("disk in domain").isFalse();
        assertThat(secretDefined()).as("CHAP secret left").isFalse();
        assertThat(recorded()).as("journal record left").isFalse();
        assertThat(agent.get("/v1/reconciliation").body()).doesNotContain(volumeId().toString());
    }

    @ParameterizedTest
    @CsvSource({"iscsi, DETACHING", "rbd, DETACHING"})
    void killDuringDetachFinishesTheDetachAfterRestart(String transport, String phase) throws Exception {
        this.transport = transport;
        assertThat(agent.put(url(), attachBody()).statusCode()).isEqualTo(200);
        CompletableFuture<String> killer = killAt(phase);
        try {
            agent.delete(url());
        } catch (IOException expected) {
            // the agent died under the request
        }
        String landed = killer.get();
        agent.start();
        assertThat(landed).as("the kill landed in phase " + phase).isEqualTo(phase);
        assertThat(agent.get("/v1/attachments").body()).doesNotContain(volumeId().toString());
        assertThat(diskInDomain()).as("disk in domain").isFalse();
        assertThat(secretDefined()).as("CHAP secret left").isFalse();
        assertThat(recorded()).as("journal record left").isFalse();
    }
}
