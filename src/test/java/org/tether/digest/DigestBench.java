package org.tether.digest;

import java.util.Arrays;
import java.util.Random;

/**
 * {@code bash lab/bench-digest.sh}: SHA-256 and MD5 of 4 MiB chunks (a backup's chunk, an S3 PUT's Content-MD5),
 * and an image download's SHA-512 + MD5, the JDK's against libcrypto's through {@link Digests}; prints the median
 * MB/s of seven rounds of 128 MiB.
 */
public final class DigestBench {
    private DigestBench() {
    }

    public static void main(String[] args) {
        byte[] chunk = new byte[4 << 20];
        new Random(1).nextBytes(chunk);
        System.out.println("libcrypto in use: " + Digests.isNative());
        for (String algorithm : new String[] {"SHA-256", "MD5"}) {
            double jdk = median(() -> Digests.jdk(algorithm, chunk, chunk.length), chunk.length);
            double lib = median(() -> {
                if (algorithm.equals("MD5")) {
                    Digests.md5(chunk, chunk.length);
                } else {
                    Digests.sha256(chunk, chunk.length);
                }
            }, chunk.length);
            System.out.printf("%-7s 4 MiB chunks: JDK %5.0f MB/s, libcrypto %5.0f MB/s (%.1fx)%n", algorithm, jdk, lib,
                    lib / jdk);
        }
        imageDigests(chunk);
    }

    /** An image's download: SHA-512 (Glance's os_hash_value) and MD5 (its checksum) over 1 MiB reads. */
    private static void imageDigests(byte[] data) {
        double jdk = median(() -> {
            try {
                java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-512");
                java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
                for (int at = 0; at < data.length; at += 1 << 20) {
                    sha.update(data, at, 1 << 20);
                    md5.update(data, at, 1 << 20);
                }
                sha.digest();
                md5.digest();
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }, data.length);
        double lib = median(() -> {
            try (Digests.Running d = Digests.running("SHA-512", "MD5")) {
                for (int at = 0; at < data.length; at += 1 << 20) {
                    d.update(data, at, 1 << 20);
                }
                d.digest(0);
                d.digest(1);
            }
        }, data.length);
        System.out.printf("SHA-512 + MD5 of 1 MiB reads: JDK %5.0f MB/s, libcrypto %5.0f MB/s (%.1fx)%n", jdk, lib,
                lib / jdk);
    }

    private static double median(Runnable digest, int bytes) {
        int perRound = 32;
        double[] mbs = new double[7];
        for (int r = 0; r < mbs.length; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < perRound; i++) {
                digest.run();
            }
            mbs[r] = (double) perRound * bytes / ((System.nanoTime() - t0) / 1e9) / 1e6;
        }
        Arrays.sort(mbs);
        return mbs[mbs.length / 2];
    }
}
