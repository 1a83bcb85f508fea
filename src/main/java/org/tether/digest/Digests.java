package org.tether.digest;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Digests of bulk data (backup chunks, S3 payloads, images) through the host's libcrypto (OpenSSL 3: libssl3 on
 * Debian, openssl-libs on EL, both brought by the {@code openssl} package the agent depends on), which uses the
 * CPU's SHA extensions where it has them. The agent's unit runs C1 only ({@code -XX:TieredStopAtLevel=1}, for its
 * memory), and C1 has no intrinsic for any digest: the JDK's own SHA-256 of a 4 MiB chunk there runs at ~120 MB/s
 * against ~1.3 GB/s through libcrypto ({@code bash lab/bench-digest.sh}).
 * <p>
 * A one-shot digest of data shorter than {@link #NATIVE_FROM} (a manifest, a tree of hashes) stays with the JDK,
 * whose call costs less than the copy; so does everything on a host whose libcrypto cannot be loaded or fails the
 * known-answer check made at load. The results are the same either way. The data is copied once into native
 * memory that is kept (one buffer per concurrent caller, or per {@link Running}), never into fresh memory per call.
 */
public final class Digests {
    private static final Logger LOG = Logger.getLogger(Digests.class);
    /** Below this a one-shot digest costs less in the JDK than the copy and the native call. */
    public static final int NATIVE_FROM = 16 << 10;
    /** The JDK's names of the algorithms, by OpenSSL's. */
    private static final Map<String, String> OPENSSL_NAMES = Map.of("SHA-256", "SHA256", "SHA-512", "SHA512",
            "SHA-384", "SHA384", "SHA-224", "SHA224", "SHA-1", "SHA1", "MD5", "MD5");

    private interface Lib extends Library {
        Pointer SHA256(Pointer data, long length, Pointer md);

        Pointer MD5(Pointer data, long length, Pointer md);

        Pointer EVP_get_digestbyname(String name);

        Pointer EVP_MD_CTX_new();

        void EVP_MD_CTX_free(Pointer ctx);

        int EVP_DigestInit_ex(Pointer ctx, Pointer type, Pointer engine);

        int EVP_DigestUpdate(Pointer ctx, Pointer data, long length);

        int EVP_DigestFinal_ex(Pointer ctx, Pointer md, Pointer length);
    }

    /** Before {@link #LIB}: its known-answer check borrows a buffer. */
    private static final ConcurrentLinkedQueue<Memory> IDLE = new ConcurrentLinkedQueue<>();
    private static final Lib LIB = load();

    private Digests() {
    }

    /** Whether libcrypto is in use (it loaded, and gave the known answers). */
    public static boolean isNative() {
        return LIB != null;
    }

    public static String sha256Hex(byte[] b, int length) {
        return HexFormat.of().formatHex(sha256(b, length));
    }

    public static byte[] sha256(byte[] b, int length) {
        return LIB != null && length >= NATIVE_FROM ? oneShot(LIB, b, length, true) : jdk("SHA-256", b, length);
    }

    public static byte[] md5(byte[] b, int length) {
        return LIB != null && length >= NATIVE_FROM ? oneShot(LIB, b, length, false) : jdk("MD5", b, length);
    }

    /** The JDK's digest, always: the reference libcrypto's answers are held to. */
    public static byte[] jdk(String algorithm, byte[] b, int length) {
        MessageDigest d = messageDigest(algorithm);
        d.update(b, 0, length);
        return d.digest();
    }

    /**
     * Digests of one stream under each of {@code algorithms} (the JDK's names: SHA-256, SHA-512, MD5, ...), fed
     * together: through libcrypto each piece is copied to native memory once for all of them. Close it (its
     * native contexts are freed then).
     */
    public static Running running(String... algorithms) {
        return new Running(algorithms);
    }

    /** Several digests over the same bytes, fed piece by piece; not for concurrent use. */
    public static final class Running implements AutoCloseable {
        private final String[] algorithms;
        private final MessageDigest[] jdk;
        private final Pointer[] contexts;
        private Memory buffer;
        private boolean closed;

        private Running(String[] algorithms) {
            this.algorithms = algorithms.clone();
            this.jdk = new MessageDigest[algorithms.length];
            this.contexts = LIB == null ? null : new Pointer[algorithms.length];
            try {
                for (int i = 0; i < algorithms.length; i++) {
                    String name = OPENSSL_NAMES.get(algorithms[i].toUpperCase(Locale.ROOT));
                    if (contexts != null && name != null) {
                        contexts[i] = nativeContext(name);
                    }
                    if (contexts == null || contexts[i] == null) {
                        jdk[i] = messageDigest(algorithms[i]);
                    }
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private static Pointer nativeContext(String name) {
            Pointer type = LIB.EVP_get_digestbyname(name);
            if (type == null) {
                return null;
            }
            Pointer ctx = LIB.EVP_MD_CTX_new();
            if (ctx == null) {
                throw new IllegalStateException("libcrypto: no memory for a digest context");
            }
            if (LIB.EVP_DigestInit_ex(ctx, type, null) != 1) {
                LIB.EVP_MD_CTX_free(ctx);
                return null;
            }
            return ctx;
        }

        public void update(byte[] b, int offset, int length) {
            if (closed) {
                throw new IllegalStateException("digest closed");
            }
            java.util.Objects.checkFromIndexSize(offset, length, b.length);
            if (length == 0) {
                return;
            }
            boolean copied = false;
            for (int i = 0; i < algorithms.length; i++) {
                if (jdk[i] != null) {
                    jdk[i].update(b, offset, length);
                    continue;
                }
                if (!copied) {
                    if (buffer == null || buffer.size() < length) {
                        if (buffer != null) {
                            buffer.close(); // freed now, not whenever the collector gets to it
                        }
                        buffer = new Memory(Math.max(length, NATIVE_FROM));
                    }
                    buffer.write(0, b, offset, length);
                    copied = true;
                }
                if (LIB.EVP_DigestUpdate(contexts[i], buffer, length) != 1) {
                    throw new IllegalStateException("libcrypto: " + algorithms[i] + " update failed");
                }
            }
        }

        /** The digest of everything fed, under the {@code i}-th algorithm; once per algorithm. */
        public byte[] digest(int i) {
            if (jdk[i] != null) {
                return jdk[i].digest();
            }
            try (Memory md = new Memory(64 + 4)) {
                Pointer length = md.share(64);
                if (LIB.EVP_DigestFinal_ex(contexts[i], md, length) != 1) {
                    throw new IllegalStateException("libcrypto: " + algorithms[i] + " final failed");
                }
                return md.getByteArray(0, length.getInt(0));
            }
        }

        public String hex(int i) {
            return HexFormat.of().formatHex(digest(i));
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (contexts != null) {
                for (Pointer ctx : contexts) {
                    if (ctx != null) {
                        LIB.EVP_MD_CTX_free(ctx);
                    }
                }
            }
            if (buffer != null) {
                buffer.close();
            }
        }
    }

    /**
     * The JDK's own (provider SUN), not whichever is first: {@link NativeDigestProvider} answers SHA-256 through
     * this class, and this class's JDK path must not come back to it.
     */
    static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm, "SUN");
        } catch (NoSuchAlgorithmException | java.security.NoSuchProviderException e) {
            try {
                return MessageDigest.getInstance(algorithm);
            } catch (NoSuchAlgorithmException none) {
                throw new IllegalArgumentException("no digest " + algorithm, none);
            }
        }
    }

    private static byte[] oneShot(Lib lib, byte[] b, int length, boolean sha256) {
        java.util.Objects.checkFromIndexSize(0, length, b.length);
        // 64 bytes of room for the digest after the data
        Memory buf = IDLE.poll();
        if (buf == null || buf.size() < length + 64L) {
            buf = new Memory(Math.max(length, NATIVE_FROM) + 64L);
        }
        try {
            buf.write(0, b, 0, length);
            Pointer md = buf.share(buf.size() - 64);
            if (sha256) {
                lib.SHA256(buf, length, md);
            } else {
                lib.MD5(buf, length, md);
            }
            return md.getByteArray(0, sha256 ? 32 : 16);
        } finally {
            IDLE.add(buf);
        }
    }

    /** One EVP digest of {@code data}, for the known-answer check (the path {@link Running} takes). */
    private static byte[] evp(Lib lib, String name, byte[] data) {
        Pointer ctx = lib.EVP_MD_CTX_new();
        try (Memory in = new Memory(data.length); Memory md = new Memory(64 + 4)) {
            in.write(0, data, 0, data.length);
            Pointer length = md.share(64);
            if (ctx == null || lib.EVP_DigestInit_ex(ctx, lib.EVP_get_digestbyname(name), null) != 1
                    || lib.EVP_DigestUpdate(ctx, in, data.length) != 1 || lib.EVP_DigestFinal_ex(ctx, md, length) != 1) {
                return new byte[0];
            }
            return md.getByteArray(0, length.getInt(0));
        } finally {
            if (ctx != null) {
                lib.EVP_MD_CTX_free(ctx);
            }
        }
    }

    /** libcrypto, or null (the JDK's digests) when it cannot be loaded or gives a wrong answer. */
    private static Lib load() {
        Lib lib = null;
        for (String name : new String[] {"libcrypto.so.3", "crypto"}) {
            try {
                lib = Native.load(name, Lib.class);
                break;
            } catch (UnsatisfiedLinkError e) {
                // the next name
            }
        }
        if (lib == null) {
            LOG.info("no libcrypto: bulk data is hashed with the JDK's digests (slower under C1)");
            return null;
        }
        byte[] probe = new byte[NATIVE_FROM + 3];
        for (int i = 0; i < probe.length; i++) {
            probe[i] = (byte) (i * 31 + 7);
        }
        try {
            boolean same = MessageDigest.isEqual(oneShot(lib, probe, probe.length, true),
                    jdk("SHA-256", probe, probe.length))
                    && MessageDigest.isEqual(oneShot(lib, probe, probe.length, false), jdk("MD5", probe, probe.length))
                    && MessageDigest.isEqual(evp(lib, "SHA512", probe), jdk("SHA-512", probe, probe.length));
            if (same) {
                return lib;
            }
            LOG.warn("libcrypto's SHA-256 or MD5 gave a wrong answer: bulk data is hashed with the JDK's digests");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.warnf("libcrypto cannot digest (%s): bulk data is hashed with the JDK's digests", e.toString());
        }
        IDLE.clear();
        return null;
    }
}
