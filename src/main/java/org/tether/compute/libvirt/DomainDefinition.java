package org.tether.compute.libvirt;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;
import jakarta.xml.bind.annotation.XmlType;
import jakarta.xml.bind.annotation.XmlValue;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code <domain>} Tether defines for an instance that boots from a volume: what Nova's libvirt driver
 * writes for a boot-from-volume server, reduced to what a volume-backed guest needs. Written, never read.
 */
@XmlRootElement(name = "domain")
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(propOrder = {"name", "metadata", "memory", "vcpu", "os", "features", "devices"})
public class DomainDefinition {
    /** Marks the domains Tether created, so an operator (and reconciliation) can tell them apart. */
    public static final String NAMESPACE = "urn:tether:instance:1";

    @XmlAttribute
    public String type;
    public String name;
    public Metadata metadata;
    public Memory memory;
    public int vcpu;
    public Os os;
    public Features features = new Features();
    public Devices devices = new Devices();

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Metadata {
        @XmlElement(namespace = NAMESPACE)
        public Instance instance;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Instance {
        @XmlAttribute(name = "created-by")
        public String createdBy;
        @XmlAttribute(name = "boot-volume")
        public String bootVolume;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Memory {
        @XmlAttribute public String unit;
        @XmlValue public long value;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    @XmlType(propOrder = {"type", "firmware"})
    public static class Os {
        /** {@code efi}: libvirt picks OVMF from the firmware descriptors and gives the domain its own NVRAM. */
        @XmlAttribute(name = "firmware") public String firmwareKind;
        public OsType type;
        public Firmware firmware;
    }

    /** Firmware features libvirt's autoselection must match ({@code secure-boot} off for unsigned loaders). */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Firmware {
        @XmlElement(name = "feature")
        public List<FirmwareFeature> features = new ArrayList<>();
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class FirmwareFeature {
        @XmlAttribute public String enabled;
        @XmlAttribute public String name;

        public FirmwareFeature() {
        }

        public FirmwareFeature(String name, boolean enabled) {
            this.name = name;
            this.enabled = enabled ? "yes" : "no";
        }
    }

    /** A virtio random number generator fed from the host's /dev/urandom, as Nova's hw_rng_model gives. */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Rng {
        @XmlAttribute public String model;
        public RngBackend backend;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class RngBackend {
        @XmlAttribute public String model;
        @XmlValue public String value;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class OsType {
        @XmlAttribute public String arch;
        @XmlAttribute public String machine;
        @XmlValue public String value;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Features {
        public DiskXml.Empty acpi = new DiskXml.Empty();
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    @XmlType(name = "definitionDevices", propOrder = {"controllers", "disks", "interfaces", "serial", "console", "rng"})
    public static class Devices {
        @XmlElement(name = "controller")
        public List<Controller> controllers = new ArrayList<>();
        @XmlElement(name = "disk")
        public List<DiskXml> disks = new ArrayList<>();
        @XmlElement(name = "interface")
        public List<Interface> interfaces = new ArrayList<>();
        public Serial serial;
        public Console console;
        public Rng rng;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Controller {
        @XmlAttribute public String type;
        @XmlAttribute public String model;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Interface {
        @XmlAttribute public String type;
        public Source source;
        public Model model;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    @XmlType(name = "interfaceSource")
    public static class Source {
        @XmlAttribute public String network;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Model {
        @XmlAttribute public String type;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Serial {
        @XmlAttribute public String type;
        public Log log;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Log {
        @XmlAttribute public String file;
        @XmlAttribute public String append;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Console {
        @XmlAttribute public String type;
    }
}
