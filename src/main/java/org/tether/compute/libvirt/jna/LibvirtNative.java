package org.tether.compute.libvirt.jna;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * The few libvirt C calls libvirt-java 0.5.4 does not wrap: block I/O tuning, the device-removal
 * events, the guest agent's file system freeze, migration with typed parameters and its job's statistics,
 * block copy with its job, and the bulk domain statistics.
 * Each is used on pointers that libvirt-java's own connection owns; see {@link NativeConnect}.
 */
public interface LibvirtNative extends Library {
    LibvirtNative INSTANCE = Native.load("virt", LibvirtNative.class);

    int AFFECT_LIVE = 1;
    int AFFECT_CONFIG = 2;
    int EVENT_ID_DEVICE_REMOVED = 15;
    int EVENT_ID_DEVICE_REMOVAL_FAILED = 22;
    int EVENT_ID_BLOCK_JOB_2 = 16;
    int EVENT_ID_LIFECYCLE = 0;
    int EVENT_ID_DEVICE_ADDED = 19;

    /** {@code virConnectDomainEventCallback}, as event LIFECYCLE calls it. */
    interface LifecycleCallback extends Callback {
        void invoke(Pointer conn, Pointer dom, int event, int detail, Pointer opaque);
    }

    /** {@code virConnectDomainEventDeviceRemovedCallback}, also the shape of the removal-failed one. */
    interface DeviceCallback extends Callback {
        void invoke(Pointer conn, Pointer dom, String devAlias, Pointer opaque);
    }

    /** {@code virConnectDomainEventBlockJobCallback}, as event BLOCK_JOB_2 calls it: the disk by its target name. */
    interface BlockJobCallback extends Callback {
        void invoke(Pointer conn, Pointer dom, String disk, int type, int status, Pointer opaque);
    }

    Pointer virDomainLookupByName(Pointer conn, String name);

    int virDomainFree(Pointer dom);

    String virDomainGetName(Pointer dom);

    int virDomainSetBlockIoTune(Pointer dom, String disk, Pointer params, int nparams, int flags);

    int virDomainGetBlockIoTune(Pointer dom, String disk, Pointer params, IntByReference nparams, int flags);

    void virTypedParamsClear(Pointer params, int nparams);

    int virConnectDomainEventRegisterAny(Pointer conn, Pointer dom, int eventId, Callback cb, Pointer opaque,
                                         Pointer freeCb);

    int virConnectDomainEventDeregisterAny(Pointer conn, int callbackId);

    int virDomainDetachDeviceAlias(Pointer dom, String alias, int flags);

    int virDomainFSFreeze(Pointer dom, Pointer mountpoints, int nmountpoints, int flags);

    int virDomainFSThaw(Pointer dom, Pointer mountpoints, int nmountpoints, int flags);

    int virDomainGetState(Pointer dom, IntByReference state, IntByReference reason, int flags);

    int virDomainMigrateToURI3(Pointer dom, String dconnuri, Pointer params, int nparams, int flags);

    int virDomainGetJobStats(Pointer dom, IntByReference type, com.sun.jna.ptr.PointerByReference params,
                             IntByReference nparams, int flags);

    void virTypedParamsFree(Pointer params, int nparams);

    int virDomainAbortJob(Pointer dom);

    int virDomainMigrateSetMaxDowntime(Pointer dom, long downtime, int flags);

    int virDomainBlockCopy(Pointer dom, String disk, String destxml, Pointer params, int nparams, int flags);

    int virDomainGetBlockJobInfo(Pointer dom, String disk, BlockJobInfo info, int flags);

    int virDomainBlockJobAbort(Pointer dom, String disk, int flags);

    /** {@code virDomainBlockJobInfo}: type, bandwidth, cur, end. */
    @com.sun.jna.Structure.FieldOrder({"type", "bandwidth", "cur", "end"})
    class BlockJobInfo extends com.sun.jna.Structure {
        public int type;
        public com.sun.jna.NativeLong bandwidth;
        public long cur;
        public long end;
    }

    /** Every running domain's statistics of the given groups in one call: a NULL-ended array of records. */
    int virConnectGetAllDomainStats(Pointer conn, int stats, com.sun.jna.ptr.PointerByReference retStats, int flags);

    void virDomainStatsRecordListFree(Pointer stats);

    String virGetLastErrorMessage();

    int virGetLastErrorCode();
}
