// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

/** Puts a message in the spool (durably) and nudges the sender. */
public final class Reporter {
    private final Spool spool;
    private final Runnable wake;
    private final EventMessages messages;

    public Reporter(Spool spool, EventMessages messages, Runnable wake) {
        this.spool = spool;
        this.messages = messages;
        this.wake = wake;
    }

    public EventMessages messages() {
        return messages;
    }

    public void report(OutgoingMessage m) {
        spool.put(m);
        wake.run();
    }
}
