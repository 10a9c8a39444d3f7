// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.catalog;

/**
 * The catalog answered with an error ({@code status} > 0) or could not be reached ({@code status} 0,
 * worth retrying). The message carries the catalog's own problem detail when it sent one.
 */
public class CatalogException extends RuntimeException {
    private final int status;

    public CatalogException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** Unreachable, or a server-side error that may pass. */
    public boolean transientFailure() {
        return status == 0 || status == 502 || status == 503 || status == 504 || status == 500 || status == 429;
    }
}
