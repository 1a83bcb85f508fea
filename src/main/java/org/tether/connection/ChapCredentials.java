package org.tether.connection;

/**
 * CHAP credentials. The {@code *In} pair is the target's own credentials for mutual CHAP, or null.
 * {@link #toString()} never shows a password.
 */
public record ChapCredentials(String username, String password, String usernameIn, String passwordIn) {

    public boolean mutual() {
        return usernameIn != null;
    }

    @Override
    public String toString() {
        return "ChapCredentials[username=" + username + ", mutual=" + mutual() + "]";
    }
}
