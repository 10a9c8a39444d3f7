// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

/** A capture that could not be done; the message says why and what to do about it. */
public class CaptureException extends RuntimeException {
    public CaptureException(String message) {
        super(message);
    }

    public CaptureException(String message, Throwable cause) {
        super(message, cause);
    }
}
