package org.tether.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The bearer token, read once from a file that only its owner may read. Compared in constant time; known
 * to logs and audit lines only by a short digest.
 */
public final class ApiToken {
    private static final Set<PosixFilePermission> TOO_OPEN = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final byte[] token;
    private final String id;

    private ApiToken(byte[] token) {
        this.token = token;
        this.id = "token:" + digest(token).substring(0, 12);
    }

    /** @throws IllegalStateException when the file is unreadable, empty, or readable by others */
    public static ApiToken read(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(TOO_OPEN::contains)) {
                throw new IllegalStateException("token file " + file + " is readable by others ("
                        + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); chmod 0600 it");
            }
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (text.length() < 16) {
                throw new IllegalStateException("token file " + file + " must hold a token of 16 or more characters");
            }
            return new ApiToken(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read token file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code presented} is the token; takes the same time for every wrong one of a given length. */
    public boolean matches(String presented) {
        return presented != null
                && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    /** What the audit log calls this caller: a digest prefix, never the token. */
    public String id() {
        return id;
    }

    private static String digest(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
