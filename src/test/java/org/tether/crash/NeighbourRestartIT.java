package org.tether.crash;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged agent with its neighbours stopped and started again under it, as a package upgrade or a
 * crash does: libvirtd under a compute agent, tgtd under a storage agent. Each mode is ready on its own
 * dependencies, unready (503 with the reason) while one is away, and ready again without a restart.
 */
class NeighbourRestartIT {
    @TempDir
    Path dir;

    @Test
    void aKilledAndRestartedLibvirtdIsHealedWithoutRestartingTheAgent() throws Exception {
        try (TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
             TgtTarget first = TgtTarget.create(dir, false);
             TgtTarget second = TgtTarget.create(dir, false);
             AgentProcess agent = new AgentProcess(18095, dir.resolve("state"), dir.resolve("agent.log"))) {
            agent.start();
            assertThat(attach(agent, dom, first).statusCode()).isEqualTo(200);

            Host.run("pkill", "-9", "-x", "libvirtd");
            await(() -> status(agent, "/q/health/ready") == 503, 30, "readiness DOWN while libvirtd is away");
            assertThat(agent.get("/q/health/ready").body()).contains("libvirt");
            HttpResponse<String> refused = attach(agent, dom, second);
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.body()).contains("\"code\":\"hypervisor_unavailable\"");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(status(agent, "/q/health/live")).as("alive: libvirtd may come back").isEqualTo(200);

            Host.run("libvirtd", "-d");
            await(() -> Host.exec("virsh", "-c", "qemu:///system", "version").exit() == 0, 30, "libvirtd answers");
            long back = System.nanoTime();
            await(() -> status(agent, "/q/health/ready") == 200, 5, "readiness UP within 5 s of libvirtd answering");
            System.out.printf("libvirtd restart: ready again %d ms after libvirtd answered%n",
                    (System.nanoTime() - back) / 1_000_000);
            assertThat(attach(agent, dom, second).statusCode()).isEqualTo(200);
            assertThat(agent.delete(url(dom, second)).statusCode()).isEqualTo(204);
            assertThat(agent.delete(url(dom, first)).statusCode()).isEqualTo(204);
            assertThat(dom.liveXml()).doesNotContain(first.iqn).doesNotContain(second.iqn);
        } finally {
            if (Host.exec("pgrep", "-x", "libvirtd").exit() != 0) {
                Host.run("libvirtd", "-d");
            }
        }
    }

    @Test
    void anAttachWhileTheTargetIsAwayIsRetryableAndLeavesNothingBehind() throws Exception {
        try (TestDomain dom = TestDomain.create(TestDomain.Kind.RUNNING);
             TgtTarget target = TgtTarget.create(dir, false);
             AgentProcess agent = new AgentProcess(18097, dir.resolve("state"), dir.resolve("agent.log"))) {
            agent.start();
            Host.run("pkill", "-9", "-x", "tgtd");
            await(() -> Host.exec("pgrep", "-x", "tgtd").exit() != 0, 10, "tgtd gone");
            HttpResponse<String> refused = attach(agent, dom, target);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.body()).contains("\"code\":\"target_unavailable\"", "127.0.0.1:3260");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(dom.liveXml()).doesNotContain(target.iqn);
            assertThat(agent.get("/v1/attachments").body()).doesNotContain(target.volumeId.toString());

            startTgtd();
            target.define();
            HttpResponse<String> again = attach(agent, dom, target);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            assertThat(agent.delete(url(dom, target)).statusCode()).isEqualTo(204);
            assertThat(dom.liveXml()).doesNotContain(target.iqn);
        } finally {
            if (Host.exec("pgrep", "-x", "tgtd").exit() != 0) {
                startTgtd();
            }
        }
    }

    @Test
    void aStorageAgentIsReadyAndPutsBackWhatARestartedTgtdLost() throws Exception {
        String initiator = "iqn.1993-08.org.debian:01:restart-" + UUID.randomUUID().toString().substring(0, 8);
        try (AgentProcess agent = new AgentProcess(18096, dir.resolve("state"), dir.resolve("agent.log"))
                .with("-Dtether.mode=storage", "-Dtether.storage.backend=file",
                        "-Dtether.storage.file.dir=" + dir.resolve("files"), "-Dtether.storage.target.driver=tgt",
                        "-Dtether.storage.target.portals=127.0.0.1:3260",
                        "-Dtether.storage.target.tgt-conf-dir=" + dir.resolve("tgt-conf.d"))) {
            agent.start();
            assertThat(status(agent, "/q/health/ready")).as("storage mode is ready").isEqualTo(200);
            String id = UUID.randomUUID().toString();
            assertThat(agent.post("/v1/volumes", "{\"id\":\"" + id + "\",\"size_gb\":1}").statusCode())
                    .isEqualTo(201);
            HttpResponse<String> export = agent.put("/v1/volumes/" + id + "/exports/" + initiator,
                    "{\"initiator\":\"" + initiator + "\"}");
            assertThat(export.statusCode()).as(export.body()).isEqualTo(200);
            String iqn = "iqn.2010-10.org.openstack:volume-" + id;
            assertThat(targets()).contains(iqn);

            String other = UUID.randomUUID().toString();
            assertThat(agent.post("/v1/volumes", "{\"id\":\"" + other + "\",\"size_gb\":1}").statusCode())
                    .isEqualTo(201);

            Host.run("pkill", "-9", "-x", "tgtd");
            await(() -> status(agent, "/q/health/ready") == 503, 30, "readiness DOWN while tgtd is away");
            HttpResponse<String> notNow = agent.put("/v1/volumes/" + other + "/exports/" + initiator,
                    "{\"initiator\":\"" + initiator + "\"}");
            assertThat(notNow.statusCode()).as(notNow.body()).isEqualTo(503);
            assertThat(notNow.body()).contains("\"code\":\"target_unavailable\"");
            assertThat(notNow.headers().firstValue("Retry-After")).isPresent();
            HttpResponse<String> notYet = agent.delete("/v1/volumes/" + id + "/exports/" + initiator);
            assertThat(notYet.statusCode()).as(notYet.body()).isEqualTo(503);
            assertThat(notYet.body()).contains("\"code\":\"target_unavailable\"");
            assertThat(agent.get("/v1/volumes/" + other).body()).as("the refused export is not recorded")
                    .contains("\"exports\":[]");
            startTgtd();
            assertThat(targets()).doesNotContain(iqn);
            long back = System.nanoTime();
            // the regular pass is 30 s away: the watch sees the target gone and repairs at once
            await(() -> targets().contains(iqn) && targets().contains(initiator), 10,
                    "the export put back by the agent within seconds of tgtd's return");
            System.out.printf("tgtd restart: export back %d ms after tgtd answered%n",
                    (System.nanoTime() - back) / 1_000_000);
            await(() -> status(agent, "/q/health/ready") == 200, 10, "readiness UP again");
            assertThat(agent.get("/q/metrics").body()).containsPattern("tether_export_repairs_total\\{[^}]*} [1-9]");

            // a host that reboots without the agent: tgt's own service loads the file the agent keeps
            Path conf = dir.resolve("tgt-conf.d").resolve("tether-volume-" + id + ".conf");
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(conf)))
                    .isEqualTo("rw-------");
            assertThat(Files.readString(conf)).contains("<target " + iqn + ">", "initiator-name " + initiator,
                    "incominguser ");
            agent.stop();
            Host.run("pkill", "-9", "-x", "tgtd");
            startTgtd();
            assertThat(targets()).doesNotContain(iqn);
            Host.run("tgt-admin", "-e", "-c", conf.toString());
            assertThat(targets()).contains(iqn, initiator);
            String chapUser = Files.readString(conf).lines().map(String::strip)
                    .filter(l -> l.startsWith("incominguser ")).findFirst().orElseThrow().split(" ")[1];
            assertThat(Host.run("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "account")).contains(chapUser);
            agent.start();

            assertThat(agent.delete("/v1/volumes/" + id + "/exports/" + initiator).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/volumes/" + id).statusCode()).isEqualTo(204);
            assertThat(agent.delete("/v1/volumes/" + other).statusCode()).isEqualTo(204);
            assertThat(targets()).doesNotContain(iqn).doesNotContain("volume-" + other);
            assertThat(conf).doesNotExist();
        } finally {
            if (Host.exec("pgrep", "-x", "tgtd").exit() != 0) {
                startTgtd();
            }
        }
    }

    private static void startTgtd() throws InterruptedException {
        await(() -> Host.exec("tgtd", "--iscsi", "portal=127.0.0.1:3260").exit() == 0
                && Host.exec("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "sys").exit() == 0, 20,
                "tgtd started again");
    }

    private static String targets() {
        return Host.exec("tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target").out();
    }

    private static String url(TestDomain dom, TgtTarget t) {
        return "/v1/instances/" + dom.name + "/volumes/" + t.volumeId;
    }

    private static HttpResponse<String> attach(AgentProcess agent, TestDomain dom, TgtTarget t) throws Exception {
        return agent.put(url(dom, t), "{\"connection_info\": " + t.connectionInfo()
                + ", \"bus\": \"scsi\", \"attach_path\": \"qemu\"}");
    }

    private static int status(AgentProcess agent, String path) {
        try {
            return agent.get(path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    static void await(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not within " + seconds + " s: " + what);
    }
}
