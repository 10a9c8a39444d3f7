// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.snapshot;

import java.nio.file.Path;

import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.catalog.CatalogException;
import io.cryostash.daemon.catalog.CatalogLink;
import io.cryostash.daemon.catalog.HostProbe;
import io.cryostash.daemon.kafka.EventMessages;
import io.cryostash.daemon.kafka.KafkaSender;
import io.cryostash.daemon.kafka.Spool;
import io.cryostash.daemon.state.HostDirectory;
import io.cryostash.schema.event.CheckpointCompleted;

/**
 * How a capture made outside the daemon ({@code cryostash checkpoint --job}) is registered: the
 * checkpoint.completed event, signed with this host's key, goes into the host's spool first (so it is
 * never lost), then is sent at once if the host is enrolled and the broker answers; otherwise it
 * waits there for the host's agent, which sends it once it can.
 */
public final class CheckpointPublisher {
    private CheckpointPublisher() {
    }

    /** @return null when sent, else why it waits in the spool */
    public static String publish(AgentSettings s, CheckpointCompleted event) {
        HostDirectory dir = new HostDirectory(s.hostDir());
        Spool spool = new Spool(dir.spoolDir());
        Path f = spool.put(new EventMessages(s.hostId(), dir.keys()).completed(event));
        if (s.catalogUrl() != null) {
            try {
                new CatalogLink(s.catalogUrl(), s.hostId(), dir, dir.keys(), s.enrolToken()).ensureEnrolled(HostProbe.report());
            } catch (CatalogException e) {
                return "host " + s.hostId() + " is not enrolled yet (" + e.getMessage() + "); the registration waits in "
                        + spool.dir() + " for its agent";
            }
        }
        try (KafkaSender sender = new KafkaSender(s.kafka(), "cryostash-cli-" + s.hostId(), 10_000)) {
            spool.sendOne(f, sender);
            return null;
        } catch (Exception e) {
            return "Kafka " + s.kafka().bootstrap() + " did not take it (" + e.getMessage() + "); the registration waits in "
                    + spool.dir() + " for the agent of host " + s.hostId();
        }
    }
}
