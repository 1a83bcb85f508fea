package org.tether.api;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.config.TetherConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

/** Answers 404 mode_disabled for the half of the API this agent's mode does not run. */
@ApplicationScoped
public class ModeGuard {
    private final TetherConfig.Mode mode;

    public ModeGuard(TetherConfig config) {
        this.mode = config.mode();
    }

    public void requireStorage() {
        if (mode == TetherConfig.Mode.COMPUTE) {
            throw new TetherException(ErrorCode.MODE_DISABLED, "this agent runs in compute mode; storage calls "
                    + "need tether.mode=storage or both");
        }
    }

    public void requireCompute() {
        if (mode == TetherConfig.Mode.STORAGE) {
            throw new TetherException(ErrorCode.MODE_DISABLED, "this agent runs in storage mode; compute calls "
                    + "need tether.mode=compute or both");
        }
    }
}
