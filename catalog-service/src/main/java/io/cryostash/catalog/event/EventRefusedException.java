// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.event;

/**
 * An event the catalog will not act on, whatever the number of tries: unsigned or wrongly signed, from
 * a host that is not the one it names, pointing at a manifest that does not verify with the host's
 * enrolled key. Not retried: it goes to the dead-letter topic at once, and the refusal is audited.
 */
public class EventRefusedException extends RuntimeException {
    public EventRefusedException(String message) {
        super(message);
    }

    public EventRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
