// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

/** A restore that could not be done; the half-built process has been killed. */
public class RestoreException extends RuntimeException {
    public RestoreException(String message) {
        super(message);
    }

    public RestoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
