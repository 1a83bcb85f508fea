package org.tether.config;

import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Records of asynchronous operations under {@code <state-dir>/operations}. */
public interface OperationsConfig {
    /**
     * A finished operation whose callback (if any) was delivered or given up on is deleted this long after
     * it finished; its Idempotency-Key goes with it. Its result may hold an export's CHAP secret.
     */
    @WithDefault("7d")
    Duration retention();

    /**
     * Longest an operation may run (a volume from a large image); past it the operation ends failed with
     * 504, and what it was doing is finished or undone by the agent's own recovery.
     */
    @WithDefault("12h")
    Duration timeout();
}
