package org.tether.compute.libvirt.jna;

import com.sun.jna.Pointer;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/** libvirt-java's connection, with its native {@code virConnectPtr} reachable for {@link LibvirtNative}. */
public final class NativeConnect extends Connect {

    public NativeConnect(String uri) throws LibvirtException {
        super(uri, false);
    }

    public Pointer pointer() {
        return vcp.getPointer();
    }
}
