package org.tether.operations;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Optional;

/** HMAC-SHA256 over the exact body bytes, with the shared key read once from a file only its owner reads. */
@ApplicationScoped
public class CallbackSigner {
    private final Optional<byte[]> key;

    @Inject
    public CallbackSigner(TetherConfig config) {
        this.key = config.callbacks().secretFile().map(CallbackSigner::read);
    }

    CallbackSigner(byte[] key) {
        this.key = Optional.of(key.clone());
    }

    public boolean configured() {
        return key.isPresent();
    }

    /** {@code sha256=<hex>}, the value of the signature header. */
    public String sign(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.orElseThrow(), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(Path file) {
        try {
            if (Files.getPosixFilePermissions(file).stream().anyMatch(p -> p != PosixFilePermission.OWNER_READ
                    && p != PosixFilePermission.OWNER_WRITE)) {
                throw new IllegalStateException("callback secret file " + file + " must be 0600");
            }
            byte[] key = Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
            if (key.length < 16) {
                throw new IllegalStateException("callback secret in " + file + " must be 16 or more characters");
            }
            return key;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read callback secret file " + file + ": " + e.getMessage(), e);
        }
    }
}
