package org.tether.compute.attach;

import org.tether.disk.AttachPath;
import org.tether.disk.VolumeConnector;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.tether.connection.ConnectionInfo;
import org.tether.error.TetherException;

import java.util.List;

/** Finds the connector for an attach path and a transport. */
@ApplicationScoped
public class Connectors {
    private final List<VolumeConnector> all;

    @Inject
    public Connectors(Instance<VolumeConnector> connectors) {
        this(connectors.stream().toList());
    }

    public Connectors(List<VolumeConnector> all) {
        this.all = List.copyOf(all);
    }

    public VolumeConnector forAttach(AttachPath path, ConnectionInfo info) {
        return all.stream().filter(c -> c.path() == path && c.supports(info)).findFirst()
                .orElseThrow(() -> TetherException.invalid("attach_path", "attach_path " + path.wire()
                        + " cannot attach " + info.driverVolumeType() + " volumes"));
    }

    /**
     * For a journal record (disconnect, check, resize): its path and transport decide. Records written
     * before transports other than iSCSI existed carry iSCSI.
     */
    public VolumeConnector forRecord(org.tether.state.AttachmentRecord record) {
        return forRecorded(record.attachPath(), record.driverVolumeType() == null ? "iscsi" : record.driverVolumeType());
    }

    /** The connector that made a recorded connection of {@code type} on {@code path}. */
    public VolumeConnector forRecorded(AttachPath path, String type) {
        return all.stream().filter(c -> c.path() == path && c.driverVolumeType().equals(type))
                .findFirst().orElseThrow(() -> new IllegalStateException("no connector for attach path "
                        + path + " and " + type));
    }
}
