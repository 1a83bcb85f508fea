package org.tether.compute.attach;

import org.tether.disk.AttachPath;
import org.tether.disk.ConnectedVolume;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.IscsiPath;
import org.tether.connection.Portal;
import org.tether.disk.DiskSource;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.disk.GuestDevice;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.qos.QosSpec;
import org.tether.lab.Host;
import org.tether.lab.TestDomain;
import org.tether.lab.TgtTarget;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;
import org.tether.state.AttachmentRecord.Phase;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a crash leaves in the journal is finished or undone at the next start, against real libvirt:
 * each test writes the record an interrupted run would have left and the host state that goes with it.
 */
@QuarkusTest
class AttachmentRecoveryLabTest {
    @Inject
    AttachmentJournal journal;
    @Inject
    AttachmentRecovery recovery;
    @Inject
    Hypervisor hypervisor;
    @Inject
    QemuIscsiConnector qemuIscsi;
    @Inject
    org.tether.connection.ConnectionInfoParser parser;

    private Path dir;
    private TestDomain dom;
    private TgtTarget tgt;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("tether-recovery");
        dom = TestDomain.create(TestDomain.Kind.RUNNING);
        tgt = TgtTarget.create(dir, true);
    }

    @AfterEach
    void tearDown() throws Exception {
        dom.close();
        tgt.close();
        Files.deleteIfExists(dir);
    }

    private AttachmentRecord record(Phase phase, ConnectedVolume connected, String xml) {
        return new AttachmentRecord(tgt.volumeId, dom.name, phase, AttachPath.QEMU, "iscsi",
                List.of(new IscsiPath(new Portal("127.0.0.1", 3260), tgt.iqn, 1)),
                xml == null ? null : new GuestDevice("sdb", GuestDevice.Bus.SCSI), false, connected, xml, List.of(),
                "f", Instant.now(), Instant.now(), null);
    }

    private ConnectedVolume defineSecretAsConnectWould(String key) {
        var secret = QemuIscsiConnector.secretUuid(key);
        hypervisor.defineIscsiSecret(secret, QemuIscsiConnector.secretUsage(key),
                tgt.password.getBytes(StandardCharsets.UTF_8));
        return new ConnectedVolume(new DiskSource.NetworkIscsi(tgt.iqn, 1, List.of(new Portal("127.0.0.1", 3260)),
                tgt.user, QemuIscsiConnector.secretUsage(key), TgtTarget.hostInitiator()), null, List.of(), null, secret);
    }

    private String plugAsAttachWould(ConnectedVolume c) {
        String xml = LibvirtXml.write(DiskXmlFactory.build(tgt.volumeId, c.source(),
                new GuestDevice("sdb", GuestDevice.Bus.SCSI), new ConnectionInfo.VolumeOptions(
                        ConnectionInfo.AccessMode.RW, false, ConnectionInfo.BlockSizes.NONE, QosSpec.NONE), false));
        hypervisor.attachDevice(dom.name, xml, java.util.EnumSet.allOf(Hypervisor.Scope.class));
        return xml;
    }

    @Test
    void aConnectThatNeverReachedTheDomainIsUndone() {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        defineSecretAsConnectWould(key);
        journal.put(record(Phase.CONNECTING, null, null));

        assertThat(recovery.recover()).isEqualTo(1);

        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
        assertThat(journal.find(tgt.volumeId, dom.name)).isEmpty();
    }

    @Test
    void aPlugThatReachedTheDomainIsRecordedAsAttached() {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        ConnectedVolume c = defineSecretAsConnectWould(key);
        plugAsAttachWould(c);
        journal.put(record(Phase.CONNECTED, c, null));

        recovery.recover();

        AttachmentRecord r = journal.find(tgt.volumeId, dom.name).orElseThrow();
        assertThat(r.phase()).isEqualTo(Phase.ATTACHED);
        assertThat(r.device()).isEqualTo(new GuestDevice("sdb", GuestDevice.Bus.SCSI));
        assertThat(dom.liveXml()).contains("<serial>" + tgt.volumeId + "</serial>");
        journal.remove(r);
        hypervisor.undefineSecret(c.secretUuid()); // the test leaves nothing behind (it used to leave this secret)
    }

    @Test
    void aPlugThatNeverHappenedIsUndone() {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        journal.put(record(Phase.CONNECTED, defineSecretAsConnectWould(key), null));

        recovery.recover();

        assertThat(journal.find(tgt.volumeId, dom.name)).isEmpty();
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
    }

    /** On the qemu path the connect's outcome is journalled before the secret exists: what it says is what it makes. */
    @Test
    void theQemuConnectMakesExactlyWhatItPlannedAndThePlanTouchesNothing() throws Exception {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        ConnectionInfo info = parser.parse(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(tgt.connectionInfo()));

        ConnectedVolume planned = qemuIscsi.planned(key, tgt.volumeId, info).orElseThrow();
        assertThat(Host.secretUsages()).as("planning defines nothing").noneMatch(u -> u.contains(key));

        assertThat(qemuIscsi.connect(key, tgt.volumeId, info)).isEqualTo(planned);
        assertThat(hypervisor.secretExists(planned.secretUuid())).isTrue();
        hypervisor.undefineSecret(planned.secretUuid());
    }

    /** A crash between that journal write and the secret's definition: the undo finds no secret, and is done. */
    @Test
    void aPlannedConnectCutBeforeItsSecretExistedIsUndone() {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        ConnectedVolume planned = defineSecretAsConnectWould(key);
        hypervisor.undefineSecret(planned.secretUuid());
        journal.put(record(Phase.CONNECTED, planned, null));

        assertThat(recovery.recover()).isEqualTo(1);

        assertThat(journal.find(tgt.volumeId, dom.name)).isEmpty();
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
    }

    @Test
    void anInterruptedDetachIsFinished() {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        ConnectedVolume c = defineSecretAsConnectWould(key);
        String xml = plugAsAttachWould(c);
        journal.put(record(Phase.DETACHING, c, xml));

        recovery.recover();

        assertThat(journal.find(tgt.volumeId, dom.name)).isEmpty();
        assertThat(dom.liveXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(dom.persistentXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
    }

    /** A rollback that failed while libvirtd was away (seen in the soak) is finished by the next settle pass. */
    @Test
    void aPendingRollbackIsSettledWithoutARestart() {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        ConnectedVolume c = defineSecretAsConnectWould(key);
        plugAsAttachWould(c);
        journal.put(record(Phase.ROLLBACK_PENDING, c, null));

        assertThat(recovery.settleUnfinished()).isEqualTo(1);

        assertThat(journal.find(tgt.volumeId, dom.name)).isEmpty();
        assertThat(dom.liveXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
    }

    /** A detach that stopped half-way (libvirtd away mid-call) is finished by the next settle pass. */
    @Test
    void aHalfDoneDetachIsFinishedWithoutARestart() {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        ConnectedVolume c = defineSecretAsConnectWould(key);
        String xml = plugAsAttachWould(c);
        journal.put(record(Phase.DETACHING, c, xml));

        assertThat(recovery.settleUnfinished()).isEqualTo(1);

        assertThat(journal.find(tgt.volumeId, dom.name)).isEmpty();
        assertThat(dom.liveXml()).doesNotContain(tgt.volumeId.toString());
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
    }

    /** A connect whose journal write failed (a full state disk, seen in the soak) is undone by the settle pass. */
    @Test
    void aConnectLeftBehindIsUndoneWithoutARestart() {
        String key = AttachmentRecord.key(tgt.volumeId, dom.name);
        defineSecretAsConnectWould(key);
        journal.put(record(Phase.CONNECTING, null, null));

        assertThat(recovery.settleUnfinished()).isEqualTo(1);

        assertThat(journal.find(tgt.volumeId, dom.name)).isEmpty();
        assertThat(Host.secretUsages()).noneMatch(u -> u.contains(tgt.volumeId.toString()));
    }
}
