package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Results of asynchronous operations POSTed to a controller's callback_url. */
public interface CallbacksConfig {
    /** 0600 file holding the HMAC-SHA256 key the callbacks are signed with; callbacks need it. */
    Optional<Path> secretFile();

    /**
     * Hosts a {@code callback_url} may name (exact names or addresses, case-insensitive); a URL to any
     * other host is refused, so an authenticated caller cannot make the agent call arbitrary addresses.
     * Unset: no callbacks.
     */
    Optional<java.util.List<String>> allowedHosts();

    /** After this long without a 2xx from the receiver, delivery stops and the reason is recorded. */
    @WithDefault("1h")
    Duration giveUpAfter();

    /** Pause before the second try of a callback that failed; doubled each time up to {@code max-retry}. */
    @WithDefault("1s")
    Duration firstRetry();

    /** The longest pause between two tries of a callback. */
    @WithDefault("60s")
    Duration maxRetry();

    /** Longest one callback request may take. */
    @WithDefault("10s")
    Duration timeout();

    /** How often deliveries due for another attempt (or left pending by a stop) are looked for. */
    @WithDefault("1s")
    Duration sweepInterval();
}
