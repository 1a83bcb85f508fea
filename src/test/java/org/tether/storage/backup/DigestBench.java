package org.tether.storage.backup;

import java.util.Arrays;
import java.util.Random;

/**
 * {@code bash lab/bench-digest.sh}: SHA-256 and MD5 of 4 MiB chunks (a backup's chunk, an S3 PUT's Content-MD5),
 * the JDK's against libcrypto's through {@link NativeDigests}; prints the median MB/s of seven rounds of 128 MiB.
 */
public final class DigestBench {
    private DigestBench() {
    }

    public static void main(String[] args) {
        byte[] chunk = new byte[4 << 20];
        new Random(1).nextBytes(chunk);
        System.out.println("libcrypto in use: " + NativeDigests.isNative());
        for (String algorithm : new String[] {"SHA-256", "MD5"}) {
            double jdk = median(() -> NativeDigests.jdk(algorithm, chunk, chunk.length), chunk.length);
            double lib = median(() -> {
                if (algorithm.equals("MD5")) {
                    NativeDigests.md5(chunk, chunk.length);
                } else {
                    NativeDigests.sha256(chunk, chunk.length);
                }
            }, chunk.length);
            System.out.printf("%-7s 4 MiB chunks: JDK %5.0f MB/s, libcrypto %5.0f MB/s (%.1fx)%n", algorithm, jdk, lib,
                    lib / jdk);
        }
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
