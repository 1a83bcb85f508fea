package org.tether.storage.lvm;

import java.util.Set;

/** One row of {@code lvs --reportformat json}. Percentages are null where LVM leaves them empty. */
public record LvInfo(String vg, String name, long sizeBytes, Set<String> tags, String poolLv, String origin,
                     Double dataPercent, Double metadataPercent, String attr) {

    public boolean isThinPool() {
        return attr != null && attr.startsWith("t");
    }
}
