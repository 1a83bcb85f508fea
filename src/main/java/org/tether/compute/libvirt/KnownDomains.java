package org.tether.compute.libvirt;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each domain's state and disks as this agent last read them, changed by its own plugs and unplugs since: an attach
 * picks its device name from it without reading the domain (four libvirt round trips, a tenth of an attach).
 * It can be behind what others did (an operator's {@code virsh attach-device --config} sends no event), so it
 * is only ever a guess that libvirt checks: a plug made from it that libvirt refuses is made again from a fresh
 * read ({@link DiskHotplug}). libvirt's events keep it close: a lifecycle event (started, stopped, defined,
 * undefined, migrated) or a device this agent did not add forgets the domain; a new libvirt connection (events
 * may have been missed) forgets all. Without events nothing is kept, and every attach reads the domain. What it
 * cannot see: a change with no event that libvirt would not refuse either (a second disk of a volume put into a
 * running domain's definition only, under an alias of its own), until the domain is next read.
 */
@ApplicationScoped
public class KnownDomains implements DeviceEvents {
    private static final Logger LOG = Logger.getLogger(KnownDomains.class);

    private final Hypervisor hypervisor;
    private final Map<String, Hypervisor.DomainView> views = new ConcurrentHashMap<>();
    /** domain + NUL + alias of the plugs under way: their device-added events are this agent's own. */
    private final Set<String> plugging = ConcurrentHashMap.newKeySet();
    private volatile Boolean subscribed;

    public KnownDomains(Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    /**
     * The view as last known, when events keep it (subscribed once, at the first use), and only of a domain that
     * runs with a definition: a plug from it asks for {@code LIVE|CONFIG}, which libvirt refuses if the domain has
     * stopped or lost its definition since. A stopped or transient one is read (a plug into it asks for less, which
     * libvirt would grant even if the domain had started or been defined meanwhile).
     */
    public Optional<Hypervisor.DomainView> get(String domain) {
        if (hypervisor.unavailableSince().isPresent() || !subscribed()) {
            return Optional.empty(); // libvirtd away: the read answers 503 before anything is done
        }
        Hypervisor.DomainView v = views.get(domain);
        return v != null && v.state().active() && v.state().persistent() ? Optional.of(v) : Optional.empty();
    }

    /** A view just read from libvirt. */
    public void put(String domain, Hypervisor.DomainView view) {
        if (subscribed()) {
            views.put(domain, view);
        }
    }

    public void forget(String domain) {
        views.remove(domain);
    }

    /** A plug under way, marked until closed. */
    public interface Plugging extends AutoCloseable {
        @Override
        void close();
    }

    /** Marks a plug of {@code alias} under way (its device-added event is expected); close when it returned. */
    public Plugging plugging(String domain, String alias) {
        String key = key(domain, alias);
        plugging.add(key);
        return () -> plugging.remove(key);
    }

    /** Whether two reads of a domain tell the same about it: its state, and the names and aliases of its disks. */
    public static boolean same(Hypervisor.DomainView a, Hypervisor.DomainView b) {
        return a.state().equals(b.state()) && names(a.live()).equals(names(b.live()))
                && names(a.persistent()).equals(names(b.persistent()));
    }

    private static Set<String> names(DomainXml dom) {
        Set<String> names = new java.util.HashSet<>();
        dom.disks().forEach(d -> {
            names.add("dev:" + d.targetDev());
            names.add("alias:" + d.aliasName());
            names.add("serial:" + d.serial);
        });
        return names;
    }

    /** This agent plugged {@code disk} with {@code scope}: the known view gets it. */
    public void plugged(String domain, DiskXml disk, Set<Hypervisor.Scope> scope) {
        views.computeIfPresent(domain, (d, v) -> {
            DomainXml persistent = scope.contains(Hypervisor.Scope.CONFIG) ? with(v.persistent(), disk) : v.persistent();
            DomainXml live = !v.state().active() ? persistent
                    : scope.contains(Hypervisor.Scope.LIVE) ? with(v.live(), disk) : v.live();
            return new Hypervisor.DomainView(v.state(), live, persistent);
        });
    }

    /** This agent took the disk {@code alias} out of the running domain and its definition. */
    public void unplugged(String domain, String alias) {
        views.computeIfPresent(domain, (d, v) -> {
            DomainXml persistent = without(v.persistent(), alias);
            DomainXml live = v.state().active() ? without(v.live(), alias) : persistent;
            return new Hypervisor.DomainView(v.state(), live, persistent);
        });
    }

    @Override
    public void removed(String domain, String alias) {
        // gone from the running domain; whether the definition still has it is the unplug's to say
        views.computeIfPresent(domain, (d, v) -> new Hypervisor.DomainView(v.state(), without(v.live(), alias),
                v.state().active() ? v.persistent() : without(v.persistent(), alias)));
    }

    @Override
    public void added(String domain, String alias) {
        if (plugging.contains(key(domain, alias))) {
            return;
        }
        Hypervisor.DomainView v = views.get(domain);
        if (v != null && v.live().disks().stream().noneMatch(disk -> alias.equals(disk.aliasName()))) {
            LOG.debugf("libvirt: device %s added to %s by someone else; its view is read again", alias, domain);
            views.remove(domain);
        }
    }

    @Override
    public void lifecycle(String domain) {
        views.remove(domain);
    }

    @Override
    public void reconnected() {
        views.clear();
    }

    private boolean subscribed() {
        Boolean s = subscribed;
        if (s == null) {
            synchronized (this) {
                if (subscribed == null) {
                    try {
                        hypervisor.onDeviceEvents(this);
                        subscribed = true;
                    } catch (RuntimeException e) {
                        // libvirtd away: asked again at the next use, and meanwhile nothing is kept
                        LOG.debugf("no libvirt events yet (%s): this attach reads its domain", e.getMessage());
                        return false;
                    }
                }
                s = subscribed;
            }
        }
        return s;
    }

    private static DomainXml with(DomainXml dom, DiskXml disk) {
        List<DiskXml> disks = new ArrayList<>(dom.disks());
        disks.add(disk);
        return copy(dom, disks);
    }

    private static DomainXml without(DomainXml dom, String alias) {
        List<DiskXml> disks = new ArrayList<>(dom.disks());
        disks.removeIf(d -> alias.equals(d.aliasName()));
        return copy(dom, disks);
    }

    /** Views are never changed in place: a reader holding one keeps what it read. */
    private static DomainXml copy(DomainXml dom, List<DiskXml> disks) {
        DomainXml c = new DomainXml();
        c.id = dom.id;
        c.name = dom.name;
        c.devices = new DomainXml.Devices();
        c.devices.disks = disks;
        return c;
    }

    private static String key(String domain, String alias) {
        return domain + "\u0000" + alias;
    }
}
