package org.tether.disk;


/**
 * One difference between what the journal says and what the host has.
 *
 * @param kind     stable name: domain_missing, disk_missing, session_missing, device_missing, secret_missing,
 *                 session_relogged (found missing and repaired)
 * @param repaired whether reconciliation put it right
 */
public record Drift(String kind, String detail, boolean repaired) {

    public static Drift found(String kind, String detail) {
        return new Drift(kind, detail, false);
    }

    public static Drift repaired(String kind, String detail) {
        return new Drift(kind, detail, true);
    }
}
