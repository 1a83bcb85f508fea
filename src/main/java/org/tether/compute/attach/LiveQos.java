package org.tether.compute.attach;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DiskXmlFactory;
import org.tether.compute.libvirt.DomainState;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.compute.libvirt.LibvirtXml;
import org.tether.qos.QosKey;
import org.tether.qos.QosSpec;
import org.tether.qos.QosSpecParser;
import org.tether.state.AttachmentJournal;
import org.tether.state.AttachmentRecord;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Changes the throttling of an attached disk in place: the running QEMU and the persistent definition
 * both, through {@code virDomainSetBlockIoTune}. The new specs replace the old ones entirely: every
 * limit not given is set to 0 (unlimited), as a fresh attach with those specs would have it.
 */
@ApplicationScoped
public class LiveQos {
    private static final Logger LOG = Logger.getLogger(LiveQos.class);

    private final AttachedDisks disks;
    private final AttachmentLocks locks;
    private final Hypervisor hypervisor;
    private final AttachmentJournal journal;
    private final Clock clock;

    public LiveQos(AttachedDisks disks, AttachmentLocks locks, Hypervisor hypervisor, AttachmentJournal journal,
                   Clock clock) {
        this.disks = disks;
        this.locks = locks;
        this.hypervisor = hypervisor;
        this.journal = journal;
        this.clock = clock;
    }

    /** What the domain runs with after the change, as libvirt reads it back. */
    public record Applied(AttachmentRecord attachment, Map<String, Object> live, Map<String, Object> persistent,
                          List<String> ignoredKeys) {
    }

    public Applied change(UUID volumeId, String domain, JsonNode qosSpecs) {
        QosSpec spec = QosSpecParser.parse(qosSpecs, "qos_specs");
        try (var held = locks.volume(volumeId)) {
            AttachmentRecord r = disks.require(volumeId, domain);
            DomainState state = hypervisor.domainState(domain);
            String dev = r.device().dev();
            hypervisor.setBlockIoTune(domain, dev, parameters(spec), state.hotplugScope());
            AttachmentRecord updated = r.withDisk(r.device(), withIotune(r.diskXml(), spec), clock.instant());
            journal.put(updated);
            LOG.infof("changed QoS of volume %s in %s (%s): %s", volumeId, domain, dev, spec.limits());
            Map<String, Object> live = state.active()
                    ? hypervisor.blockIoTune(domain, dev, Hypervisor.Scope.LIVE) : Map.of();
            Map<String, Object> persistent = state.persistent()
                    ? hypervisor.blockIoTune(domain, dev, Hypervisor.Scope.CONFIG) : Map.of();
            return new Applied(updated, live, persistent, spec.ignoredKeys());
        }
    }

    /** Every limit, 0 where the spec has none, so nothing of the old specs survives. */
    static Map<String, Object> parameters(QosSpec spec) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (QosKey key : QosKey.values()) {
            params.put(key.wire(), spec.limits().getOrDefault(key, 0L));
        }
        if (spec.groupName() != null) {
            params.put(QosKey.GROUP_NAME, spec.groupName());
        }
        return params;
    }

    private static String withIotune(String diskXml, QosSpec spec) {
        if (diskXml == null) {
            return null;
        }
        DiskXml disk = LibvirtXml.readDisk(diskXml);
        disk.iotune = DiskXmlFactory.iotune(spec);
        return LibvirtXml.write(disk);
    }
}
