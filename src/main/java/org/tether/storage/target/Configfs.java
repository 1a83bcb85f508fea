package org.tether.storage.target;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The few configfs operations LIO needs: make and remove directories, write attributes, link objects.
 * In real configfs the kernel creates the attribute files of a new directory and an rmdir removes them;
 * tests substitute a temporary tree that behaves the same.
 */
public class Configfs {
    private final Path root;

    public Configfs(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public boolean exists(Path p) {
        return Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    public void mkdir(Path p) {
        if (exists(p)) {
            return;
        }
        try {
            Files.createDirectory(p);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made by a concurrent export since the check (a shared parent such as iscsi/): what was wanted
        } catch (IOException e) {
            throw failed("mkdir " + p, e);
        }
    }

    public void write(Path attribute, String value) {
        try {
            Files.writeString(attribute, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw failed("write " + attribute, e);
        }
    }

    public String read(Path attribute) {
        try {
            return Files.readString(attribute, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "";
        }
    }

    public void symlink(Path link, Path target) {
        if (exists(link)) {
            return;
        }
        try {
            Files.createSymbolicLink(link, target);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.isSymbolicLink(link)) {
                throw failed("link " + link, e);
            }
        } catch (IOException e) {
            throw failed("link " + link, e);
        }
    }

    /** Removes a link or an (attribute-only) directory; absent is success. */
    public void remove(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw failed("remove " + p, e);
        }
    }

    public List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        } catch (IOException e) {
            throw failed("list " + dir, e);
        }
        out.sort(null);
        return out;
    }

    private static TetherException failed(String what, IOException e) {
        return new TetherException(ErrorCode.TARGET_FAILED, "configfs: " + what + ": " + e.getMessage(), e);
    }
}
