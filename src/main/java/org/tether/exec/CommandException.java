package org.tether.exec;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

/** A program could not be started or did not finish in time. The message is already redacted. */
public class CommandException extends TetherException {
    private final boolean timedOut;

    public CommandException(String detail, boolean timedOut, Throwable cause) {
        super(ErrorCode.COMMAND_FAILED, detail, cause);
        this.timedOut = timedOut;
    }

    public boolean timedOut() {
        return timedOut;
    }
}
