package org.tether.digest;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.security.MessageDigestSpi;
import java.security.Provider;
import java.security.Security;
import java.util.List;

/**
 * SHA-256 for the whole JVM through libcrypto ({@link Digests}), registered ahead of the JDK's providers when
 * libcrypto passed its known-answer check. What it is for: the AWS SDK signs every payload it sends over plain
 * HTTP (SigV4 chunks of 128 KiB, each hashed through {@code MessageDigest.getInstance("SHA-256")}), and under the
 * unit's C1-only JIT the JDK's SHA-256 has no intrinsic: a profile of a backup to RADOS Gateway found 85 % of the
 * agent's samples there ({@code bash lab/bench-backup.sh}).
 *
 * <p>A digest keeps what it is fed (up to {@link Sha256#SPILL}) and hashes it at the end: with libcrypto from
 * {@link Digests#NATIVE_FROM} on, with the JDK's below (a TLS handshake's or an HMAC's few bytes stay in the JDK,
 * where a native call would cost more than the hash). Past {@code SPILL} it streams into a native context instead
 * of keeping more; such a digest cannot be cloned (no caller of the agent's clones one that large). The answers
 * are the JDK's: {@code NativeDigestProviderTest} holds every split, clone and reset to them.
 */
@ApplicationScoped
public class NativeDigestProvider {
    private static final Logger LOG = Logger.getLogger(NativeDigestProvider.class);
    static final String NAME = "TetherLibcrypto";

    void onStart(@Observes @Priority(1) StartupEvent event) {
        install();
    }

    /** Registers the provider first, once; false when libcrypto is not in use (the JDK's SHA-256 stays). */
    public static synchronized boolean install() {
        if (!Digests.isNative()) {
            return false;
        }
        if (Security.getProvider(NAME) == null) {
            Security.insertProviderAt(new LibcryptoProvider(), 1);
            LOG.info("SHA-256 for the JVM (S3 payload signing, TLS) through libcrypto");
        }
        return true;
    }

    static final class LibcryptoProvider extends Provider {
        LibcryptoProvider() {
            super(NAME, "1", "SHA-256 through the host's libcrypto (Tether)");
            putService(new Service(this, "MessageDigest", "SHA-256", Sha256.class.getName(),
                    List.of("SHA256", "2.16.840.1.101.3.4.2.1", "OID.2.16.840.1.101.3.4.2.1"), null) {
                @Override
                public Object newInstance(Object parameter) {
                    return new Sha256();
                }
            });
        }
    }

    /** One SHA-256 computation: kept bytes, then libcrypto or the JDK at the end; streamed past {@link #SPILL}. */
    static final class Sha256 extends MessageDigestSpi implements Cloneable {
        static final int SPILL = 1 << 20;
        private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
        private byte[] kept = new byte[256];
        private int length;
        private Digests.Running streaming;
        /** Closes {@link #streaming} once: at a digest or reset, or when the digest is dropped unfinished. */
        private java.lang.ref.Cleaner.Cleanable closing;
        /** The JDK's SHA-256 for what is shorter than {@link Digests#NATIVE_FROM}, made on first need. */
        private java.security.MessageDigest small;

        @Override
        protected int engineGetDigestLength() {
            return 32;
        }

        @Override
        protected void engineUpdate(byte input) {
            if (streaming == null && length < kept.length) {
                kept[length++] = input;
            } else {
                engineUpdate(new byte[] {input}, 0, 1);
            }
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            java.util.Objects.checkFromIndexSize(offset, len, input.length);
            if (streaming != null) {
                streaming.update(input, offset, len);
                return;
            }
            if (length + len > SPILL) {
                Digests.Running running = Digests.running("SHA-256");
                closing = CLEANER.register(this, running::close);
                streaming = running;
                streaming.update(kept, 0, length);
                streaming.update(input, offset, len);
                kept = new byte[256];
                length = 0;
                return;
            }
            if (length + len > kept.length) {
                kept = java.util.Arrays.copyOf(kept, Math.min(SPILL, Math.max(length + len, kept.length * 2)));
            }
            System.arraycopy(input, offset, kept, length, len);
            length += len;
        }

        @Override
        protected byte[] engineDigest() {
            try {
                if (streaming != null) {
                    return streaming.digest(0);
                }
                if (length >= Digests.NATIVE_FROM) {
                    return Digests.sha256(kept, length);
                }
                if (small == null) {
                    small = Digests.messageDigest("SHA-256");
                }
                small.update(kept, 0, length);
                return small.digest();
            } finally {
                engineReset();
            }
        }

        @Override
        protected void engineReset() {
            if (streaming != null) {
                closing.clean();
                closing = null;
                streaming = null;
            }
            if (kept.length > 4096) {
                kept = new byte[256]; // a pooled digest does not hold on to a chunk's worth
            }
            length = 0;
        }

        @Override
        public Object clone() throws CloneNotSupportedException {
            if (streaming != null) {
                throw new CloneNotSupportedException("a SHA-256 past " + SPILL + " bytes streams into libcrypto");
            }
            Sha256 copy = (Sha256) super.clone();
            copy.kept = kept.clone();
            copy.small = null;
            return copy;
        }
    }
}
