// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

/**
 * Something the request needs is away for now (the catalog, to confirm a restore request): try again
 * with backoff for as long as it takes, without counting it as a failed attempt.
 */
public class RetryLaterException extends RuntimeException {
    public RetryLaterException(String message, Throwable cause) {
        super(message, cause);
    }
}
