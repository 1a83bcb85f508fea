package org.tether.operations;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.config.TetherConfig;
import org.tether.config.SecretFile;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Signs a callback: {@code t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body bytes>">}, with the shared key
 * read once from a file only its owner reads. The timestamp is signed with the body, so a receiver that
 * refuses a {@code t} older than a few minutes cannot be fed a captured callback again later.
 */
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

    /** The value of the signature header for {@code body} sent at {@code epochSecond}. */
    public String sign(long epochSecond, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.orElseThrow(), "HmacSHA256"));
            mac.update((epochSecond + ".").getBytes(StandardCharsets.US_ASCII));
            return "t=" + epochSecond + ",v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(Path file) {
        return SecretFile.read(file, "callback secret", 16).getBytes(StandardCharsets.UTF_8);
    }
}
