package org.tether.compute.iscsi;

/** A SCSI address host:channel:target:lun as sysfs names it. */
public record Hctl(int host, int channel, int target, int lun) {

    public String name() {
        return host + ":" + channel + ":" + target + ":" + lun;
    }

    public static Hctl parse(String text) {
        String[] p = text.split(":");
        if (p.length != 4) {
            throw new IllegalArgumentException("not an H:C:T:L address: " + text);
        }
        return new Hctl(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]),
                Integer.parseInt(p[3]));
    }
}
