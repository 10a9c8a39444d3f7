// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import java.io.IOException;

/**
 * The store holds something other than what it should: a missing, damaged or forged object.
 *
 * <p>Never retried and never ignored: restore refuses and the checker reports. Subclasses carry
 * the ids a person needs to find the object ({@code cryostash verify} prints them).
 */
public class IntegrityException extends IOException {
    public IntegrityException(String message) {
        super(message);
    }

    public IntegrityException(String message, Throwable cause) {
        super(message, cause);
    }
}
