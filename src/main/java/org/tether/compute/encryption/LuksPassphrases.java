package org.tether.compute.encryption;

import org.tether.encryption.EncryptionSpec;
import org.tether.encryption.LuksKey;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.openstack.BarbicanClient;
import org.tether.compute.libvirt.Hypervisor;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * An encrypted volume's LUKS passphrase on this host: the key manager's key, hex-encoded (lowercase) as Nova
 * and os-brick make the passphrase, so a volume formatted by either opens here and the other way round; held
 * only in a private libvirt secret for as long as the volume is attached, which QEMU reads to open the header.
 * Neither the key nor the passphrase is logged, journalled or answered.
 */
@ApplicationScoped
public class LuksPassphrases {
    private final BarbicanClient keys;
    private final Hypervisor hypervisor;

    public LuksPassphrases(BarbicanClient keys, Hypervisor hypervisor) {
        this.keys = keys;
        this.hypervisor = hypervisor;
    }

    /** The libvirt secret that holds a volume's passphrase while it is attached here. */
    public static UUID secretUuid(UUID volumeId) {
        return UUID.nameUUIDFromBytes(("tether-luks:" + volumeId).getBytes(StandardCharsets.UTF_8));
    }

    /** The passphrase of the spec's key; the caller zeroes it when done. */
    public byte[] passphrase(EncryptionSpec spec) {
        byte[] key = keys.key(spec.keyId());
        try {
            return LuksKey.passphrase(key, spec);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** Puts the passphrase where QEMU reads it; the secret's UUID is the volume's own, so a retry finds it. */
    public UUID hold(UUID volumeId, byte[] passphrase) {
        UUID uuid = secretUuid(volumeId);
        hypervisor.definePassphraseSecret(uuid, volumeId, passphrase);
        return uuid;
    }

    /** Takes the passphrase away (absent is success). */
    public void release(UUID secret) {
        hypervisor.undefineSecret(secret);
    }
}
