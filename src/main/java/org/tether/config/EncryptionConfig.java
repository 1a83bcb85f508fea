package org.tether.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/** LUKS headers the agent writes (volumes made encrypted, blank volumes formatted at their first attach). */
public interface EncryptionConfig {
    /**
     * The time the header's PBKDF is calibrated to take on this host (qemu-img's {@code iter-time}, as
     * cryptsetup's {@code --iter-time}): every open of the volume (each attach, each migration's destination)
     * pays it again. The default is qemu-img's and cryptsetup's own; less weakens the passphrase against
     * guessing and is meant for test hosts. At least 10 ms.
     */
    @WithDefault("2s")
    Duration luksIterTime();
}
