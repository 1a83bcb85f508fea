package org.tether.compute.iscsi;

/**
 * open-iscsi's exit codes (usr/iscsi_err.h), classified once. os-brick treats the same codes as answers.
 */
public enum IscsiadmStatus {
    OK,
    /** 15 ISCSI_ERR_SESS_EXISTS: already logged in. */
    SESSION_EXISTS,
    /** 21 ISCSI_ERR_NO_OBJS_FOUND: no session / no record. */
    NO_OBJECTS,
    /** 6 ISCSI_ERR_IDBM: the node database was changed under a concurrent iscsiadm; worth retrying. */
    DB_BUSY,
    /** 24 ISCSI_ERR_LOGIN_AUTH_FAILED. */
    AUTH_FAILED,
    /** 8 ISCSI_ERR_TRANS_TIMEOUT, 3 ISCSI_ERR_TRANS and similar: the portal did not answer well. */
    TRANSPORT,
    /** 19 ISCSI_ERR_INVALID / 7 ISCSI_ERR_INVAL, 12 ISCSI_ERR_NOMEM-like internal errors. */
    FAILED;

    public static IscsiadmStatus of(int exitCode) {
        return switch (exitCode) {
            case 0 -> OK;
            case 6 -> DB_BUSY;
            case 15 -> SESSION_EXISTS;
            case 21 -> NO_OBJECTS;
            case 24 -> AUTH_FAILED;
            case 3, 4, 8, 10, 11, 29 -> TRANSPORT;
            default -> FAILED;
        };
    }
}
