package org.tether.compute.iscsi;

/**
 * What an iscsiadm exit code means for the caller. The codes are open-iscsi's ({@code include/iscsi_err.h},
 * as its man page lists them); each maps to one decision:
 * <ul>
 *   <li>0 {@code ISCSI_SUCCESS}: done.</li>
 *   <li>15 {@code ISCSI_ERR_SESS_EXISTS}: already logged in — a login's success.</li>
 *   <li>21 {@code ISCSI_ERR_NO_OBJS_FOUND}, 2 {@code ISCSI_ERR_SESS_NOT_FOUND}: nothing there — a logout's or a
 *       delete's success, an empty session list.</li>
 *   <li>6 {@code ISCSI_ERR_IDBM}, 28 {@code ISCSI_ERR_BUSY}, 29 {@code ISCSI_ERR_AGAIN}: the node database or
 *       the object is busy under another iscsiadm — tried again, with a short backoff.</li>
 *   <li>24 {@code ISCSI_ERR_LOGIN_AUTH_FAILED}: CHAP refused — {@code iscsi_auth_failed}, not retried.</li>
 *   <li>4 {@code ISCSI_ERR_TRANS}, 8 {@code ISCSI_ERR_TRANS_TIMEOUT}, 11 {@code ISCSI_ERR_PDU_TIMEOUT},
 *       32 {@code ISCSI_ERR_SESSION_NOT_CONNECTED}: the portal did not answer — {@code target_unavailable}
 *       (503, retry later).</li>
 *   <li>18 {@code ISCSI_ERR_ISCSID_COMM_ERR}, 20 {@code ISCSI_ERR_ISCSID_NOTCONN}: iscsid is not there (a
 *       restart, a package upgrade) — {@code iscsid_unavailable} (503, retry later).</li>
 *   <li>5 {@code ISCSI_ERR_LOGIN}, 19 {@code ISCSI_ERR_FATAL_LOGIN}: the target refused the login (no such
 *       target, no ACL for this initiator) — {@code iscsi_login_failed}.</li>
 *   <li>12 {@code ISCSI_ERR_TRANS_NOT_FOUND}, 14 {@code ISCSI_ERR_TRANS_CAPS}: this host has no iSCSI transport
 *       (iscsi_tcp not loaded) — {@code iscsi_login_failed} naming it; the qemu path needs none.</li>
 *   <li>anything else (1 {@code ISCSI_ERR}, 3 {@code ISCSI_ERR_NOMEM}, 7 {@code ISCSI_ERR_INVAL}, 9
 *       {@code ISCSI_ERR_INTERNAL}, 13 {@code ISCSI_ERR_ACCESS}, ...): {@code command_failed} with iscsiadm's
 *       own words.</li>
 * </ul>
 */
public enum IscsiadmStatus {
    OK,
    SESSION_EXISTS,
    NO_OBJECTS,
    DB_BUSY,
    AUTH_FAILED,
    TRANSPORT,
    ISCSID_DOWN,
    LOGIN_REFUSED,
    NO_TRANSPORT,
    FAILED;

    public static IscsiadmStatus of(int exitCode) {
        return switch (exitCode) {
            case 0 -> OK;
            case 15 -> SESSION_EXISTS;
            case 2, 21 -> NO_OBJECTS;
            case 6, 28, 29 -> DB_BUSY;
            case 24 -> AUTH_FAILED;
            case 4, 8, 11, 32 -> TRANSPORT;
            case 18, 20 -> ISCSID_DOWN;
            case 5, 19 -> LOGIN_REFUSED;
            case 12, 14 -> NO_TRANSPORT;
            default -> FAILED;
        };
    }
}
