package org.tether.storage.target;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code tgtadm --op show --mode target}, parsed: each target's tid, IQN, accounts, ACLs and LUN backing stores. */
public record TgtTargets(List<Target> targets) {
    private static final Pattern TARGET = Pattern.compile("^Target (\\d+): (\\S+)$");
    private static final Pattern BACKING = Pattern.compile("^\\s+Backing store path: (.+)$");

    public record Target(int tid, String iqn, Set<String> accounts, Set<String> acls, Set<String> backingStores) {
    }

    public static TgtTargets parse(String output) {
        List<Target> out = new ArrayList<>();
        Target current = null;
        String section = "";
        for (String line : output.split("\n")) {
            Matcher t = TARGET.matcher(line);
            if (t.matches()) {
                current = new Target(Integer.parseInt(t.group(1)), t.group(2), new LinkedHashSet<>(),
                        new LinkedHashSet<>(), new LinkedHashSet<>());
                out.add(current);
                section = "";
                continue;
            }
            if (current == null) {
                continue;
            }
            String trimmed = line.strip();
            if (line.startsWith("    ") && !line.startsWith("        ") && trimmed.endsWith(":")) {
                section = trimmed;
                continue;
            }
            Matcher b = BACKING.matcher(line);
            if (b.matches() && !b.group(1).equals("None")) {
                current.backingStores().add(b.group(1).strip());
            } else if (line.startsWith("        ") && !trimmed.isEmpty()) {
                if (section.equals("Account information:")) {
                    current.accounts().add(trimmed.replace(" (outgoing)", ""));
                } else if (section.equals("ACL information:")) {
                    current.acls().add(trimmed);
                }
            }
        }
        return new TgtTargets(out);
    }

    public java.util.Optional<Target> byIqn(String iqn) {
        return targets.stream().filter(t -> t.iqn().equals(iqn)).findFirst();
    }

    /** The lowest tid not in use (tids start at 1). */
    /** The target ids tgtd listed. */
    public Set<Integer> tids() {
        Set<Integer> used = new java.util.HashSet<>();
        targets.forEach(t -> used.add(t.tid()));
        return used;
    }
}
