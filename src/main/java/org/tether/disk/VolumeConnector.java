package org.tether.disk;

import org.tether.connection.ConnectionInfo;
import org.tether.connection.IscsiPath;

import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Makes a volume reachable on this host and takes it away again: one implementation per transport and
 * attach path, as os-brick has one connector per protocol.
 */
public interface VolumeConnector {

    AttachPath path();

    /** The {@code driver_volume_type} it connects, as journal records name it. */
    String driverVolumeType();

    boolean supports(ConnectionInfo info);

    /**
     * Connects. On failure it undoes what it did itself before throwing.
     *
     * @param attachmentKey a stable name of the attachment, for host objects that need one
     */
    ConnectedVolume connect(String attachmentKey, UUID volumeId, ConnectionInfo info);

    /**
     * What {@link #connect} will answer, when it can be known without asking the host (nothing is discovered:
     * QEMU's own clients get a libvirt secret whose UUID the attachment's key names). Then the journal records
     * it once, before the host is touched, and a recovery can both undo the connect (a secret that was never
     * defined is no error) and finish an attachment whose disk reached the domain. Empty when only the connect
     * itself can say (a kernel session finds its device); the connect must answer exactly what this answered.
     */
    default java.util.Optional<ConnectedVolume> planned(String attachmentKey, UUID volumeId, ConnectionInfo info) {
        return java.util.Optional.empty();
    }

    /**
     * Undoes {@link #connect}. Must be safe to call again after a partial run or a restart, from the
     * journal's record alone: the paths it reached, never their credentials.
     */
    void disconnect(List<IscsiPath> paths, ConnectedVolume connected);

    /**
     * Undoes a connect that a crash interrupted before the journal recorded what it made: from the
     * attachment's key (which names any secret it defines) and the paths alone.
     */
    default void disconnectInterrupted(String attachmentKey, List<IscsiPath> paths) {
        disconnect(paths, new ConnectedVolume(null, null, null, null, null));
    }

    /**
     * Makes the host see a volume the storage side grew, and returns the size the host sees now; empty
     * when the host holds no device of its own (QEMU reads the size from the target itself).
     */
    OptionalLong refreshSize(ConnectedVolume connected);

    /**
     * Compares what {@link #connect} set up with what the host has now, repairs what it can without
     * credentials (a session whose node record is still there is logged in again), and reports the rest.
     */
    HostCheck check(List<IscsiPath> paths, ConnectedVolume connected);

    /**
     * The same, told which libvirt secrets exist by {@code secretExists} (a reconciliation pass lists them once,
     * so a pass asks libvirt O(1) times about secrets, not once per attachment).
     */
    default HostCheck check(List<IscsiPath> paths, ConnectedVolume connected,
                            java.util.function.Predicate<java.util.UUID> secretExists) {
        return check(paths, connected);
    }

    /** The outcome of {@link #check}: drift found and the connection as it is after repairs. */
    record HostCheck(List<Drift> drift, ConnectedVolume connected) {
        public HostCheck {
            drift = List.copyOf(drift);
        }
    }
}
