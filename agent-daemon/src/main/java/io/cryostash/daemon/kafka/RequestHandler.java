// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

/**
 * Does the work one request message asks for, idempotently (a second delivery does nothing new).
 * An exception means "try again later"; {@link io.cryostash.schema.event.InvalidEventException} and
 * {@link RequestRefusedException} mean "never": the message goes to the dead-letter topic at once.
 */
public interface RequestHandler {
    /** @param type the message's {@code cryostash-type} header */
    void handle(String type, byte[] value) throws Exception;

    /**
     * All attempts failed: report the failure to the catalog (checkpoint.failed, restore FAILED) before
     * the message goes to the dead-letter topic. Best effort: the value may be unreadable.
     */
    void gaveUp(String type, byte[] value, String reason);
}
