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
    public static class Os {
        public OsType type;
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
    @XmlType(name = "definitionDevices", propOrder = {"controllers", "disks", "interfaces", "serial", "console"})
    public static class Devices {
        @XmlElement(name = "controller")
        public List<Controller> controllers = new ArrayList<>();
        @XmlElement(name = "disk")
        public List<DiskXml> disks = new ArrayList<>();
        @XmlElement(name = "interface")
        public List<Interface> interfaces = new ArrayList<>();
        public Serial serial;
        public Console console;
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
