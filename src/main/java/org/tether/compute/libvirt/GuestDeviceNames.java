package org.tether.compute.libvirt;

import org.tether.disk.GuestDevice;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.Set;
import java.util.regex.Pattern;

/** Picks a guest device name: the requested one when free, else the first free name of the bus. */
public final class GuestDeviceNames {
    private static final Pattern NAME = Pattern.compile("(vd|sd)[a-z]{1,2}");

    private GuestDeviceNames() {
    }

    public static void validate(String requested, GuestDevice.Bus bus) {
        if (requested == null) {
            return;
        }
        if (!NAME.matcher(requested).matches()) {
            throw TetherException.invalid("device", "device must look like vdb or sdc");
        }
        if (!requested.startsWith(bus.prefix())) {
            throw TetherException.invalid("device", "device " + requested + " does not match bus " + bus.wire()
                    + " (expected " + bus.prefix() + "X)");
        }
    }

    public static GuestDevice choose(String requested, GuestDevice.Bus bus, Set<String> used) {
        if (requested != null && !used.contains(requested)) {
            return new GuestDevice(requested, bus);
        }
        for (int i = 0; i < 26 + 26 * 26; i++) {
            String name = bus.prefix() + suffix(i);
            if (!used.contains(name)) {
                return new GuestDevice(name, bus);
            }
        }
        throw new TetherException(ErrorCode.NO_FREE_DEVICE, "device", "every " + bus.prefix() + "X name is taken");
    }

    /** 0 → a, 25 → z, 26 → aa, as libvirt and the Linux sd driver count. */
    static String suffix(int i) {
        if (i < 26) {
            return String.valueOf((char) ('a' + i));
        }
        int j = i - 26;
        return "" + (char) ('a' + j / 26) + (char) ('a' + j % 26);
    }
}
