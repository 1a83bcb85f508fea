package org.tether.storage.backup;

import org.tether.config.BackupConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The stores {@code tether.backup.stores.<name>.*} configures; a store missing a setting stops the start. */
final class BackupStores {
    private BackupStores() {
    }

    /**
     * @param keys the key manager's key of an id (for a store with {@code encryption-key-id}); null when the key
     *             manager is not configured
     */
    static BackupStore of(String name, BackupConfig.StoreConfig c,
                          java.util.function.Function<String, byte[]> keys) {
        BackupStore plain = plain(name, c);
        if (c.encryptionKeyId().isEmpty()) {
            if (c.encryptionPreviousKeyIds().isPresent()) {
                throw new IllegalStateException("tether.backup.stores." + name + ".encryption-previous-key-ids is "
                        + "set without encryption-key-id: a store sealed before keeps a current key");
            }
            return plain;
        }
        if (keys == null) {
            throw new IllegalStateException("tether.backup.stores." + name + ".encryption-key-id needs the key "
                    + "manager, reached with tether.cinder.auth-url, which is not set");
        }
        return new EncryptedBackupStore(plain, c.encryptionKeyId().get(), c.encryptionPreviousKeyIds()
                .orElse(java.util.List.of()), keys);
    }

    private static BackupStore plain(String name, BackupConfig.StoreConfig c) {
        return switch (c.type()) {
            case DIRECTORY -> new DirectoryBackupStore(name, c.path().orElseThrow(() -> missing(name, "path")));
            case S3 -> new S3BackupStore(name, c.endpoint().orElseThrow(() -> missing(name, "endpoint")),
                    c.bucket().orElseThrow(() -> missing(name, "bucket")), c.prefix().orElse(""), c.region(),
                    c.accessKey().orElseThrow(() -> missing(name, "access-key")),
                    secret(name, c.secretKeyFile().orElseThrow(() -> missing(name, "secret-key-file"))),
                    c.pathStyle(), c.timeout(), c.caFile().orElse(null));
            case RADOS -> new RadosBackupStore(name, c.prefix().orElse(""), new RadosObjects(new RadosObjects.Target(
                    new org.tether.storage.rbd.LibRados.Login(c.clusterName(), c.user(), c.conf(), c.keyring()
                            .orElse(Path.of("/etc/ceph/" + c.clusterName() + ".client." + c.user() + ".keyring")),
                            c.timeout()), c.pool(), RadosBackupStore.NAMESPACE)));
        };
    }

    private static String secret(String name, Path file) {
        try {
            String s = Files.readString(file).strip();
            if (s.isEmpty()) {
                throw new IllegalStateException("tether.backup.stores." + name + ".secret-key-file " + file
                        + " is empty");
            }
            return s;
        } catch (IOException e) {
            throw new IllegalStateException("tether.backup.stores." + name + ".secret-key-file " + file
                    + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static IllegalStateException missing(String name, String key) {
        return new IllegalStateException("tether.backup.stores." + name + "." + key + " is required for a "
                + "store of this type");
    }
}
