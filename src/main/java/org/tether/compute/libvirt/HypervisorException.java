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
        OTHER
    }

    private final Kind kind;

    public HypervisorException(Kind kind, String detail, Throwable cause) {
        super(kind == Kind.UNAVAILABLE ? ErrorCode.HYPERVISOR_UNAVAILABLE : ErrorCode.HYPERVISOR_ERROR, detail, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
