package org.tether.connection;

import org.tether.connection.ConnectionInfo.AccessMode;
import org.tether.connection.ConnectionInfo.BlockSizes;
import org.tether.connection.ConnectionInfo.VolumeOptions;
import org.tether.qos.QosSpecParser;
import org.tether.error.TetherException;

/** The keys every Cinder transport's data shares: access_mode, encrypted, discard, block sizes, qos_specs. */
final class VolumeOptionsParser {
    private VolumeOptionsParser() {
    }

    static VolumeOptions parse(JsonFields f) {
        String mode = f.string("access_mode", 2);
        AccessMode access = AccessMode.RW;
        if (mode != null) {
            if (!mode.equals("rw") && !mode.equals("ro")) {
                throw TetherException.invalid(f.path("access_mode"), f.path("access_mode") + " must be rw or ro");
            }
            access = mode.equals("ro") ? AccessMode.RO : AccessMode.RW;
        }
        boolean encrypted = Boolean.TRUE.equals(f.bool("encrypted"));
        boolean discard = Boolean.TRUE.equals(f.bool("discard"));
        f.bool("cacheable");
        Integer logical = blockSize(f, "logical_block_size");
        Integer physical = blockSize(f, "physical_block_size");
        if (logical != null && physical != null && physical < logical) {
            throw TetherException.invalid(f.path("physical_block_size"),
                    "physical_block_size must be >= logical_block_size");
        }
        return new VolumeOptions(access, discard, new BlockSizes(logical, physical),
                QosSpecParser.parse(f.raw("qos_specs"), f.path("qos_specs")), encrypted);
    }

    private static Integer blockSize(JsonFields f, String key) {
        if (!f.has(key)) {
            return null;
        }
        int v = JsonFields.integer(f.raw(key), f.path(key), 512, 65536);
        if (Integer.bitCount(v) != 1) {
            throw TetherException.invalid(f.path(key), f.path(key) + " must be a power of two");
        }
        return v;
    }

}
