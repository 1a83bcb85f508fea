package org.tether.storage.target;

import java.util.Set;

/**
 * An iSCSI target implementation. Both calls are idempotent and never touch a target they did not create
 * (a target is Tether's when its IQN carries the configured prefix and a Tether volume's name).
 */
public interface ExportDriver {

    String name();

    /** How an export names the host it admits: an iSCSI initiator name, or an NVMe host NQN. */
    enum HostName { IQN, NQN }

    default HostName hostName() {
        return HostName.IQN;
    }

    /** The target's name for a volume when the driver names it itself (nvmet: an NQN); empty: the IQN. */
    default java.util.Optional<String> targetName(java.util.UUID volumeId) {
        return java.util.Optional.empty();
    }

    /** The LUN number the volume appears at. */
    int lun();

    /**
     * Makes an exported LUN report its volume's new size to initiators that are logged in. Absent target
     * is success.
     */
    void followResize(String iqn, String devicePath);

    /** Creates the target if missing and admits the initiator with the volume's CHAP. */
    void export(ExportSpec spec);

    /** Removes the initiator's access; removes the whole target when {@code last}. Absent is success. */
    void unexport(String iqn, String volumeName, String initiator, String chapUser, boolean last);

    /** Checks that the target implementation answers; throws saying why when it does not. */
    void probe();

    /**
     * The IQNs of the targets that exist now, from one listing; empty for a driver without targets. A
     * repair pass starts at once when fewer exist than volumes are exported.
     */
    Set<String> liveTargets();

    /** The initiators a target admits now; empty when it does not exist. */
    Set<String> initiators(String iqn);

    /** Every live target and the initiators it admits, from as few listings as the driver can. */
    default java.util.Map<String, Set<String>> liveAcls() {
        java.util.Map<String, Set<String>> out = new java.util.TreeMap<>();
        for (String iqn : liveTargets()) {
            out.put(iqn, initiators(iqn));
        }
        return out;
    }

    /**
     * What the live target lacks to serve this export, in words for the log (the target, its LUN on the
     * volume's device, a portal, the initiator's ACL and mapped LUN, the CHAP account); empty when the export
     * is whole. A repair pass puts back every export with a gap: {@link #export} completes what exists.
     */
    java.util.List<String> gaps(ExportSpec spec);

    /**
     * {@link #gaps} for many exports judged against one reading of the live target, for a repair pass over
     * hundreds of exports; what it finds is judged again with {@link #gaps} before anything is changed.
     */
    default java.util.function.Function<ExportSpec, java.util.List<String>> gapsAtOnce() {
        return this::gaps;
    }

    /**
     * The name a host's connection knows the volume's export by: the target's (IQN or NQN) for a transport with
     * targets, the image's {@code pool/image} for RBD. {@code target}: the name of the target it is served by.
     */
    default String exportName(java.util.UUID volumeId, String target) {
        return target;
    }

    /**
     * The connection_info of an export when the driver answers it itself (a transport without an iSCSI
     * target, such as RBD); empty for iSCSI, which the export service builds from the target it made.
     * {@code target}: the name of the target it is served by (a moving volume's copy has its own).
     */
    default java.util.Optional<java.util.Map<String, Object>> connectionInfo(java.util.UUID volumeId, String target,
                                                                          java.util.Map<String, String> qosSpecs) {
        return java.util.Optional.empty();
    }
}
