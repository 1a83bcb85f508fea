package org.tether.compute.libvirt;

import org.tether.disk.GuestDevice;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.concurrent.Deadline;
import org.tether.concurrent.KeyedLocks;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.metrics.StepTimes;

import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Puts a disk into a domain and takes it out again. Holds the domain's lock while it picks a device name
 * and plugs, so two attaches to one domain never pick the same name; different domains never wait on
 * each other.
 */
@ApplicationScoped
public class DiskHotplug {
    private static final Logger LOG = Logger.getLogger(DiskHotplug.class);

    private final Hypervisor hypervisor;
    private final DeviceRemovals removals;
    private final KnownDomains known;
    private final Duration retryInterval;
    private final KeyedLocks domainLocks = new KeyedLocks();

    @Inject
    public DiskHotplug(Hypervisor hypervisor, DeviceRemovals removals, KnownDomains known, TetherConfig config) {
        this(hypervisor, removals, known, config.attach().detachRetryInterval());
    }

    public DiskHotplug(Hypervisor hypervisor, DeviceRemovals removals, KnownDomains known, Duration retryInterval) {
        this.hypervisor = hypervisor;
        this.removals = removals;
        this.known = known;
        this.retryInterval = retryInterval;
    }

    /** The disk that was plugged and its XML. */
    public record Plugged(GuestDevice device, String xml) {
    }

    /**
     * Picks the device name and hot-plugs the disk that {@code diskFor} builds for it, with the scope the
     * domain's state calls for.
     */
    public Plugged plug(String domain, String requested, GuestDevice.Bus bus, Function<GuestDevice, DiskXml> diskFor) {
        try (KeyedLocks.Held held = domainLocks.lock(domain)) {
            Hypervisor.DomainView view = StepTimes.step("libvirt_plug.read", () -> fresh(domain));
            return plug(domain, view, requested, bus, diskFor);
        }
    }

    private Plugged plug(String domain, Hypervisor.DomainView view, String requested, GuestDevice.Bus bus,
                         Function<GuestDevice, DiskXml> diskFor) {
        Set<String> used = new HashSet<>();
        view.live().disks().forEach(d -> used.add(d.targetDev()));
        view.persistent().disks().forEach(d -> used.add(d.targetDev()));
        GuestDevice device = GuestDeviceNames.choose(requested, bus, used);
        DiskXml disk = diskFor.apply(device);
        String xml = LibvirtXml.write(disk);
        Set<Hypervisor.Scope> scope = view.state().hotplugScope();
        // its device-added event is this agent's own until the known view has the disk
        try (KnownDomains.Plugging own = known.plugging(domain, disk.aliasName())) {
            StepTimes.step("libvirt_plug.attach", () -> hypervisor.attachDevice(domain, xml, scope));
            known.plugged(domain, disk, scope);
        }
        return new Plugged(device, xml);
    }

    /**
     * The domain read once before an attach, to find a disk it may have already, and, {@code hold}, with its lock
     * kept until closed so that the plug that follows picks its device name from this same read (one read of the
     * domain per attach instead of two). Hold it only across short work (a libvirt secret), never a host login:
     * other attaches into the domain wait meanwhile. Not held, the plug reads the domain again under the lock.
     *
     * @throws TetherException DOMAIN_NOT_FOUND
     */
    public Reading read(String domain, boolean hold) {
        KeyedLocks.Held held = hold ? domainLocks.lock(domain) : null;
        try {
            // held, the plug comes from this read: then the known view serves, which libvirt checks at the plug
            Optional<Hypervisor.DomainView> view = hold ? known.get(domain) : Optional.empty();
            return view.isPresent() ? new Reading(domain, held, view.get(), true)
                    : new Reading(domain, held, fresh(domain), false);
        } catch (RuntimeException e) {
            if (held != null) {
                held.close();
            }
            throw e;
        }
    }

    /** The domain read from libvirt, and known from now on. */
    private Hypervisor.DomainView fresh(String domain) {
        Hypervisor.DomainView view = hypervisor.view(domain);
        known.put(domain, view);
        return view;
    }

    /** A domain as {@link #read} read it (or as it was known); one plug at most. */
    public final class Reading implements AutoCloseable {
        private final String domain;
        private final KeyedLocks.Held held;
        private Hypervisor.DomainView view;
        private boolean fromKnown;

        private Reading(String domain, KeyedLocks.Held held, Hypervisor.DomainView view, boolean fromKnown) {
            this.domain = domain;
            this.held = held;
            this.view = view;
            this.fromKnown = fromKnown;
        }

        /** The domain's disk (live, else persistent) whose alias or serial is the volume's, as read. */
        public Optional<DiskXml> find(String alias, String serial) {
            Optional<DiskXml> live = DiskHotplug.find(view.live(), alias, serial);
            return live.isPresent() ? live : DiskHotplug.find(view.persistent(), alias, serial);
        }

        /**
         * {@link DiskHotplug#plug}, from this read while it is held. A read that was the known view (no round trip to
         * libvirt) can be behind: when libvirt refuses the plug, the domain is read, {@code recheck} is run on that
         * read (what the caller checked on this one: it may refuse now), and the plug is made once more from it.
         */
        public Plugged plug(String requested, GuestDevice.Bus bus, Function<GuestDevice, DiskXml> diskFor,
                            java.util.function.Consumer<Reading> recheck) {
            if (held == null) {
                return DiskHotplug.this.plug(domain, requested, bus, diskFor);
            }
            Hypervisor.DomainView read = view;
            view = null; // a plug changes the domain: this read no longer tells which names are free
            if (read == null) {
                throw new IllegalStateException("one plug per reading of " + domain);
            }
            if (!fromKnown) {
                return DiskHotplug.this.plug(domain, read, requested, bus, diskFor);
            }
            try {
                return DiskHotplug.this.plug(domain, read, requested, bus, diskFor);
            } catch (RuntimeException refused) {
                known.forget(domain);
                LOG.debugf("plug into %s from its known view refused (%s): read again", domain, refused.getMessage());
                view = StepTimes.step("libvirt_plug.reread", () -> fresh(domain));
                fromKnown = false;
                if (KnownDomains.same(read, view)) {
                    throw refused; // the view was right: the refusal is the plug's own (a target QEMU cannot reach)
                }
                recheck.accept(this);
                read = view;
                view = null;
                return DiskHotplug.this.plug(domain, read, requested, bus, diskFor);
            }
        }

        @Override
        public void close() {
            if (held != null) {
                held.close();
            }
        }
    }

    /** @throws TetherException DOMAIN_NOT_FOUND */
    public DomainState state(String domain) {
        return hypervisor.domainState(domain);
    }

    /**
     * The domain's disk (live, else persistent) whose alias or serial is the volume's.
     *
     * @throws TetherException DOMAIN_NOT_FOUND
     */
    public Optional<DiskXml> find(String domain, String alias, String serial) {
        Hypervisor.DomainView view = hypervisor.view(domain);
        Optional<DiskXml> live = find(view.live(), alias, serial);
        return live.isPresent() ? live : find(view.persistent(), alias, serial);
    }

    private static Optional<DiskXml> find(DomainXml dom, String alias, String serial) {
        return dom.disks().stream()
                .filter(d -> alias.equals(d.aliasName()) || (serial != null && serial.equals(d.serial)))
                .findFirst();
    }

    /**
     * Removes the disk from the running domain and its persistent definition, waiting until it is gone from the
     * live XML. The usual case (a running, persistent domain with the disk in both) is one call and no read of the
     * domain before it: {@code LIVE|CONFIG} by the disk's alias (libvirt matches a disk's XML by target only),
     * whose change of the definition libvirt commits only once the live unplug is under way. Anything else (the call refused: not
     * running, transient, the disk in one definition only, an unplug already pending) reads the domain and asks
     * for what it holds. If the guest never lets go, the definition gets the disk back and the domain stays as it
     * was.
     *
     * @param xml the disk's XML (libvirt matches it by target device; also what the definition gets back)
     * @throws TetherException DETACH_TIMEOUT when the guest holds on past the deadline
     */
    public void unplug(String domain, String alias, String serial, String xml, Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        try (KeyedLocks.Held held = domainLocks.lock(domain)) {
            try (DeviceRemovals.Waiter waiter = removals.expect(domain, alias)) {
                if (StepTimes.step("libvirt_unplug.detach", () -> attempt(domain, alias,
                        EnumSet.of(Hypervisor.Scope.LIVE, Hypervisor.Scope.CONFIG)))) {
                    try {
                        StepTimes.step("libvirt_unplug.wait", () -> awaitRemoval(domain, alias, serial, xml,
                                timeout, deadline, waiter, true));
                    } catch (RuntimeException e) {
                        known.forget(domain);
                        throw e;
                    }
                    known.unplugged(domain, alias);
                    return;
                }
            }
            known.forget(domain); // the slower path below: what it does depends on what the domain holds
            Hypervisor.DomainView view = hypervisor.view(domain);
            boolean config = view.state().persistent() && find(view.persistent(), alias, serial).isPresent();
            if (view.state().active() && find(view.live(), alias, serial).isPresent()) {
                boolean taken;
                try (DeviceRemovals.Waiter waiter = removals.expect(domain, alias)) {
                    taken = config && detach(domain, xml, EnumSet.of(Hypervisor.Scope.LIVE, Hypervisor.Scope.CONFIG));
                    if (!taken) {
                        detach(domain, xml, EnumSet.of(Hypervisor.Scope.LIVE));
                    }
                    StepTimes.step("libvirt_unplug.live", () -> awaitRemoval(domain, alias, serial, xml, timeout,
                            deadline, waiter, taken));
                }
                if (taken) {
                    return;
                }
            }
            if (config) {
                StepTimes.step("libvirt_unplug.config", () -> detach(domain, xml, EnumSet.of(Hypervisor.Scope.CONFIG)));
            }
        }
    }

    /**
     * Whether libvirt took the call; a refusal of any kind is for the caller's slower path to sort out. By alias,
     * never by target: a disk someone else put at the volume's old target is not the volume's.
     */
    private boolean attempt(String domain, String alias, Set<Hypervisor.Scope> scope) {
        try {
            hypervisor.detachDeviceAlias(domain, alias, scope);
            return true;
        } catch (HypervisorException e) {
            LOG.debugf("detach %s from %s refused (%s): the domain is read", scope, domain, e.getMessage());
            return false;
        }
    }

    /** The definition gets the disk back when the guest kept it (it had it before the combined call). */
    private void restoreConfig(String domain, String alias, String serial, String xml) {
        try {
            if (find(hypervisor.persistentXml(domain), alias, serial).isEmpty()) {
                hypervisor.attachDevice(domain, xml, EnumSet.of(Hypervisor.Scope.CONFIG));
            }
        } catch (RuntimeException e) {
            LOG.errorf("domain %s keeps disk %s live, but its definition could not get it back: %s", domain, alias,
                    e.getMessage());
        }
    }

    /**
     * Waits until the disk left the running domain, asking the guest again every retry interval; when the deadline
     * passes, gives the definition the disk back if the first call took it ({@code configTaken}).
     */
    private void awaitRemoval(String domain, String alias, String serial, String xml, Duration timeout,
                              Deadline deadline, DeviceRemovals.Waiter waiter, boolean configTaken) {
        while (true) {
            Duration left = deadline.remaining();
            Deadline round = Deadline.in(left.compareTo(retryInterval) < 0 ? left : retryInterval);
            DeviceRemovals.Outcome outcome = waiter.await(round,
                    () -> find(hypervisor.liveXml(domain), alias, serial).isEmpty());
            if (outcome == DeviceRemovals.Outcome.REMOVED) {
                return;
            }
            if (deadline.expired()) {
                if (configTaken) {
                    restoreConfig(domain, alias, serial, xml);
                }
                throw new TetherException(ErrorCode.DETACH_TIMEOUT, "domain " + domain
                        + " did not release disk " + alias + " within " + timeout + "; it stays attached");
            }
            LOG.infof("disk %s still in %s (%s); asking again", alias, domain,
                    outcome == DeviceRemovals.Outcome.REFUSED ? "the guest refused" : "no answer yet");
            if (outcome == DeviceRemovals.Outcome.REFUSED) {
                pause(deadline); // a guest that refuses at once is not asked in a tight loop
            }
            detach(domain, xml, EnumSet.of(Hypervisor.Scope.LIVE));
        }
    }

    private static void pause(Deadline deadline) {
        try {
            Thread.sleep(Math.min(100, deadline.remaining().toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True when libvirt accepted the call (false: the disk was gone already, or QEMU still waits for the guest). */
    private boolean detach(String domain, String xml, Set<Hypervisor.Scope> scope) {
        try {
            hypervisor.detachDevice(domain, xml, scope);
            return true;
        } catch (HypervisorException e) {
            if (e.kind() != HypervisorException.Kind.DEVICE_MISSING
                    && e.kind() != HypervisorException.Kind.UNPLUG_PENDING) {
                throw e;
            }
            // already gone, or QEMU still waits for the guest: both mean keep watching
            LOG.debugf("detach %s from %s: %s", scope, domain, e.getMessage());
            return false;
        }
    }
}
