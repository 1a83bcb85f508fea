package org.tether.encryption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.compute.encryption.LuksHeaders;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class LuksHeaderTest {
    private static byte[] header(int version, int payloadSectors) {
        ByteBuffer b = ByteBuffer.allocate(LuksHeader.PROBE_BYTES);
        b.put(new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}).putShort((short) version);
        b.put(8, "aes".getBytes()).putInt(104, payloadSectors).putInt(108, 32);
        return b.array();
    }

    @Test
    void aLuks1HeaderSaysWhereItsPayloadStartsInSectors() {
        assertThat(LuksHeader.parse(header(1, 4096))).contains(new LuksHeader(1, 4096L * 512));
        // an offset past 2^31 sectors is read unsigned
        assertThat(LuksHeader.parse(header(1, 0x80000000)).orElseThrow().payloadOffsetBytes())
                .isEqualTo(0x80000000L * 512);
    }

    @Test
    void aLuks2HeaderIsNamedWithoutAnOffset() {
        assertThat(LuksHeader.parse(header(2, 4096))).contains(new LuksHeader(2, 0));
    }

    @Test
    void anythingElseIsNoHeader() {
        byte[] h = header(1, 4096);
        h[5] = 0;
        assertThat(LuksHeader.parse(h)).isEmpty();
        assertThat(LuksHeader.parse(new byte[LuksHeader.PROBE_BYTES])).isEmpty();
        assertThat(LuksHeader.parse(new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe, 0, 1})).isEmpty();
    }

    @Test
    void aDeviceIsBlankOnlyWhenItsFirstAndLastMegabyteReadZero(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("vol");
        long size = 8L << 20;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
        }
        assertThat(LuksHeaders.blank(f, size)).isTrue();
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(size - 512); // an MD 1.0 superblock or a GPT backup sits at the end
            raf.write(1);
        }
        assertThat(LuksHeaders.blank(f, size)).isFalse();
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(size - 512);
            raf.write(0);
            raf.seek(4096);
            raf.write(1);
        }
        assertThat(LuksHeaders.blank(f, size)).isFalse();
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(4096);
            raf.write(0);
            raf.seek(4L << 20); // the middle is not looked at: a thin volume is read at its ends only
            raf.write(1);
        }
        assertThat(LuksHeaders.blank(f, size)).isTrue();
    }
}
