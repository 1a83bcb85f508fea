package org.tether.compute.libvirt;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import java.util.ArrayList;
import java.util.List;

/** The part of a domain's XML Tether reads: its id and its disks. Everything else is ignored on unmarshal. */
@XmlRootElement(name = "domain")
@XmlAccessorType(XmlAccessType.FIELD)
public class DomainXml {
    /** libvirt writes {@code id} into the live XML of a running domain only. */
    @XmlAttribute
    public String id;

    public String name;
    public Devices devices = new Devices();

    /** Whether this live XML is a running domain's: its {@code id} is there only while it runs. */
    public boolean running() {
        return id != null && !id.isBlank() && !"-1".equals(id.trim());
    }

    public List<DiskXml> disks() {
        return devices == null ? List.of() : devices.disks;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Devices {
        @XmlElement(name = "disk")
        public List<DiskXml> disks = new ArrayList<>();
    }
}
