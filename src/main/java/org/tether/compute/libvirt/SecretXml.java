package org.tether.compute.libvirt;

import jakarta.xml.bind.JAXBContext;
import jakarta.xml.bind.JAXBException;
import jakarta.xml.bind.Marshaller;
import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlRootElement;

import java.io.StringWriter;
import java.util.UUID;

/**
 * A libvirt secret definition. Persistent (so a domain restart after a libvirtd restart still finds it)
 * and private (its value can never be read back through the API).
 */
@XmlRootElement(name = "secret")
@XmlAccessorType(XmlAccessType.FIELD)
public class SecretXml {
    @XmlAttribute
    public String ephemeral = "no";
    @XmlAttribute(name = "private")
    public String isPrivate = "yes";
    public String uuid;
    public String description;
    public Usage usage;

    @XmlAccessorType(XmlAccessType.FIELD)
    public static class Usage {
        @XmlAttribute
        public String type;
        public String target;
        public String name;
        public String volume;
    }

    public static String iscsi(UUID uuid, String usage) {
        SecretXml s = new SecretXml();
        s.uuid = uuid.toString();
        s.description = "Tether CHAP secret";
        s.usage = new Usage();
        s.usage.type = "iscsi";
        s.usage.target = usage;
        return write(s);
    }

    /** A cephx key for QEMU's librbd: usage type ceph, named as Nova names its own ({@code client.<user> secret}). */
    public static String ceph(UUID uuid, String usageName, String description) {
        SecretXml s = new SecretXml();
        s.uuid = uuid.toString();
        s.description = description;
        s.usage = new Usage();
        s.usage.type = "ceph";
        s.usage.name = usageName;
        return write(s);
    }

    /** An encrypted volume's LUKS passphrase: usage type volume, the volume's id, as Nova defines it. */
    public static String volume(UUID uuid, UUID volumeId) {
        SecretXml s = new SecretXml();
        s.uuid = uuid.toString();
        s.description = "Tether LUKS passphrase of volume " + volumeId;
        s.usage = new Usage();
        s.usage.type = "volume";
        s.usage.volume = volumeId.toString();
        return write(s);
    }

    /** Made once: a context per call cost more than libvirt's whole secret definition. */
    private static final JAXBContext CONTEXT;

    static {
        try {
            CONTEXT = JAXBContext.newInstance(SecretXml.class);
        } catch (JAXBException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static String write(SecretXml s) {
        try {
            Marshaller m = CONTEXT.createMarshaller();
            m.setProperty(Marshaller.JAXB_FRAGMENT, true);
            StringWriter out = new StringWriter();
            m.marshal(s, out);
            return out.toString();
        } catch (JAXBException e) {
            throw new IllegalStateException(e);
        }
    }
}
