package org.tether.lab;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** What a file holds, as one hex SHA-256 (data compared before and after a move, a crash, a restart), and runs. */
public final class Digests {
    private Digests() {
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] b = new byte[1 << 20];
            for (int n; (n = in.read(b)) > 0; ) {
                md.update(b, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A backup's content digest of a file or device, computed here from all of its bytes: SHA-256 over the
     * SHA-256 of each {@code chunkBytes} block in order (the last block as long as what is left).
     */
    public static String contentSha256(Path file, int chunkBytes) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest tree = MessageDigest.getInstance("SHA-256");
            byte[] b = new byte[chunkBytes];
            for (int n; (n = in.readNBytes(b, 0, chunkBytes)) > 0; ) {
                MessageDigest block = MessageDigest.getInstance("SHA-256");
                block.update(b, 0, n);
                tree.update(block.digest());
            }
            return HexFormat.of().formatHex(tree.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The longest run of byte {@code b} in the data: a written pattern shows as a long run unless it is ciphertext. */
    public static int longestRun(byte[] data, byte b) {
        int best = 0;
        int run = 0;
        for (byte x : data) {
            run = x == b ? run + 1 : 0;
            best = Math.max(best, run);
        }
        return best;
    }
}
