package org.tether.compute.libvirt;

import org.junit.jupiter.api.Test;
import org.tether.disk.GuestDevice;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The decision logic of plugging from the known view of a domain: a libvirt that keeps one running persistent
 * domain's disks (refusing a second disk at a target, as libvirt does) and counts reads. That the real events
 * arrive and a real libvirt refuses is for the lab tests ({@code AttachQemuPathLabTest}).
 */
class KnownDomainsTest {
    private final List<String[]> disks = new ArrayList<>(); // {target, alias, serial}
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicInteger attaches = new AtomicInteger();
    private final AtomicReference<DeviceEvents> events = new AtomicReference<>();
    private boolean eventsAvailable = true;
    private java.time.Instant awaySince;
    private boolean refuseAll;

    private final Hypervisor libvirt = (Hypervisor) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {Hypervisor.class}, (proxy, method, args) -> switch (method.getName()) {
                case "unavailableSince" -> java.util.Optional.ofNullable(awaySince);
                case "onDeviceEvents" -> {
                    if (!eventsAvailable) {
                        throw new IllegalStateException("no events");
                    }
                    events.set((DeviceEvents) args[0]);
                    yield (AutoCloseable) () -> events.set(null);
                }
                case "view" -> {
                    reads.incrementAndGet();
                    yield new Hypervisor.DomainView(new DomainState("dom", true, true), domain(), domain());
                }
                case "attachDevice" -> {
                    attaches.incrementAndGet();
                    if (refuseAll) {
                        throw new HypervisorException(HypervisorException.Kind.TARGET_UNREACHABLE, "target unreachable",
                                null);
                    }
                    DiskXml d = LibvirtXml.readDisk((String) args[1]);
                    if (disks.stream().anyMatch(x -> x[0].equals(d.targetDev()) || x[1].equals(d.aliasName()))) {
                        throw new HypervisorException(HypervisorException.Kind.OTHER, "target "
                                + d.targetDev() + " already exists", null);
                    }
                    disks.add(new String[] {d.targetDev(), d.aliasName(), d.serial});
                    yield null;
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });

    private final KnownDomains known = new KnownDomains(libvirt);
    private final DiskHotplug hotplug = new DiskHotplug(libvirt, new DeviceRemovals(libvirt), known,
            Duration.ofMillis(10));

    private DomainXml domain() {
        StringBuilder xml = new StringBuilder("<domain type='qemu' id='1'><name>dom</name><devices>");
        for (String[] d : disks) {
            xml.append("<disk type='file' device='disk'><target dev='").append(d[0]).append("' bus='scsi'/>")
                    .append("<serial>").append(d[2]).append("</serial><alias name='").append(d[1])
                    .append("'/></disk>");
        }
        return LibvirtXml.readDomain(xml.append("</devices></domain>").toString());
    }

    private static DiskXml disk(GuestDevice dev, String volume) {
        return LibvirtXml.readDisk("<disk type='file' device='disk'><target dev='" + dev.dev() + "' bus='scsi'/><serial>" + volume
                + "</serial><alias name='ua-" + volume + "'/></disk>");
    }

    /** The attach's own check, run again on a fresh read when the plug from the known view was refused. */
    private static void refuseForeign(DiskHotplug.Reading r, String volume) {
        if (r.find("ua-" + volume, volume).isPresent()) {
            throw new TetherException(ErrorCode.ATTACHMENT_CONFLICT, "volume_id", "someone else's disk of " + volume);
        }
    }

    private String attach(String volume) {
        try (DiskHotplug.Reading r = hotplug.read("dom", true)) {
            refuseForeign(r, volume);
            return r.plug(null, GuestDevice.Bus.SCSI, dev -> disk(dev, volume), fresh -> refuseForeign(fresh, volume))
                    .device().dev();
        }
    }

    @Test
    void afterTheFirstReadAnAttachPicksItsNameFromWhatTheAgentKnowsWithoutReadingTheDomain() {
        assertThat(attach("v1")).isEqualTo("sda");
        assertThat(attach("v2")).isEqualTo("sdb");
        assertThat(attach("v3")).isEqualTo("sdc");

        assertThat(reads.get()).as("one read: the first").isEqualTo(1);
        assertThat(attaches.get()).isEqualTo(3);
    }

    @Test
    void aNameSomeoneElseTookUnseenIsRefusedByLibvirtAndTheAttachIsMadeAgainFromAFreshRead() {
        attach("v1");
        disks.add(new String[] {"sdb", "virtio-disk9", "theirs"}); // virsh attach-device --config: no event

        assertThat(attach("v2")).isEqualTo("sdc");

        assertThat(reads.get()).isEqualTo(2);
        assertThat(attaches.get()).as("sdb refused, then sdc").isEqualTo(3);
        assertThat(attach("v3")).as("known again after the fresh read").isEqualTo("sdd");
        assertThat(reads.get()).isEqualTo(2);
    }

    /** A refusal that the fresh read does not explain (QEMU cannot reach the target) is the answer: no second try. */
    @Test
    void aRefusalWhenNothingChangedIsThrownAsItIsWithoutASecondPlug() {
        attach("v1");
        refuseAll = true;

        assertThatThrownBy(() -> attach("v2")).isInstanceOf(HypervisorException.class).hasMessageContaining("unreachable");
        assertThat(attaches.get()).as("one refused plug, not two").isEqualTo(2);
        assertThat(reads.get()).isEqualTo(2);
    }

    @Test
    void aDiskOfTheVolumeSomeoneElseAddedIsFoundByTheRecheckAfterTheRefusal() {
        attach("v1");
        disks.add(new String[] {"sdb", "ua-v2", "v2"}); // the volume's own alias, put there by someone else

        assertThatThrownBy(() -> attach("v2")).isInstanceOf(TetherException.class)
                .satisfies(e -> assertThat(((TetherException) e).code()).isEqualTo(ErrorCode.ATTACHMENT_CONFLICT));
        assertThat(disks).hasSize(2);
    }

    @Test
    void aDeviceSomeoneElseAddedOrALifecycleEventOrANewConnectionMakesTheNextAttachReadTheDomain() {
        attach("v1");
        events.get().added("dom", "ua-v1"); // this agent's own disk: nothing to forget
        attach("v2");
        assertThat(reads.get()).isEqualTo(1);

        disks.add(new String[] {"sdc", "ua-v3", "v3"});
        events.get().added("dom", "ua-v3");
        assertThatThrownBy(() -> attach("v3")).as("found on the fresh read, before anything is plugged")
                .isInstanceOf(TetherException.class);
        assertThat(reads.get()).isEqualTo(2);
        assertThat(attaches.get()).isEqualTo(2);

        events.get().lifecycle("dom");
        attach("v4");
        assertThat(reads.get()).isEqualTo(3);

        events.get().reconnected();
        attach("v5");
        assertThat(reads.get()).isEqualTo(4);
    }

    @Test
    void anUnplugThatEndedTakesTheDiskOutOfTheKnownViewSoItsNameIsFreeAgain() {
        attach("v1");
        attach("v2");
        disks.removeIf(d -> d[1].equals("ua-v1"));
        known.unplugged("dom", "ua-v1");

        assertThat(attach("v3")).isEqualTo("sda");
        assertThat(reads.get()).isEqualTo(1);
    }

    /** libvirtd away: the attach reads the domain (and answers 503) before anything is journalled or made. */
    @Test
    void whileLibvirtIsKnownToBeAwayTheKnownViewIsNotUsed() {
        attach("v1");
        awaySince = java.time.Instant.now();

        assertThat(known.get("dom")).isEmpty();
        awaySince = null;
        assertThat(known.get("dom")).isPresent();
    }

    @Test
    void withoutLibvirtsEventsNothingIsKeptAndEveryAttachReadsTheDomain() {
        eventsAvailable = false;
        attach("v1");
        attach("v2");

        assertThat(reads.get()).isEqualTo(2);
        assertThat(known.get("dom")).isEmpty();
    }

    @Test
    void aStoppedOrTransientDomainIsNeverPluggedFromWhatWasKnown() {
        known.put("dom", new Hypervisor.DomainView(new DomainState("dom", false, true), domain(), domain()));
        known.put("other", new Hypervisor.DomainView(new DomainState("other", true, false), domain(), domain()));

        assertThat(known.get("dom")).isEmpty();
        assertThat(known.get("other")).isEmpty();
    }
}
