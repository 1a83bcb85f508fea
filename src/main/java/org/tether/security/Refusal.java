package org.tether.security;

/**
 * Why credentials were not accepted: a fixed phrase that never echoes what was sent. Left on the request by
 * the authentication mechanism so that the 401 it answers later can say it.
 */
public final class Refusal extends RuntimeException {
    public static final String KEY = "tether.auth.refusal";

    public Refusal(String reason) {
        super(reason, null, false, false);
    }
}
