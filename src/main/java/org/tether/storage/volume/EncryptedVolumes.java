package org.tether.storage.volume;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.tether.openstack.BarbicanClient;
import org.tether.config.TetherConfig;
import org.tether.encryption.EncryptionSpec;
import org.tether.encryption.LuksFormatter;
import org.tether.encryption.LuksKey;
import org.tether.encryption.QemuSecretFile;
import org.tether.exec.CommandRunner;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

/**
 * New encrypted volumes, as Cinder makes them: the key from the key manager (an existing key by id, or a new
 * random one stored there first), the LUKS1 header written before the volume is {@code available}, the
 * volume's encryption recorded (its key id, never its key), and its exports saying {@code encrypted: true}.
 * A failure leaves no volume, and no key this call stored.
 */
@ApplicationScoped
public class EncryptedVolumes {
    private static final Logger LOG = Logger.getLogger(EncryptedVolumes.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final VolumeService volumes;
    private final BarbicanClient keys;
    private final LuksFormatter formatter;
    private final java.nio.file.Path keyDir;

    @Inject
    public EncryptedVolumes(VolumeService volumes, BarbicanClient keys, CommandRunner runner, TetherConfig config) {
        this(volumes, keys, runner, config.stateDir().resolve("luks-keys"), config.encryption().luksIterTime());
    }

    public EncryptedVolumes(VolumeService volumes, BarbicanClient keys, CommandRunner runner,
                            java.nio.file.Path keyDir) {
        this(volumes, keys, runner, keyDir, null);
    }

    public EncryptedVolumes(VolumeService volumes, BarbicanClient keys, CommandRunner runner,
                            java.nio.file.Path keyDir, java.time.Duration luksIterTime) {
        this.volumes = volumes;
        this.keys = keys;
        this.formatter = new LuksFormatter(runner, keyDir, luksIterTime);
        this.keyDir = keyDir;
    }

    /** An empty encrypted volume. */
    public VolumeRecord create(CreateVolume req, EncryptionSpec spec) {
        return create(req, spec, EncryptedContent.NONE);
    }

    /**
     * @param spec    the cipher and key size, and the key's id when the caller has one (else one is made)
     * @param content written through the header once it is there (an image), before the volume is available
     */
    public VolumeRecord create(CreateVolume req, EncryptionSpec spec, EncryptedContent content) {
        Optional<VolumeRecord> existing = volumes.find(req.id());
        if (existing.isPresent()) {
            // a repeat: answered from the record, with no key made for it
            return volumes.create(req.withEncryption(existing.get().encryption()));
        }
        boolean made = spec.keyId() == null;
        byte[] key = made ? random(spec.keySizeBits() / 8) : keys.key(spec.keyId());
        byte[] passphrase = null;
        String keyId = null;
        try {
            passphrase = LuksKey.passphrase(key, spec);
            keyId = made ? keys.store(key, "volume-" + req.id(), spec.cipher().split("-")[0],
                    spec.cipher().split("-")[1]) : spec.keyId();
            EncryptionSpec full = new EncryptionSpec(spec.cipher(), spec.keySizeBits(), keyId);
            byte[] pass = passphrase;
            VolumeRecord r = volumes.create(req.withEncryption(new VolumeRecord.Encryption("luks", spec.cipher(),
                    spec.keySizeBits(), "front-end", keyId, made)), (v, phases) -> {
                Pool pool = volumes.pools().of(v);
                pool.backend().create(v.id(), v.sizeBytes(), v.thin());
                VolumeBackend.ImageTarget target = pool.backend().imageTarget(v.id(), v.thin());
                formatter.format(target.path(), v.sizeBytes(), full, pass);
                if (content != EncryptedContent.NONE) {
                    try (QemuSecretFile secret = QemuSecretFile.write(keyDir, pass)) {
                        content.write(v, target, secret, phases);
                    }
                }
            });
            LOG.infof("volume %s is encrypted (LUKS1, %s, %d-bit key %s)", r.id(), spec.cipher(), spec.keySizeBits(),
                    keyId);
            return r;
        } catch (RuntimeException e) {
            if (made && keyId != null) {
                forget(keyId);
            }
            throw e;
        } finally {
            Arrays.fill(key, (byte) 0);
            if (passphrase != null) {
                Arrays.fill(passphrase, (byte) 0);
            }
        }
    }

    /**
     * Deletes a volume, and the key the agent stored for it once no other volume (a clone, a copy of a snapshot)
     * uses that key any more.
     *
     * @return false when there was no such volume
     */
    public boolean delete(java.util.UUID id) {
        Optional<VolumeRecord> r = volumes.find(id);
        if (!volumes.delete(id)) {
            return false;
        }
        VolumeRecord.Encryption e = r.map(VolumeRecord::encryption).orElse(null);
        if (e != null && e.keyOwned() && volumes.list().stream().noneMatch(v -> v.encryption() != null
                && e.keyId().equals(v.encryption().keyId()))) {
            forget(e.keyId());
        }
        return true;
    }

    private void forget(String keyId) {
        try {
            keys.delete(keyId);
        } catch (RuntimeException e) {
            LOG.errorf("key %s, stored for a volume whose create failed, is left in the key manager: %s", keyId,
                    e.getMessage());
        }
    }

    private static byte[] random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return b;
    }
}
