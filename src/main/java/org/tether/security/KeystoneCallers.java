package org.tether.security;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.openstack.KeystoneTokenValidator;
import org.tether.config.TetherConfig;
import org.tether.config.ApiConfig;
import org.tether.error.TetherException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keystone tokens presented in {@code X-Auth-Token}: validated once, then trusted from a cache (keyed by the
 * token's digest, never the token) until {@code cache-time} or shortly before the token expires. A token
 * without one of the configured roles, or that Keystone does not know, is refused; when Keystone cannot
 * answer, the call is refused as unavailable (503), never admitted.
 */
@ApplicationScoped
public class KeystoneCallers {
    private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(30);
    private static final int MAX_ENTRIES = 10_000;

    private record Entry(String name, Instant until) {
    }

    private final KeystoneTokenValidator validator;
    private final boolean enabled;
    private final List<String> roles;
    private final Duration cacheTime;
    private final Clock clock;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    public KeystoneCallers(KeystoneTokenValidator validator, TetherConfig config, Clock clock) {
        ApiConfig.Keystone k = config.api().keystone();
        this.validator = validator;
        this.enabled = k.enabled();
        this.roles = List.copyOf(k.roles());
        this.cacheTime = k.cacheTime();
        this.clock = clock;
        if (enabled && !validator.configured()) {
            throw new IllegalStateException("tether.api.keystone.enabled needs the agent's service credentials: "
                    + "set tether.cinder.auth-url and its user or application credential");
        }
    }

    public boolean enabled() {
        return enabled;
    }

    /**
     * The caller's audit name ({@code keystone:<user>@<project>}) when the token is valid and has a role.
     *
     * @throws Refusal when it is not; {@link Unavailable} when Keystone cannot say (blocking: call off the event loop)
     */
    public String identify(String token) {
        String key = digest(token);
        Instant now = clock.instant();
        Entry cached = cache.get(key);
        if (cached != null && now.isBefore(cached.until())) {
            return cached.name();
        }
        Optional<KeystoneTokenValidator.Validated> v;
        try {
            v = validator.validate(token);
        } catch (TetherException e) {
            throw new Unavailable("Keystone cannot validate tokens now (" + e.code().code() + ")");
        }
        if (v.isEmpty() || !now.isBefore(v.get().expiresAt())) {
            cache.remove(key);
            throw new Refusal("Keystone token not valid (expired, revoked or unknown)");
        }
        KeystoneTokenValidator.Validated t = v.get();
        if (t.roles().stream().noneMatch(roles::contains)) {
            throw new Refusal("Keystone token has none of the roles " + roles);
        }
        String name = "keystone:" + t.userName() + "(" + t.userId() + ")@" + t.projectName() + "(" + t.projectId() + ")";
        Instant until = min(now.plus(cacheTime), t.expiresAt().minus(EXPIRY_MARGIN));
        if (cache.size() >= MAX_ENTRIES) {
            cache.values().removeIf(e -> !now.isBefore(e.until()));
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
        }
        cache.put(key, new Entry(name, until));
        return name;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static String digest(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Keystone did not answer: the call is refused as retryable (503), not as unauthorized. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String reason) {
            super(reason, null, false, false);
        }
    }
}
