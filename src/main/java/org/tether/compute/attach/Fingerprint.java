package org.tether.compute.attach;

import org.tether.connection.ChapCredentials;
import org.tether.connection.ConnectionInfo;
import org.tether.connection.IscsiConnectionInfo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Digest of what makes two attach requests "the same": target, options, QoS, device, bus, path. Passwords
 * are left out, so a re-sent request with rotated CHAP still counts as a repeat and nothing secret is kept.
 */
public final class Fingerprint {
    private Fingerprint() {
    }

    static String of(AttachCommand cmd, ConnectionInfo info) {
        StringBuilder s = new StringBuilder()
                .append(info.driverVolumeType()).append('|')
                .append(info.options()).append('|')
                .append(cmd.requestedDevice()).append('|').append(cmd.bus()).append('|')
                .append(cmd.path()).append('|').append(cmd.multiattach());
        if (info instanceof IscsiConnectionInfo i) {
            s.append('|').append(i.paths()).append('|').append(user(i.sessionChap()));
        }
        return digest(s.toString());
    }

    /** The first 128 bits of the text's SHA-256, in hex. */
    public static String digest(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String user(ChapCredentials c) {
        return c == null ? "-" : c.username();
    }
}
