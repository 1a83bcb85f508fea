package org.tether.compute.iscsi;

import org.tether.connection.IscsiNames;
import org.tether.connection.Portal;

import java.util.ArrayList;
import java.util.List;

/** One line of sendtargets discovery output: {@code 10.0.0.1:3260,1 iqn.2010-10.org.openstack:volume-...}. */
public record DiscoveredTarget(Portal portal, String iqn) {

    public static List<DiscoveredTarget> parseAll(String output) {
        List<DiscoveredTarget> out = new ArrayList<>();
        for (String line : output.split("\\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length != 2 || !IscsiNames.isValidName(parts[1])) {
                continue;
            }
            int comma = parts[0].lastIndexOf(',');
            try {
                Portal p = IscsiNames.parsePortal(comma < 0 ? parts[0] : parts[0].substring(0, comma), "discovery");
                out.add(new DiscoveredTarget(p, parts[1]));
            } catch (RuntimeException e) {
                // not a portal we could log into; skip it
            }
        }
        return out;
    }
}
