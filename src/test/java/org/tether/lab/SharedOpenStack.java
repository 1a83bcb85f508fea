package org.tether.lab;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Path;

/**
 * One lab Ceph and one OpenStack lab (about 45 s to start, 2 GiB of memory) for every test class of the run that
 * asks for it with {@code @ExtendWith(SharedOpenStack.class)}: started by the first such class, stopped when the
 * run ends (JUnit's root store closes it), and its host cephx secret removed then. Classes that need a cluster
 * of their own (a monitor stopped, another size) start their own.
 */
public final class SharedOpenStack implements BeforeAllCallback {
    private static final int MON_PORT = 6796;
    private static volatile Lab lab;

    private record Lab(CephCluster ceph, OpenStackLab openstack) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() throws Exception {
            try {
                // the host's cephx secret outlives an agent (as Nova's does); the next run's lab has another UUID
                Host.exec("virsh", "-c", "qemu:///system", "secret-undefine", openstack.env.get("RBD_SECRET_UUID"));
                openstack.close();
            } finally {
                ceph.close();
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        lab = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Lab.class, k -> start(), Lab.class);
    }

    private static Lab start() {
        CephCluster ceph = null;
        try {
            // images, their clones and uploads of 1 GiB volumes (thin, but not all zero) share the OSD's RAM store
            ceph = CephCluster.start(MON_PORT, 4L << 30);
            return new Lab(ceph, OpenStackLab.start(ceph));
        } catch (Exception e) {
            if (ceph != null) {
                try {
                    ceph.close();
                } catch (Exception ignored) {
                    // the start's failure is the one to report
                }
            }
            throw new IllegalStateException("the OpenStack lab did not start", e);
        }
    }

    public static CephCluster ceph() {
        return lab.ceph();
    }

    public static OpenStackLab openstack() {
        return lab.openstack();
    }

    /** Where the lab's services keep their state and logs. */
    public static Path dir() {
        return lab.openstack().dir;
    }
}
