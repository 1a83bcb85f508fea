package org.tether.compute.libvirt;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlRootElement;

import java.util.ArrayList;
import java.util.List;

/** The part of a domain's XML Tether reads: its disks. Everything else is ignored on unmarshal. */
@XmlRootElement(name = "domain")
@XmlAccessorType(XmlAccessType.FIELD)
public class DomainXml {
    public String name;
    public Devices devices = new Devices();

    public List<DiskXml> disks() {
        return devices == null ? List.of() : devices.disks;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Devices {
        @XmlElement(name = "disk")
        public List<DiskXml> disks = new ArrayList<>();
    }
}
