package org.tether.connection;

import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** cephx keys as files and keyrings hold them: base64 text, which libvirt's ceph secrets store decoded. */
public final class CephKeys {
    private static final Pattern KEY_LINE = Pattern.compile("(?m)^\\s*key\\s*=\\s*(\\S+)\\s*$");

    private CephKeys() {
    }

    /**
     * The key in a file's text: either the bare base64 key ({@code ceph auth get-key}) or a keyring, where
     * the section of {@code client.<user>} is preferred.
     *
     * @throws IllegalArgumentException saying what is wrong, never echoing the text
     */
    public static String fromText(String text, String user) {
        String t = text.strip();
        if (!t.contains("\n") && !t.contains("=") || t.matches("[A-Za-z0-9+/]+={0,2}")) {
            return check(t);
        }
        String section = "[client." + user + "]";
        String body = t;
        if (t.contains(section)) {
            body = t.substring(t.indexOf(section) + section.length());
            int next = body.indexOf("\n[");
            body = next < 0 ? body : body.substring(0, next);
        }
        Matcher m = KEY_LINE.matcher(body);
        if (!m.find()) {
            throw new IllegalArgumentException("no key line for client." + user);
        }
        return check(m.group(1));
    }

    /** The raw key bytes libvirt's ceph secret holds. */
    public static byte[] decode(String base64) {
        return Base64.getDecoder().decode(base64);
    }

    private static String check(String key) {
        byte[] raw;
        try {
            raw = decode(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key is not base64");
        }
        if (raw.length < 12 || raw.length > 256) {
            throw new IllegalArgumentException("the key is not a cephx key");
        }
        return key;
    }
}
