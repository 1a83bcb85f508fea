package org.tether.connection;

import java.util.List;
import java.util.UUID;

/**
 * Ceph RBD connection_info as Cinder's RBD driver returns it: an image {@code pool/image}, its monitors, and
 * the cephx identity QEMU's librbd uses. The key itself is either in a libvirt secret this host already has
 * ({@code secretUuid}, Nova's {@code rbd_secret_uuid}) or sent along ({@code keyringKey}, from
 * {@code keyring}); never both are needed.
 *
 * @param monitors    empty when the controller sent none (librbd then reads the host's ceph.conf)
 * @param authUsername the cephx user without {@code client.}, or null when {@code auth_enabled} is false
 * @param keyringKey  the base64 cephx key taken from {@code keyring}, or null; a secret, never logged
 */
public record RbdConnectionInfo(UUID volumeId, String pool, String image, List<Portal> monitors,
                                String clusterName, boolean authEnabled, String authUsername, UUID secretUuid,
                                String keyringKey, VolumeOptions options) implements ConnectionInfo {

    public static final String TYPE = "rbd";

    public RbdConnectionInfo {
        monitors = List.copyOf(monitors);
    }

    @Override
    public String driverVolumeType() {
        return TYPE;
    }

    /** libvirt's and Cinder's {@code name}: {@code pool/image}. */
    public String name() {
        return pool + "/" + image;
    }

    @Override
    public String toString() {
        return "RbdConnectionInfo[" + name() + ", monitors=" + monitors + ", user=" + authUsername + ", secret="
                + secretUuid + ", keyring=" + (keyringKey == null ? "none" : "***") + "]";
    }
}
