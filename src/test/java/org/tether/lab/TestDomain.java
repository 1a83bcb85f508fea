package org.tether.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A real QEMU (TCG) domain with no OS: enough for hot-plug. ACPI on (else PCI hot-plug is refused) and a
 * virtio-scsi controller, because a SCSI disk unplugs without a guest's help.
 */
public final class TestDomain implements AutoCloseable {
    public enum Kind { RUNNING, SHUT_OFF, TRANSIENT }

    public final String name;

    private TestDomain(String name) {
        this.name = name;
    }

    public static TestDomain create(Kind kind) throws IOException {
        return create(kind, 64, null);
    }

    /**
     * A domain of {@code memoryMib} whose RAM holds {@code memoryImage} from 16 MiB on (QEMU's generic loader), so
     * that a live migration has that much to copy: a guest with no OS has only zero pages, which QEMU sends as flags.
     */
    public static TestDomain create(Kind kind, int memoryMib, Path memoryImage) throws IOException {
        String name = "tether-it-" + UUID.randomUUID().toString().substring(0, 8);
        Path xml = Files.createTempFile("domain", ".xml");
        String loader = memoryImage == null ? "" : """
                <qemu:commandline><qemu:arg value='-device'/>
                <qemu:arg value='loader,file=%s,addr=0x1000000,force-raw=on'/></qemu:commandline>"""
                .formatted(memoryImage.toAbsolutePath());
        Files.writeString(xml, """
                <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>%s</name>
                <memory unit='MiB'>%d</memory><vcpu>1</vcpu>
                <os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
                <devices><controller type='scsi' index='0' model='virtio-scsi'/></devices>%s</domain>"""
                .formatted(name, memoryMib, loader));
        try {
            switch (kind) {
                case RUNNING -> {
                    Host.virsh("define", xml.toString());
                    Host.virsh("start", name);
                }
                case SHUT_OFF -> Host.virsh("define", xml.toString());
                case TRANSIENT -> Host.virsh("create", xml.toString());
            }
        } finally {
            Files.deleteIfExists(xml);
        }
        return new TestDomain(name);
    }

    public String liveXml() {
        return Host.virsh("dumpxml", name);
    }

    public String persistentXml() {
        return Host.virsh("dumpxml", "--inactive", name);
    }

    public String hmp(String command) {
        return Host.virsh("qemu-monitor-command", name, "--hmp", command);
    }

    /** QEMU's own view of a block device's throttling (QMP query-block), by the qdev id of its disk. */
    public com.fasterxml.jackson.databind.JsonNode qemuBlock(String qdevId) throws IOException {
        String out = Host.virsh("qemu-monitor-command", name, "{\"execute\":\"query-block\"}");
        for (com.fasterxml.jackson.databind.JsonNode dev : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(out).get("return")) {
            String qdev = dev.path("qdev").asText();
            if (qdev.equals(qdevId) || qdev.startsWith("/machine/peripheral/" + qdevId + "/")) {
                return dev.get("inserted");
            }
        }
        throw new AssertionError("QEMU has no block device " + qdevId + ": " + out);
    }

    @Override
    public void close() {
        Host.exec("virsh", "-c", "qemu:///system", "destroy", name);
        Host.exec("virsh", "-c", "qemu:///system", "undefine", name);
    }
}
