package org.tether.compute.libvirt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.tether.config.LibvirtConfig;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.lang.reflect.Proxy;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Domain handles kept across calls, on libvirt's own test driver ({@code test:///default}: in the library, no
 * daemon, one state per process): libvirt resolves a kept handle by UUID, so a domain defined again under its
 * name is never reached through the old one, and a handle in use is never freed under its user.
 */
class DomainHandlesLabTest {
    private static final String URI = "test:///default";
    private Connect other;

    @BeforeEach
    void open() throws LibvirtException {
        other = new Connect(URI);
    }

    @AfterEach
    void close() throws LibvirtException {
        for (String name : other.listDefinedDomains()) {
            if (name.startsWith("dh-")) {
                other.domainLookupByName(name).undefine();
            }
        }
        other.close();
    }

    private void define(String name, UUID uuid) throws LibvirtException {
        other.domainDefineXML("<domain type='test'><name>" + name + "</name><uuid>" + uuid + "</uuid>"
                + "<memory>65536</memory><os><type>hvm</type></os></domain>").free();
    }

    private static LibvirtHypervisor hypervisor() {
        LibvirtConfig libvirt = (LibvirtConfig) Proxy.newProxyInstance(DomainHandlesLabTest.class.getClassLoader(),
                new Class<?>[] {LibvirtConfig.class}, (p, m, a) -> m.getName().equals("uri") ? URI : null);
        TetherConfig config = (TetherConfig) Proxy.newProxyInstance(DomainHandlesLabTest.class.getClassLoader(),
                new Class<?>[] {TetherConfig.class}, (p, m, a) -> m.getName().equals("libvirt") ? libvirt : null);
        return new LibvirtHypervisor(config);
    }

    @Test
    void aSecondCallOnADomainUsesTheKeptHandleAndALaterUserOfADroppedHandleKeepsItUntilItIsDone() throws Exception {
        define("dh-a", UUID.randomUUID());
        DomainHandles handles = new DomainHandles();
        Connect c = new Connect(URI);
        try {
            DomainHandles.Use first = handles.use(c, "dh-a", Connect::domainLookupByName);
            DomainHandles.Use second = handles.use(c, "dh-a", (conn, n) -> {
                throw new AssertionError("looked up again");
            });
            assertThat(first.reused()).isFalse();
            assertThat(second.reused()).isTrue();
            assertThat(second.domain()).isSameAs(first.domain());
            first.close();

            handles.drop("dh-a"); // as a lifecycle event does, while second still uses it
            assertThat(handles.size()).isZero();
            assertThat(second.freed()).as("not freed under its user").isFalse();
            assertThat(second.domain().isPersistent()).as("still answered through it").isEqualTo(1);
            second.close();
            assertThat(second.freed()).as("freed by its last user").isTrue();

            DomainHandles.Use third = handles.use(c, "dh-a", Connect::domainLookupByName);
            assertThat(third.reused()).as("looked up again after the drop").isFalse();
            third.close();
        } finally {
            c.close();
        }
    }

    @Test
    void aHandleOfAReplacedConnectionIsDroppedAtTheFirstCallOnTheNewOne() throws Exception {
        define("dh-b", UUID.randomUUID());
        define("dh-c", UUID.randomUUID());
        DomainHandles handles = new DomainHandles();
        Connect old = new Connect(URI);
        Connect fresh = new Connect(URI);
        try {
            handles.use(old, "dh-b", Connect::domainLookupByName).close();
            handles.use(old, "dh-c", Connect::domainLookupByName).close();
            DomainHandles.Use onFresh = handles.use(fresh, "dh-b", Connect::domainLookupByName);
            assertThat(onFresh.reused()).isFalse();
            assertThat(onFresh.domain().getConnect()).isSameAs(fresh);
            onFresh.close();
            assertThat(handles.size()).as("dh-c's old handle went too").isEqualTo(1);
        } finally {
            old.close();
            fresh.close();
        }
    }

    @Test
    void aDomainDefinedAgainUnderItsNameIsNeverReachedThroughTheOldHandle() throws Exception {
        UUID before = UUID.randomUUID();
        define("dh-d", before);
        Connect c = new Connect(URI);
        try {
            Domain kept = c.domainLookupByName("dh-d");
            other.domainLookupByName("dh-d").undefine();
            UUID after = UUID.randomUUID();
            define("dh-d", after);
            // the premise: libvirt answers "no domain" through the old handle, not the new domain
            assertThatThrownBy(kept::isPersistent).isInstanceOfSatisfying(LibvirtException.class,
                    e -> assertThat(e.getError().getCode()).isEqualTo(Error.ErrorNumber.VIR_ERR_NO_DOMAIN));
            kept.free();
        } finally {
            c.close();
        }

        LibvirtHypervisor hv = hypervisor();
        try {
            UUID third = UUID.randomUUID();
            assertThat(hv.persistentXml("dh-d").toString()).isNotNull();
            other.domainLookupByName("dh-d").undefine();
            define("dh-d", third);
            // whether the lifecycle event dropped the handle first or the call finds it stale, the new one answers
            assertThat(hv.domainState("dh-d").persistent()).isTrue();
            assertThat(hv.migratableXml("dh-d", true)).contains(third.toString());
            other.domainLookupByName("dh-d").undefine();
            assertThatThrownBy(() -> hv.domainState("dh-d")).isInstanceOfSatisfying(TetherException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.DOMAIN_NOT_FOUND));
        } finally {
            hv.close();
        }
    }
    @Test
    void aListenerThatFailsOnAnEventDoesNotKeepItFromTheOthers() throws Exception {
        LibvirtConnection libvirt = new LibvirtConnection(URI);
        java.util.concurrent.BlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
        try (AutoCloseable failing = libvirt.onDeviceEvents(new DeviceEvents() {
                @Override
                public void lifecycle(String domain) {
                    throw new IllegalStateException("a listener's own bug");
                }
            });
             AutoCloseable recording = libvirt.onDeviceEvents(new DeviceEvents() {
                @Override
                public void lifecycle(String domain) {
                    seen.add(domain);
                }
            })) {
            define("dh-e", UUID.randomUUID());
            String name;
            do {
                name = seen.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            } while (name != null && !name.equals("dh-e"));
            assertThat(name).as("the defined event reached the second listener").isEqualTo("dh-e");
        } finally {
            libvirt.close();
        }
    }
}
