package org.tether.storage.target;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.storage.volume.VolumeRecord.ChapSecret;

import java.security.SecureRandom;
import java.util.Random;

/** Per-volume CHAP credentials as Cinder makes them: 20-character user, 16-character password. */
@ApplicationScoped
public class ChapGenerator {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private final Random random;

    public ChapGenerator() {
        this(new SecureRandom());
    }

    public ChapGenerator(Random random) {
        this.random = random;
    }

    public ChapSecret generate() {
        return new ChapSecret(text(20), text(16));
    }

    private String text(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }
}
