package org.tether.storage.volume;

import org.tether.encryption.QemuSecretFile;

/** What goes into a new encrypted volume once its LUKS header is written: nothing, or an image written through it. */
@FunctionalInterface
public interface EncryptedContent {
    EncryptedContent NONE = (v, target, passphrase, phases) -> {
    };

    /** @param passphrase the header's passphrase, in a file for qemu-img's secret object */
    void write(VolumeRecord v, VolumeBackend.ImageTarget target, QemuSecretFile passphrase, ContentWriter.Phases phases);
}
