package org.tether.storage.backup;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** libcrypto's digests against the JDK's, on the sizes chunks have and around the switch between the two. */
class NativeDigestsTest {
    @Test
    void libcryptoIsUsedOnThisHost() {
        // Debian's openssl package (a dependency of the agent's) brings libcrypto.so.3: without it every backup
        // would silently hash at the JDK's C1 speed
        assertThat(NativeDigests.isNative()).isTrue();
    }

    @Test
    void everySizeHashesAsTheJdkHashes() {
        Random random = new Random(7);
        byte[] data = new byte[(4 << 20) + 17];
        random.nextBytes(data);
        int from = NativeDigests.NATIVE_FROM;
        for (int len : new int[] {0, 1, 55, 64, from - 1, from, from + 1, 1 << 20, 4 << 20, data.length}) {
            assertThat(NativeDigests.sha256(data, len)).as("SHA-256 of %d bytes", len)
                    .isEqualTo(NativeDigests.jdk("SHA-256", data, len));
            assertThat(NativeDigests.md5(data, len)).as("MD5 of %d bytes", len)
                    .isEqualTo(NativeDigests.jdk("MD5", data, len));
        }
    }

    @Test
    void onlyTheLengthGivenIsHashedAndABufferKeptFromALongerCallHoldsNothingOver() {
        byte[] big = new byte[1 << 20];
        java.util.Arrays.fill(big, (byte) 0x5a);
        NativeDigests.sha256(big, big.length); // leaves a 1 MiB native buffer behind, full of 0x5a
        byte[] small = new byte[32 << 10];
        // 32 KiB of zeroes, as sha256sum and md5sum answer for head -c 32768 /dev/zero
        assertThat(NativeDigests.sha256Hex(small, small.length))
                .isEqualTo("c35020473aed1b4642cd726cad727b63fff2824ad68cedd7ffb73c7cbd890479");
        assertThat(HexFormat.of().formatHex(NativeDigests.md5(small, small.length)))
                .isEqualTo("bb7df04e1b0a2570657527a7e108ae23");
    }

    @Test
    void aLengthBeyondTheArrayIsRefused() {
        assertThatThrownBy(() -> NativeDigests.sha256(new byte[NativeDigests.NATIVE_FROM], NativeDigests.NATIVE_FROM + 1))
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
                        if (!java.util.Arrays.equals(NativeDigests.sha256(in, in.length),
                                NativeDigests.jdk("SHA-256", in, in.length))) {
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
}
