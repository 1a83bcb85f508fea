package org.tether.operations;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.security.SecretFile;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
        return SecretFile.read(file, "callback secret", 16).getBytes(StandardCharsets.UTF_8);
    }
}
