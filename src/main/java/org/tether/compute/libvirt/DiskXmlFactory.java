package org.tether.compute.libvirt;

import org.tether.disk.DiskSource;
import org.tether.disk.GuestDevice;
import jakarta.xml.bind.JAXBElement;
import org.tether.connection.ConnectionInfo.VolumeOptions;
import org.tether.connection.Portal;
import org.tether.qos.QosKey;
import org.tether.qos.QosSpec;

import javax.xml.namespace.QName;
import java.util.Map;
import java.util.UUID;

/** Builds the {@code <disk>} Tether hot-plugs for one volume, the way Nova's libvirt driver shapes it. */
public final class DiskXmlFactory {
    public static final String ALIAS_PREFIX = "ua-";

    private DiskXmlFactory() {
    }

    public static String alias(UUID volumeId) {
        return ALIAS_PREFIX + volumeId;
    }

    public static DiskXml build(UUID volumeId, DiskSource source, GuestDevice device, VolumeOptions options,
                                boolean shareable) {
        return build(volumeId, source, device, options, shareable, null);
    }

    /** @param passphraseSecret the libvirt secret of an encrypted volume's LUKS passphrase, or null */
    public static DiskXml build(UUID volumeId, DiskSource source, GuestDevice device, VolumeOptions options,
                                boolean shareable, UUID passphraseSecret) {
        DiskXml disk = new DiskXml();
        disk.device = "disk";
        disk.driver = new DiskXml.Driver();
        disk.driver.name = "qemu";
        disk.driver.type = "raw";
        disk.driver.cache = "none";
        disk.driver.io = source instanceof DiskSource.NetworkRbd ? null : "native";
        disk.driver.discard = options.discard() ? "unmap" : null;
        source(disk, source);
        disk.target = new DiskXml.Target();
        disk.target.dev = device.dev();
        disk.target.bus = device.bus().wire();
        disk.iotune = iotune(options.qos());
        if (!options.blockSizes().isEmpty()) {
            disk.blockio = new DiskXml.BlockIo();
            disk.blockio.logicalBlockSize = options.blockSizes().logical();
            disk.blockio.physicalBlockSize = options.blockSizes().physical();
        }
        disk.readonly = options.readOnly() ? new DiskXml.Empty() : null;
        disk.shareable = shareable ? new DiskXml.Empty() : null;
        disk.serial = volumeId.toString();
        if (passphraseSecret != null) {
            disk.encryption = new DiskXml.Encryption();
            disk.encryption.format = "luks";
            disk.encryption.secret = new DiskXml.Secret();
            disk.encryption.secret.type = "passphrase";
            disk.encryption.secret.uuid = passphraseSecret.toString();
        }
        disk.alias = new DiskXml.Alias();
        disk.alias.name = alias(volumeId);
        return disk;
    }

    /**
     * The same disk reading from {@code source}: its type, source and credentials replaced; target, serial, QoS,
     * alias and the rest kept (the element of a disk that moved onto another volume).
     */
    public static DiskXml withSource(DiskXml disk, DiskSource source) {
        disk.auth = null;
        if (disk.driver != null) {
            disk.driver.io = source instanceof DiskSource.NetworkRbd ? null : "native";
        }
        source(disk, source);
        return disk;
    }

    /** Whether two disk elements read from the same place (type, device or protocol and name). */
    public static boolean sameSource(DiskXml a, DiskXml b) {
        if (a.source == null || b.source == null) {
            return false;
        }
        return java.util.Objects.equals(a.type, b.type) && java.util.Objects.equals(a.source.dev, b.source.dev)
                && java.util.Objects.equals(a.source.protocol, b.source.protocol)
                && java.util.Objects.equals(a.source.name, b.source.name);
    }

    private static void source(DiskXml disk, DiskSource source) {
        disk.source = new DiskXml.Source();
        if (source instanceof DiskSource.BlockDevice b) {
            disk.type = "block";
            disk.source.dev = b.path();
        } else if (source instanceof DiskSource.NetworkIscsi n) {
            disk.type = "network";
            disk.source.protocol = "iscsi";
            disk.source.name = n.iqn() + "/" + n.lun();
            addHosts(disk.source, n.hosts());
            if (n.initiator() != null) {
                disk.source.initiator = new DiskXml.Initiator();
                disk.source.initiator.iqn = new DiskXml.Iqn();
                disk.source.initiator.iqn.name = n.initiator();
            }
            if (n.chapUsername() != null) {
                disk.auth = new DiskXml.Auth();
                disk.auth.username = n.chapUsername();
                disk.auth.secret = new DiskXml.Secret();
                disk.auth.secret.type = "iscsi";
                disk.auth.secret.usage = n.secretUsage();
            }
        } else if (source instanceof DiskSource.NetworkRbd r) {
            // as Nova's libvirt driver writes an RBD volume: one host per monitor, the key by secret UUID
            disk.type = "network";
            disk.source.protocol = "rbd";
            disk.source.name = r.name();
            addHosts(disk.source, r.monitors());
            if (r.configFile() != null) {
                disk.source.config = new DiskXml.Config();
                disk.source.config.file = r.configFile();
            }
            if (r.username() != null) {
                disk.auth = new DiskXml.Auth();
                disk.auth.username = r.username();
                disk.auth.secret = new DiskXml.Secret();
                disk.auth.secret.type = "ceph";
                disk.auth.secret.uuid = r.secretUuid().toString();
            }
        }
    }

    private static void addHosts(DiskXml.Source source, java.util.List<Portal> hosts) {
        for (Portal p : hosts) {
            DiskXml.Host h = new DiskXml.Host();
            h.name = p.host();
            h.port = Integer.toString(p.port());
            source.hosts.add(h);
        }
    }

    public static DiskXml.IoTune iotune(QosSpec qos) {
        if (qos.isEmpty()) {
            return null;
        }
        DiskXml.IoTune tune = new DiskXml.IoTune();
        for (Map.Entry<QosKey, Long> e : qos.limits().entrySet()) {
            tune.limits.add(new JAXBElement<>(new QName(e.getKey().wire()), String.class, e.getValue().toString()));
        }
        if (qos.groupName() != null) {
            tune.limits.add(new JAXBElement<>(new QName(QosKey.GROUP_NAME), String.class, qos.groupName()));
        }
        return tune;
    }
}
