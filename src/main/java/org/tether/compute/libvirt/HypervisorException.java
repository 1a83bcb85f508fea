package org.tether.compute.libvirt;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

/** A hypervisor refusal, classified for the callers that must tell "already gone" from a real failure. */
public class HypervisorException extends TetherException {

    public enum Kind {
        /** The device to detach is not in the domain (already gone). */
        DEVICE_MISSING,
        /** QEMU still waits for the guest to acknowledge an earlier unplug request. */
        UNPLUG_PENDING,
        /** libvirtd cannot be reached (stopped, restarting): retry later, nothing was done. */
        UNAVAILABLE,
        /** QEMU could not reach a network disk's server (iSCSI portal or target): retry later. */
        TARGET_UNREACHABLE,
        OTHER
    }

    private final Kind kind;

    public HypervisorException(Kind kind, String detail, Throwable cause) {
        super(code(kind), detail, cause);
        this.kind = kind;
    }

    private static ErrorCode code(Kind kind) {
        return switch (kind) {
            case UNAVAILABLE -> ErrorCode.HYPERVISOR_UNAVAILABLE;
            case TARGET_UNREACHABLE -> ErrorCode.TARGET_UNAVAILABLE;
            default -> ErrorCode.HYPERVISOR_ERROR;
        };
    }

    public Kind kind() {
        return kind;
    }
}
