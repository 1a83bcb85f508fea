package org.tether.compute.libvirt;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;
import jakarta.xml.bind.annotation.XmlType;

import java.util.ArrayList;
import java.util.List;

/**
 * The libvirt {@code <disk>} element, as much of it as Tether writes or reads. Marshalled by JAXB, so every
 * value is escaped; never build disk XML from strings.
 */
@XmlRootElement(name = "disk")
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(propOrder = {"driver", "auth", "source", "target", "iotune", "blockio", "boot", "readonly",
        "shareable", "serial", "encryption", "alias"})
public class DiskXml {
    @XmlAttribute
    public String type;
    @XmlAttribute
    public String device;
    public Driver driver;
    public Auth auth;
    public Source source;
    public Target target;
    public IoTune iotune;
    public BlockIo blockio;
    /** Boot order; only the boot volume of an instance Tether defines has one. */
    public Boot boot;
    public Empty readonly;
    public Empty shareable;
    public String serial;
    public Encryption encryption;
    public Alias alias;

    public String aliasName() {
        return alias == null ? null : alias.name;
    }

    public String targetDev() {
        return target == null ? null : target.dev;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Driver {
        @XmlAttribute public String name;
        @XmlAttribute public String type;
        @XmlAttribute public String cache;
        @XmlAttribute public String io;
        @XmlAttribute public String discard;
    }

    /** {@code <encryption format='luks'><secret type='passphrase' uuid=.../></encryption>}: QEMU opens LUKS. */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Encryption {
        @XmlAttribute public String format;
        public Secret secret;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Auth {
        @XmlAttribute public String username;
        public Secret secret;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Secret {
        @XmlAttribute public String type;
        @XmlAttribute public String usage;
        @XmlAttribute public String uuid;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    @XmlType(propOrder = {"hosts", "initiator", "config"})
    public static class Source {
        @XmlAttribute public String dev;
        @XmlAttribute public String protocol;
        @XmlAttribute public String name;
        @XmlElement(name = "host")
        public List<Host> hosts = new ArrayList<>();
        public Initiator initiator;
        /** A ceph.conf QEMU's librbd reads (rbd only). */
        public Config config;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Config {
        @XmlAttribute public String file;
    }

    /** The initiator name QEMU's iSCSI client logs in with; must be the one the target's ACL names. */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Initiator {
        public Iqn iqn;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Iqn {
        @XmlAttribute public String name;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Host {
        @XmlAttribute public String name;
        @XmlAttribute public String port;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Boot {
        @XmlAttribute public Integer order;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Target {
        @XmlAttribute public String dev;
        @XmlAttribute public String bus;
    }

    /** {@code <iotune>} children in libvirt's order: numeric limits, then {@code group_name}. */
    @XmlAccessorType(XmlAccessType.FIELD)
    public static class IoTune {
        @XmlAnyElement
        public List<Object> limits = new ArrayList<>();
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class BlockIo {
        @XmlAttribute(name = "logical_block_size") public Integer logicalBlockSize;
        @XmlAttribute(name = "physical_block_size") public Integer physicalBlockSize;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Alias {
        @XmlAttribute public String name;
    }

    /** An element with no content, present or absent ({@code <readonly/>}). */
    public static class Empty {
    }
}
