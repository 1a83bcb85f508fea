package org.tether.compute.libvirt;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.Secret;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Set;
import java.util.UUID;

/**
 * {@link Hypervisor} on libvirt-java. One shared connection (libvirt connections are thread-safe), opened on
 * first use and reopened once when libvirtd went away.
 */
@ApplicationScoped
public class LibvirtHypervisor implements Hypervisor {
    private static final Logger LOG = Logger.getLogger(LibvirtHypervisor.class);
    private static final int XML_INACTIVE = 2;
    /**
     * libvirt prints every error to stderr unless a handler is set; errors still reach us as exceptions.
     * Held in a constant so JNA's callback is never collected.
     */
    private static final org.libvirt.jna.Libvirt.VirErrorCallback QUIET = (userData, error) -> { };

    private final String uri;
    private volatile Connect connect;

    public LibvirtHypervisor(TetherConfig config) {
        this.uri = config.libvirt().uri();
    }

    @FunctionalInterface
    private interface Call<T> {
        T apply(Connect c) throws LibvirtException;
    }

    @FunctionalInterface
    private interface DomainCall<T> {
        T apply(Domain d) throws LibvirtException;
    }

    @Override
    public long daemonVersion() {
        return call(Connect::getLibVersion);
    }

    @Override
    public DomainState domainState(String domain) {
        return onDomain(domain, d -> new DomainState(domain, d.isActive() == 1, d.isPersistent() == 1));
    }

    @Override
    public DomainXml liveXml(String domain) {
        return LibvirtXml.readDomain(onDomain(domain, d -> d.getXMLDesc(0)));
    }

    @Override
    public DomainXml persistentXml(String domain) {
        return LibvirtXml.readDomain(onDomain(domain, d ->
                d.isPersistent() == 1 ? d.getXMLDesc(XML_INACTIVE) : "<domain/>"));
    }

    @Override
    public void attachDevice(String domain, String deviceXml, Set<Scope> scope) {
        onDomain(domain, d -> {
            d.attachDeviceFlags(deviceXml, Scope.flags(scope));
            return null;
        });
    }

    @Override
    public void detachDevice(String domain, String deviceXml, Set<Scope> scope) {
        onDomain(domain, d -> {
            d.detachDeviceFlags(deviceXml, Scope.flags(scope));
            return null;
        });
    }

    @Override
    public void defineIscsiSecret(UUID uuid, String usage, byte[] value) {
        call(c -> {
            Secret s = c.secretDefineXML(SecretXml.iscsi(uuid, usage));
            try {
                s.setValue(value);
            } finally {
                s.free();
            }
            return null;
        });
    }

    @Override
    public void undefineSecret(UUID uuid) {
        call(c -> {
            Secret s = lookupSecret(c, uuid);
            if (s != null) {
                try {
                    s.undefine();
                } finally {
                    s.free();
                }
            }
            return null;
        });
    }

    private static Secret lookupSecret(Connect c, UUID uuid) throws LibvirtException {
        try {
            return c.secretLookupByUUIDString(uuid.toString());
        } catch (LibvirtException e) {
            if (code(e) == Error.ErrorNumber.VIR_ERR_NO_SECRET) {
                return null;
            }
            throw e;
        }
    }

    private <T> T onDomain(String name, DomainCall<T> fn) {
        return call(c -> {
            Domain d;
            try {
                d = c.domainLookupByName(name);
            } catch (LibvirtException e) {
                if (code(e) == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                    throw new TetherException(ErrorCode.DOMAIN_NOT_FOUND, "domain", "no domain named " + name);
                }
                throw e;
            }
            try {
                return fn.apply(d);
            } finally {
                d.free();
            }
        });
    }

    private <T> T call(Call<T> fn) {
        Connect c = connection();
        try {
            return fn.apply(c);
        } catch (LibvirtException e) {
            if (!isConnectionLost(e)) {
                throw translate(e);
            }
            LOG.warnf("libvirt connection to %s lost (%s); reconnecting", uri, e.getMessage());
            reset(c);
            try {
                return fn.apply(connection());
            } catch (LibvirtException again) {
                throw translate(again);
            }
        }
    }

    private Connect connection() {
        Connect c = connect;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (connect == null) {
                try {
                    Connect.setErrorCallback(QUIET);
                    connect = new Connect(uri, false);
                } catch (LibvirtException e) {
                    throw new TetherException(ErrorCode.HYPERVISOR_ERROR,
                            "cannot connect to libvirt at " + uri + ": " + e.getMessage(), e);
                }
            }
            return connect;
        }
    }

    private synchronized void reset(Connect stale) {
        if (connect == stale) {
            connect = null;
            try {
                stale.close();
            } catch (LibvirtException ignored) {
                // already broken
            }
        }
    }

    private static boolean isConnectionLost(LibvirtException e) {
        Error.ErrorNumber n = code(e);
        return n == Error.ErrorNumber.VIR_ERR_RPC || (n == Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR
                && e.getMessage() != null && e.getMessage().contains("connection"));
    }

    static Error.ErrorNumber code(LibvirtException e) {
        return e.getError() == null ? null : e.getError().getCode();
    }

    private static TetherException translate(LibvirtException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        HypervisorException.Kind kind = HypervisorException.Kind.OTHER;
        if (code(e) == Error.ErrorNumber.VIR_ERR_DEVICE_MISSING
                || msg.contains("matching device not found") || msg.contains("no target device")) {
            kind = HypervisorException.Kind.DEVICE_MISSING;
        } else if (msg.contains("in the process of unplug")) {
            kind = HypervisorException.Kind.UNPLUG_PENDING;
        }
        return new HypervisorException(kind, "libvirt: " + msg, e);
    }

    @PreDestroy
    synchronized void close() {
        if (connect != null) {
            try {
                connect.close();
            } catch (LibvirtException e) {
                LOG.debug("closing libvirt connection", e);
            }
            connect = null;
        }
    }
}
