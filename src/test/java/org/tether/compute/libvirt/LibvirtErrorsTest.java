package org.tether.compute.libvirt;

import org.junit.jupiter.api.Test;
import org.libvirt.Error;
import org.tether.error.ErrorCode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How libvirt's messages are read, with the messages libvirt 9.0 and QEMU 7.2 print here (collected from
 * runs with libvirtd killed and tgtd killed under the agent).
 */
class LibvirtErrorsTest {

    @Test
    void aSocketFailureMidCallIsALostConnectionNotARefusal() {
        assertThat(LibvirtConnection.isConnectionLost(Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR,
                "Cannot write data: Broken pipe")).isTrue();
        assertThat(LibvirtConnection.isConnectionLost(Error.ErrorNumber.VIR_ERR_INTERNAL_ERROR,
                "internal error: client socket is closed")).isTrue();
        assertThat(LibvirtConnection.isConnectionLost(Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR,
                "Cannot recv data: Connection reset by peer")).isTrue();
        assertThat(LibvirtConnection.isConnectionLost(Error.ErrorNumber.VIR_ERR_INVALID_ARG,
                "invalid argument: disk 'sdz' was not found in the domain config")).isFalse();
    }

    @Test
    void aNativeCallsErrorIsClassifiedByItsLibvirtNumber() {
        int systemError = Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR.ordinal();
        assertThat(Error.ErrorNumber.values()[38]).as("libvirt's own numbering").isEqualTo(Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR);
        assertThat(LibvirtConnection.nativeFailure(systemError, "Cannot write data: Broken pipe",
                m -> new IllegalStateException(m))).isInstanceOf(LibvirtConnection.LostConnection.class);
        assertThat(LibvirtConnection.nativeFailure(Error.ErrorNumber.VIR_ERR_INVALID_ARG.ordinal(),
                "invalid argument: bad disk", m -> new IllegalStateException(m)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(LibvirtConnection.nativeFailure(-1, "", m -> new IllegalStateException(m)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void qemuNotReachingAnIscsiTargetIsRetryable() {
        String qemu = "internal error: unable to execute QEMU command 'blockdev-add': iSCSI: Failed to connect to "
                + "LUN : iscsi_service failed with : iscsi_service_reconnect_if_loggedin. Can not reconnect right now.";
        assertThat(LibvirtConnection.isNetworkDiskUnreachable(qemu)).isTrue();
        assertThat(LibvirtConnection.isNetworkDiskUnreachable("unsupported configuration: bad disk")).isFalse();
        assertThat(LibvirtConnection.isNetworkDiskUnreachable("internal error: unable to execute QEMU command "
                + "'blockdev-add': iSCSI: Failed to connect to LUN : Failed to log in to target. Status: "
                + "Authentication failure(513)")).as("a wrong CHAP password is not retried").isFalse();
        HypervisorException e = new HypervisorException(HypervisorException.Kind.TARGET_UNREACHABLE, qemu, null);
        assertThat(e.code()).isEqualTo(ErrorCode.TARGET_UNAVAILABLE);
        assertThat(e.code().status()).isEqualTo(503);
    }

    @Test
    void anObjectLeftByAnInterruptedHotplugIsRetryable() {
        String soak = "internal error: unable to execute QEMU command 'object-add': attempt to add duplicate property "
                + "'libvirt-132-storage-auth-secret0' to object (type 'container')";
        assertThat(LibvirtConnection.isLeftoverOfInterruptedHotplug(soak)).isTrue();
        assertThat(LibvirtConnection.isLeftoverOfInterruptedHotplug("invalid argument: bad")).isFalse();
    }
}
