package org.tether.compute.libvirt;

import jakarta.xml.bind.JAXBContext;
import jakarta.xml.bind.JAXBException;
import jakarta.xml.bind.Marshaller;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import java.io.StringReader;
import java.io.StringWriter;

/** JAXB marshalling of {@link DiskXml} and reading of {@link DomainXml}. Thread-safe. */
public final class LibvirtXml {
    private static final JAXBContext CONTEXT;
    /** Apart: DomainDefinition is also a {@code <domain>} root and would shadow DomainXml when reading. */
    private static final JAXBContext DEFINITIONS;
    private static final XMLInputFactory INPUT = XMLInputFactory.newFactory();

    static {
        try {
            CONTEXT = JAXBContext.newInstance(DiskXml.class, DomainXml.class);
            DEFINITIONS = JAXBContext.newInstance(DomainDefinition.class);
        } catch (JAXBException e) {
            throw new ExceptionInInitializerError(e);
        }
        // libvirt never sends DTDs; refusing them closes the XXE door
        INPUT.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        INPUT.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    }

    private LibvirtXml() {
    }

    public static String write(DiskXml disk) {
        return marshal(CONTEXT, disk, "disk");
    }

    public static String write(DomainDefinition domain) {
        return marshal(DEFINITIONS, domain, "domain");
    }

    private static String marshal(JAXBContext context, Object root, String what) {
        try {
            Marshaller m = context.createMarshaller();
            m.setProperty(Marshaller.JAXB_FORMATTED_OUTPUT, true);
            m.setProperty(Marshaller.JAXB_FRAGMENT, true);
            StringWriter out = new StringWriter();
            m.marshal(root, out);
            return out.toString().strip() + "\n";
        } catch (JAXBException e) {
            throw new TetherException(ErrorCode.INTERNAL, "cannot write " + what + " XML", e);
        }
    }

    public static DomainXml readDomain(String xml) {
        return read(xml, DomainXml.class, "domain");
    }

    /** A disk Tether wrote earlier (the journal keeps it). */
    public static DiskXml readDisk(String xml) {
        return read(xml, DiskXml.class, "disk");
    }

    private static <T> T read(String xml, Class<T> type, String what) {
        try {
            return type.cast(CONTEXT.createUnmarshaller()
                    .unmarshal(INPUT.createXMLStreamReader(new StringReader(xml))));
        } catch (JAXBException | XMLStreamException | ClassCastException e) {
            throw new TetherException(ErrorCode.HYPERVISOR_ERROR, "cannot read " + what + " XML", e);
        }
    }
}
