package org.tether.compute.iscsi;

import org.tether.connection.IscsiNames;
import org.tether.connection.Portal;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One line of {@code iscsiadm -m session}: {@code tcp: [3] 10.0.0.1:3260,1 iqn... (non-flash)}. */
public record IscsiSession(int id, Portal portal, String iqn) {
    private static final Pattern LINE = Pattern.compile(
            "^\\S+:\\s+\\[(\\d+)]\\s+(\\S+?),(-?\\d+)\\s+(\\S+)(\\s+\\(.*\\))?\\s*$");

    public static List<IscsiSession> parseAll(String output) {
        List<IscsiSession> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches() || !IscsiNames.isValidName(m.group(4))) {
                continue;
            }
            try {
                Portal p = IscsiNames.parsePortal(m.group(2), "session");
                out.add(new IscsiSession(Integer.parseInt(m.group(1)), p, m.group(4)));
            } catch (RuntimeException e) {
                // a portal we cannot parse is not one we log into; skip it
            }
        }
        return out;
    }

    public boolean matches(Portal p, String targetIqn) {
        return portal.equals(p) && iqn.equals(targetIqn);
    }
}
