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
    private static final XMLInputFactory INPUT = XMLInputFactory.newFactory();

    static {
        try {
            CONTEXT = JAXBContext.newInstance(DiskXml.class, DomainXml.class);
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
        try {
            Marshaller m = CONTEXT.createMarshaller();
            m.setProperty(Marshaller.JAXB_FORMATTED_OUTPUT, true);
            m.setProperty(Marshaller.JAXB_FRAGMENT, true);
            StringWriter out = new StringWriter();
            m.marshal(disk, out);
            return out.toString().strip() + "\n";
        } catch (JAXBException e) {
            throw new TetherException(ErrorCode.INTERNAL, "cannot write disk XML", e);
        }
    }

    public static DomainXml readDomain(String xml) {
        try {
            return (DomainXml) CONTEXT.createUnmarshaller()
                    .unmarshal(INPUT.createXMLStreamReader(new StringReader(xml)));
        } catch (JAXBException | XMLStreamException e) {
            throw new TetherException(ErrorCode.HYPERVISOR_ERROR, "cannot read domain XML from libvirt", e);
        }
    }
}
