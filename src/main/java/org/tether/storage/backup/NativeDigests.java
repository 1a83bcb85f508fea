package org.tether.storage.backup;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.jboss.logging.Logger;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * SHA-256 and MD5 of chunk-sized data through the host's libcrypto (OpenSSL 3: libssl3 on Debian, openssl-libs
 * on EL, both already needed for the agent's TLS tooling), which uses the CPU's SHA extensions where it has them.
 * The agent's unit runs C1 only ({@code -XX:TieredStopAtLevel=1}, for its memory), and C1 has no intrinsic for
 * either digest: the JDK's own SHA-256 of a 4 MiB chunk there is several times slower (figures in
 * docs/performance.md, Backups). Data shorter than {@link #NATIVE_FROM} (a manifest, a tree of hashes) and a host
 * without a loadable libcrypto that passes the known-answer check use the JDK's, with the same results.
 * <p>
 * The bytes are copied once into a kept native buffer (one per concurrent caller, as {@link Zstd} keeps its
 * contexts), never into fresh native memory per call.
 */
final class NativeDigests {
    private static final Logger LOG = Logger.getLogger(NativeDigests.class);
    /** Below this the JDK's digest costs less than the copy and the native call. */
    static final int NATIVE_FROM = 16 << 10;

    private interface Lib extends Library {
        Pointer SHA256(Pointer data, long length, Pointer md);

        Pointer MD5(Pointer data, long length, Pointer md);
    }

    /** Before {@link #LIB}: its known-answer check borrows a buffer. */
    private static final ConcurrentLinkedQueue<Memory> IDLE = new ConcurrentLinkedQueue<>();
    private static final Lib LIB = load();

    private NativeDigests() {
    }

    /** Whether libcrypto is in use (it loaded, and its SHA-256 and MD5 gave the known answers). */
    static boolean isNative() {
        return LIB != null;
    }

    static String sha256Hex(byte[] b, int length) {
        return HexFormat.of().formatHex(sha256(b, length));
    }

    static byte[] sha256(byte[] b, int length) {
        return LIB != null && length >= NATIVE_FROM ? viaLib(b, length, true) : jdk("SHA-256", b, length);
    }

    static byte[] md5(byte[] b, int length) {
        return LIB != null && length >= NATIVE_FROM ? viaLib(b, length, false) : jdk("MD5", b, length);
    }

    /** The JDK's digest, always: the reference the tests hold libcrypto's to. */
    static byte[] jdk(String algorithm, byte[] b, int length) {
        try {
            MessageDigest d = MessageDigest.getInstance(algorithm);
            d.update(b, 0, length);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] viaLib(byte[] b, int length, boolean sha256) {
        return digest(LIB, b, length, sha256);
    }

    private static byte[] digest(Lib lib, byte[] b, int length, boolean sha256) {
        if (length < 0 || length > b.length) {
            throw new IndexOutOfBoundsException("length " + length + " of " + b.length + " bytes");
        }
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
            LOG.info("no libcrypto: backups hash chunks with the JDK's SHA-256 (slower under C1)");
            return null;
        }
        byte[] probe = new byte[NATIVE_FROM + 3];
        for (int i = 0; i < probe.length; i++) {
            probe[i] = (byte) (i * 31 + 7);
        }
        try {
            boolean same = MessageDigest.isEqual(digest(lib, probe, probe.length, true), jdk("SHA-256", probe, probe.length))
                    && MessageDigest.isEqual(digest(lib, probe, probe.length, false), jdk("MD5", probe, probe.length));
            if (same) {
                return lib;
            }
            LOG.warn("libcrypto's SHA-256 or MD5 gave a wrong answer: backups use the JDK's digests");
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.warnf("libcrypto cannot digest (%s): backups use the JDK's digests", e.toString());
        }
        IDLE.clear();
        return null;
    }
}
