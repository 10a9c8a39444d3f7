// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import java.io.IOException;

/**
 * A capture would upload more new bytes than its quota leaves: it stops before the chunk that
 * would go over is uploaded, and commits nothing. {@link #getMessage()} says which quota and what to do.
 */
public class UploadLimitException extends IOException {
    public UploadLimitException(String message) {
        super(message);
    }
}
