package org.tether.compute.reconcile;

import org.tether.compute.libvirt.DiskXml;
import org.tether.compute.libvirt.DomainState;
import org.tether.compute.libvirt.Hypervisor;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one reconciliation pass reads of each domain, read once: its state and its live and persistent disks;
 * and which libvirt secrets exist, listed once.
 * A pass over N attachments in D domains then asks libvirt O(D) times, not N times a domain's XML. What the
 * views suggest is missing is read again fresh by the caller before it is reported (a disk plugged since the
 * view was taken is not drift).
 */
final class DomainViews {
    /** One domain as the pass saw it; {@code state} null when libvirt has no such domain. */
    record View(DomainState state, List<DiskXml> disks) {
        boolean exists() {
            return state != null;
        }
    }

    private final Hypervisor hypervisor;
    private final Map<String, View> seen = new HashMap<>();
    private java.util.Set<java.util.UUID> secrets;

    DomainViews(Hypervisor hypervisor) {
        this.hypervisor = hypervisor;
    }

    View of(String domain) {
        View v = seen.get(domain);
        if (v == null) {
            v = read(domain);
            seen.put(domain, v);
        }
        return v;
    }

    private View read(String domain) {
        try {
            Hypervisor.DomainView view = hypervisor.view(domain);
            List<DiskXml> disks = new ArrayList<>();
            if (view.state().active()) {
                disks.addAll(view.live().disks());
            }
            disks.addAll(view.persistent().disks());
            return new View(view.state(), disks);
        } catch (TetherException e) {
            if (e.code() == ErrorCode.DOMAIN_NOT_FOUND) {
                return new View(null, List.of());
            }
            throw e;
        }
    }

    /** Whether libvirt held the secret when the pass first asked (one listing per pass). */
    boolean secretExists(java.util.UUID uuid) {
        return secrets().contains(uuid);
    }

    /** Every libvirt secret, as the pass first listed them. */
    java.util.Set<java.util.UUID> secrets() {
        if (secrets == null) {
            secrets = hypervisor.secretUuids();
        }
        return secrets;
    }

    /** The disk of the view with that alias or serial. */
    static Optional<DiskXml> disk(View v, String alias, String serial) {
        return v.disks().stream().filter(d -> alias.equals(d.aliasName()) || (serial != null
                && serial.equals(d.serial))).findFirst();
    }
}
