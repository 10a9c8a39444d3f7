// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import java.io.IOException;

/**
 * A failure that may well not happen again: a dropped connection, a timeout, a 5xx from S3.
 * {@link RetryingBackend} retries these and only these.
 */
public class TransientBackendException extends IOException {
    public TransientBackendException(String message, Throwable cause) {
        super(message, cause);
    }

    public TransientBackendException(String message) {
        super(message);
    }
}
