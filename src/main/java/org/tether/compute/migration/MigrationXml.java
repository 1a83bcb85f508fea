package org.tether.compute.migration;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The domain definition a destination starts: the source's, with each of Tether's disks (found by its alias) put
 * back as the destination built it for its own connection (another portal or IQN, its initiator, its CHAP or
 * cephx secret), keeping what the guest sees: the disk's PCI or drive address and its alias. Every other element
 * is left as libvirt wrote it, so libvirt's ABI check holds.
 */
public final class MigrationXml {
    private static final Set<String> KEPT = Set.of("address", "alias", "boot");

    private MigrationXml() {
    }

    /**
     * @param disks the destination's disk element per alias
     * @param required every alias must be found (the running definition); the persistent one may lack a disk
     */
    public static String rewrite(String domainXml, Map<String, String> disks, boolean required) {
        Document doc = parse(domainXml);
        Set<String> found = new HashSet<>();
        NodeList list = doc.getElementsByTagName("disk");
        for (int i = 0; i < list.getLength(); i++) {
            Element disk = (Element) list.item(i);
            String alias = alias(disk);
            String replacement = alias == null ? null : disks.get(alias);
            if (replacement == null) {
                continue;
            }
            Element fresh = (Element) doc.importNode(parse(replacement).getDocumentElement(), true);
            removeChildren(fresh, KEPT);
            for (Node c = disk.getFirstChild(); c != null; c = c.getNextSibling()) {
                if (c instanceof Element e && KEPT.contains(e.getTagName())) {
                    fresh.appendChild(e.cloneNode(true));
                }
            }
            disk.getParentNode().replaceChild(fresh, disk);
            found.add(alias);
        }
        if (required && !found.containsAll(disks.keySet())) {
            Set<String> missing = new HashSet<>(disks.keySet());
            missing.removeAll(found);
            throw new TetherException(ErrorCode.MIGRATION_UNSUPPORTED, "the running domain has no disk with alias "
                    + String.join(", ", missing) + ", which the journal says Tether attached");
        }
        return write(doc);
    }

    /** Aliases of the domain's disks, in document order. */
    public static java.util.List<String> diskAliases(String domainXml) {
        NodeList list = parse(domainXml).getElementsByTagName("disk");
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < list.getLength(); i++) {
            String a = alias((Element) list.item(i));
            if (a != null) {
                out.add(a);
            }
        }
        return out;
    }

    private static String alias(Element disk) {
        for (Node c = disk.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element e && e.getTagName().equals("alias")) {
                return e.getAttribute("name");
            }
        }
        return null;
    }

    private static void removeChildren(Element parent, Set<String> names) {
        Node c = parent.getFirstChild();
        while (c != null) {
            Node next = c.getNextSibling();
            if (c instanceof Element e && names.contains(e.getTagName())) {
                parent.removeChild(c);
            }
            c = next;
        }
    }

    private static Document parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            return b.parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            throw new TetherException(ErrorCode.INTERNAL, "unreadable domain or disk XML: " + e.getMessage(), e);
        }
    }

    private static String write(Document doc) {
        try {
            var t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter out = new StringWriter();
            t.transform(new DOMSource(doc), new StreamResult(out));
            return out.toString();
        } catch (Exception e) {
            throw new TetherException(ErrorCode.INTERNAL, "cannot write domain XML: " + e.getMessage(), e);
        }
    }
}
