// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

/** A request this agent will never act on (e.g. one the catalog does not know): straight to the dead-letter topic. */
public class RequestRefusedException extends RuntimeException {
    public RequestRefusedException(String message) {
        super(message);
    }
}
