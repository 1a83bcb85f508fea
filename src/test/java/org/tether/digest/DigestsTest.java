package org.tether.digest;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** libcrypto's digests against the JDK's, on the sizes chunks have and around the switch between the two. */
class DigestsTest {
    @Test
    void libcryptoIsUsedOnThisHost() {
        // Debian's openssl package (a dependency of the agent's) brings libcrypto.so.3: without it every backup
        // would silently hash at the JDK's C1 speed
        assertThat(Digests.isNative()).isTrue();
    }

    @Test
    void everySizeHashesAsTheJdkHashes() {
        Random random = new Random(7);
        byte[] data = new byte[(4 << 20) + 17];
        random.nextBytes(data);
        int from = Digests.NATIVE_FROM;
        for (int len : new int[] {0, 1, 55, 64, from - 1, from, from + 1, 1 << 20, 4 << 20, data.length}) {
            assertThat(Digests.sha256(data, len)).as("SHA-256 of %d bytes", len)
                    .isEqualTo(Digests.jdk("SHA-256", data, len));
            assertThat(Digests.md5(data, len)).as("MD5 of %d bytes", len)
                    .isEqualTo(Digests.jdk("MD5", data, len));
        }
    }

    @Test
    void onlyTheLengthGivenIsHashedAndABufferKeptFromALongerCallHoldsNothingOver() {
        byte[] big = new byte[1 << 20];
        java.util.Arrays.fill(big, (byte) 0x5a);
        Digests.sha256(big, big.length); // leaves a 1 MiB native buffer behind, full of 0x5a
        byte[] small = new byte[32 << 10];
        // 32 KiB of zeroes, as sha256sum and md5sum answer for head -c 32768 /dev/zero
        assertThat(Digests.sha256Hex(small, small.length))
                .isEqualTo("c35020473aed1b4642cd726cad727b63fff2824ad68cedd7ffb73c7cbd890479");
        assertThat(HexFormat.of().formatHex(Digests.md5(small, small.length)))
                .isEqualTo("bb7df04e1b0a2570657527a7e108ae23");
    }

    @Test
    void aLengthBeyondTheArrayIsRefused() {
        assertThatThrownBy(() -> Digests.sha256(new byte[Digests.NATIVE_FROM], Digests.NATIVE_FROM + 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void concurrentCallersEachGetTheirOwnAnswer() throws Exception {
        int n = 8;
        byte[][] inputs = new byte[n][];
        for (int i = 0; i < n; i++) {
            inputs[i] = new byte[256 << 10];
            new Random(i).nextBytes(inputs[i]);
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            var results = new java.util.ArrayList<java.util.concurrent.Future<Boolean>>();
            for (int i = 0; i < n; i++) {
                byte[] in = inputs[i];
                results.add(pool.submit(() -> {
                    for (int k = 0; k < 50; k++) {
                        if (!java.util.Arrays.equals(Digests.sha256(in, in.length),
                                Digests.jdk("SHA-256", in, in.length))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (var r : results) {
                assertThat(r.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRunningDigestOfPiecesEqualsTheJdksOfTheWholeForEachAlgorithm() {
        byte[] data = new byte[(3 << 20) + 5];
        new Random(11).nextBytes(data);
        String[] algorithms = {"SHA-512", "MD5", "SHA-256", "SHA-384", "SHA-1"};
        try (Digests.Running running = Digests.running(algorithms)) {
            int at = 0;
            // pieces of every size an HTTP stream hands over, down to one byte and nothing
            for (int piece : new int[] {0, 1, 7, 8192, 16384, 65536, 1 << 20}) {
                running.update(data, at, piece);
                at += piece;
            }
            running.update(data, at, data.length - at);
            for (int i = 0; i < algorithms.length; i++) {
                assertThat(running.digest(i)).as(algorithms[i])
                        .isEqualTo(Digests.jdk(algorithms[i], data, data.length));
            }
        }
    }

    @Test
    void aRunningDigestOfNothingIsTheDigestOfNothingAndAClosedOneRefusesMore() {
        Digests.Running running = Digests.running("SHA-512", "MD5");
        assertThat(running.hex(0)).isEqualTo("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
        assertThat(running.hex(1)).isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
        running.close();
        running.close(); // twice is harmless
        assertThatThrownBy(() -> running.update(new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aRunningDigestRefusesAPieceOutsideItsArrayAndAnUnknownAlgorithm() {
        try (Digests.Running running = Digests.running("SHA-512")) {
            assertThatThrownBy(() -> running.update(new byte[4], 2, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        }
        assertThatThrownBy(() -> Digests.running("SHA-512", "WHIRLPOOL")).isInstanceOf(IllegalArgumentException.class);
    }
}
