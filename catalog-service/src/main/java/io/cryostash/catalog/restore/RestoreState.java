// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.restore;

/** REQUESTED (event sent) -> RUNNING (agent started) -> COMPLETED or FAILED; CANCELLED before it ran. */
public enum RestoreState {
    REQUESTED, RUNNING, COMPLETED, FAILED, CANCELLED;

    public boolean finished() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    /** Whether an agent may move a request from this state to {@code next}. */
    public boolean canMoveTo(RestoreState next) {
        return switch (this) {
            case REQUESTED -> next == RUNNING || next == COMPLETED || next == FAILED || next == CANCELLED;
            case RUNNING -> next == COMPLETED || next == FAILED;
            default -> false;
        };
    }
}
