package org.tether.connection;

import org.tether.error.TetherException;

import java.util.regex.Pattern;

/** NVMe Qualified Names as the NVMe base specification defines them: {@code nqn.} and at most 223 bytes. */
public final class NvmeNames {
    /** Printable ASCII without spaces or the characters configfs paths and URLs cannot carry. */
    private static final Pattern NQN = Pattern.compile("nqn\\.[\\x21-\\x2e\\x30-\\x7e]{1,219}");

    private NvmeNames() {
    }

    public static boolean isNqn(String s) {
        return s != null && NQN.matcher(s).matches();
    }

    public static String requireNqn(String s, String field) {
        if (s == null) {
            throw TetherException.missing(field);
        }
        if (!isNqn(s)) {
            throw TetherException.invalid(field, field + " must be an NVMe qualified name (nqn., at most 223 "
                    + "characters, no '/' or spaces)");
        }
        return s;
    }
}
