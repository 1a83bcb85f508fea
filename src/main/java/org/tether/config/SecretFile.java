package org.tether.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;

/** A secret read once from a file that only its owner may read or write (0600 or stricter). */
public final class SecretFile {
    private SecretFile() {
    }

    /**
     * @param what how error messages name the secret ("callback secret"); the value itself never appears
     * @throws IllegalStateException when the file is unreadable, too open, or holds fewer than {@code minLength} characters
     */
    public static String read(Path file, String what, int minLength) {
        try {
            if (Files.getPosixFilePermissions(file).stream().anyMatch(p -> p != PosixFilePermission.OWNER_READ
                    && p != PosixFilePermission.OWNER_WRITE)) {
                throw new IllegalStateException(what + " file " + file + " must be 0600");
            }
            String value = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (value.length() < minLength) {
                throw new IllegalStateException(what + " in " + file + " must be " + minLength + " or more characters");
            }
            return value;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + what + " file " + file + ": " + e.getMessage(), e);
        }
    }
}
