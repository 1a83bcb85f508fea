package org.tether.error;

/**
 * The one exception type that crosses layers. It carries a stable code, the offending field when the
 * caller can fix it, and a detail that must never contain a secret.
 */
public class TetherException extends RuntimeException {
    private final ErrorCode code;
    private final String field;

    public TetherException(ErrorCode code, String field, String detail) {
        super(detail);
        this.code = code;
        this.field = field;
    }

    public TetherException(ErrorCode code, String detail) {
        this(code, null, detail);
    }

    public TetherException(ErrorCode code, String detail, Throwable cause) {
        super(detail, cause);
        this.code = code;
        this.field = null;
    }

    public static TetherException invalid(String field, String detail) {
        return new TetherException(ErrorCode.INVALID_FIELD, field, detail);
    }

    public static TetherException missing(String field) {
        return new TetherException(ErrorCode.MISSING_FIELD, field, field + " is required");
    }

    public ErrorCode code() {
        return code;
    }

    /** JSON-pointer-like path of the field at fault, or null. */
    public String field() {
        return field;
    }
}
