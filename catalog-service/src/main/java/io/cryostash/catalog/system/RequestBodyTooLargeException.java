// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;

/**
 * A request body past its endpoint's limit, noticed while reading it (a body sent without a
 * length). An IOException so that whatever reads the stream (Jackson, readNBytes) stops at once.
 */
public class RequestBodyTooLargeException extends IOException {
    private final long limit;

    public RequestBodyTooLargeException(long limit, String endpoint) {
        super("Request body too large: at most " + limit + " bytes for " + endpoint);
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }
}
