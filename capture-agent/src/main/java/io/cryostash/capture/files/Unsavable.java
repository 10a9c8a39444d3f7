// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

/**
 * A descriptor that cannot be saved as it is: the message says what it is and why (it ends up in
 * the capture's refusal). {@code standardStreamMayRedirect} marks the cases a standard stream may
 * be redirected for on restore by default: its terminal or the pipe's other end will be gone.
 */
public final class Unsavable extends RuntimeException {
    private final boolean standardStreamMayRedirect;

    public Unsavable(String what) {
        this(what, false);
    }

    public Unsavable(String what, boolean standardStreamMayRedirect) {
        super(what, null, false, false);
        this.standardStreamMayRedirect = standardStreamMayRedirect;
    }

    public boolean standardStreamMayRedirect() {
        return standardStreamMayRedirect;
    }
}
