package org.tether.config;

import java.util.Optional;

/** {@code tether.connector.*}: the host and IP the agent reports in os-brick's connector properties. */
public interface ConnectorConfig {
    /** Address the storage side should reach this host on; first non-loopback address when unset. */
    Optional<String> ip();

    /** Host name reported to the controller; the OS host name when unset. */
    Optional<String> host();
}
