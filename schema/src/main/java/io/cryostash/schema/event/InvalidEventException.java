// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

/** An event that cannot be read or fails its checks: not retried, it goes to the dead-letter topic. */
public class InvalidEventException extends RuntimeException {
    public InvalidEventException(String message) {
        super(message);
    }
}
