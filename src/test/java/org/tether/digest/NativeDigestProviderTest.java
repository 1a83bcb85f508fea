package org.tether.digest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.security.Security;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The JVM's SHA-256 through libcrypto answers as the JDK's own does: every size around the switches (the JDK below
 * {@link Digests#NATIVE_FROM}, streaming past {@code SPILL}), any split of the input, byte by byte, clones taken
 * half-way, resets, and a digest reused after a large input (as the AWS SDK pools them).
 */
class NativeDigestProviderTest {
    private static final int SPILL = NativeDigestProvider.Sha256.SPILL;

    @BeforeAll
    static void install() {
        assertThat(NativeDigestProvider.install()).isTrue();
    }

    @AfterAll
    static void uninstall() {
        Security.removeProvider(NativeDigestProvider.NAME);
    }

    private static MessageDigest ours() throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        assertThat(d.getProvider().getName()).as("first for SHA-256").isEqualTo(NativeDigestProvider.NAME);
        return d;
    }

    private static byte[] jdk(byte[] data, int length) {
        return Digests.jdk("SHA-256", data, length);
    }

    @Test
    void everySizeAndEverySplitHashesAsTheJdkHashes() throws Exception {
        byte[] data = new byte[SPILL * 3 + 5];
        new Random(11).nextBytes(data);
        int from = Digests.NATIVE_FROM;
        MessageDigest d = ours(); // one instance throughout: each digest resets it, as a pooled one is reused
        for (int len : new int[] {0, 1, 63, 64, 255, 256, 257, from - 1, from, from + 1, 128 << 10, SPILL - 1,
                SPILL, SPILL + 1, data.length}) {
            d.update(data, 0, len);
            assertThat(d.digest()).as("%d bytes at once", len).isEqualTo(jdk(data, len));
            Random cuts = new Random(len);
            for (int at = 0; at < len; ) {
                int n = Math.min(len - at, 1 + cuts.nextInt(len < 4096 ? 100 : 300_000));
                d.update(data, at, n);
                at += n;
            }
            assertThat(d.digest()).as("%d bytes in pieces", len).isEqualTo(jdk(data, len));
        }
        for (int i = 0; i < 1000; i++) {
            d.update(data[i]);
        }
        assertThat(d.digest()).as("byte by byte").isEqualTo(jdk(data, 1000));
        assertThat(MessageDigest.getInstance("SHA256").digest(new byte[0])).isEqualTo(jdk(data, 0));
    }

    @Test
    void aCloneTakenHalfWayGoesOnByItselfAndAResetForgetsEverything() throws Exception {
        byte[] data = new byte[64 << 10];
        new Random(5).nextBytes(data);
        MessageDigest d = ours();
        d.update(data, 0, 1000);
        MessageDigest copy = (MessageDigest) d.clone();
        d.update(data, 1000, data.length - 1000);
        copy.update(data, 1000, 24);
        assertThat(d.digest()).isEqualTo(jdk(data, data.length));
        assertThat(copy.digest()).isEqualTo(jdk(data, 1024));

        d.update(data, 0, 5000);
        d.reset();
        d.update(data, 0, 10);
        assertThat(d.digest()).isEqualTo(jdk(data, 10));

        // past SPILL it streams into libcrypto, whose context is not copied: refused, and the digest goes on
        byte[] big = new byte[SPILL + 1];
        d.update(big, 0, big.length);
        assertThatThrownBy(d::clone).isInstanceOf(CloneNotSupportedException.class);
        assertThat(d.digest()).isEqualTo(jdk(big, big.length));
        d.update(data, 0, 100);
        assertThat(((MessageDigest) d.clone()).digest()).as("clonable again after the digest")
                .isEqualTo(jdk(data, 100));
    }

    @Test
    void hmacAndTheJdksOwnUsersGoThroughItUnchanged() throws Exception {
        // HMAC-SHA256, as SigV4 signs: the JDK's Mac finds SHA-256 through the providers too
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec("key".getBytes(), "HmacSHA256"));
        byte[] ours = mac.doFinal("The quick brown fox jumps over the lazy dog".getBytes());
        assertThat(java.util.HexFormat.of().formatHex(ours))
                .isEqualTo("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    }
}
