// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon;

import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.cryostash.capture.Capturer;
import io.cryostash.daemon.catalog.CatalogLink;
import io.cryostash.daemon.catalog.Heartbeat;
import io.cryostash.daemon.kafka.EventMessages;
import io.cryostash.daemon.kafka.KafkaSender;
import io.cryostash.daemon.kafka.Reporter;
import io.cryostash.daemon.kafka.RequestConsumer;
import io.cryostash.daemon.kafka.RequestHandler;
import io.cryostash.daemon.kafka.Spool;
import io.cryostash.daemon.kafka.SpoolSender;
import io.cryostash.daemon.restore.RestoreHandler;
import io.cryostash.daemon.snapshot.SnapshotHandler;
import io.cryostash.daemon.state.HostDirectory;
import io.cryostash.daemon.state.LocalAgents;
import io.cryostash.daemon.state.RequestLedger;
import io.cryostash.schema.event.Topics;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.StoreSettings;
import io.cryostash.store.sign.HostKeys;

/**
 * The agent of one host, capture and restore in one process: enrols with the catalog and heartbeats,
 * takes snapshot and restore requests for its host from Kafka, and reports through its spool.
 * {@link #close()} shuts down gracefully: the request in hand finishes and is committed, and
 * what is still to report stays in the spool for the next start.
 */
public final class AgentDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentDaemon.class);

    private final AgentSettings settings;
    private final ImageStore images;
    private final Spool spool;
    private final KafkaSender sender;
    private final SpoolSender spoolSender;
    private final Heartbeat heartbeat;
    private final RequestConsumer consumer;
    private final CatalogLink catalog;
    private final HostKeys keys;

    private AgentDaemon(AgentSettings s) {
        this.settings = s;
        HostDirectory dir = new HostDirectory(s.hostDir());
        keys = dir.keys();
        images = openStore(s, dir);
        try {
            catalog = s.catalogUrl() == null ? null : new CatalogLink(s.catalogUrl(), s.hostId(), dir, keys, s.enrolToken());
            spool = new Spool(dir.spoolDir());
            sender = new KafkaSender(s.kafka(), "cryostash-agent-" + s.hostId(), 15_000);
            spoolSender = new SpoolSender(spool, sender, () -> catalog == null || catalog.enrolled(), s.retry(),
                    s.maxRetry(), "spool-" + s.hostId());
            Reporter reporter = new Reporter(spool, new EventMessages(s.hostId(), keys), spoolSender::wake);
            RequestLedger ledger = new RequestLedger(dir.ledgerDir());
            // No capture spool here: each capture is reported to the catalog as it ends, so a --kill
            // capture keeps its process frozen until the image is stored and resumes it if storing
            // fails. With a spool, a failed store would be reported FAILED while the process is dead,
            // and the image a later replay stored would reach no catalog.
            Capturer capturer = new Capturer(images).spoolTo(null);
            Map<String, RequestHandler> handlers = Map.of(
                    Topics.SNAPSHOT_REQUESTED, new SnapshotHandler(s.hostId(), images, capturer, ledger, reporter,
                            job -> catalog == null ? null : catalog.uploadLimit(job)),
                    Topics.RESTORE_REQUESTED, new RestoreHandler(s.hostId(), images, catalog, ledger, reporter, s.logDir()));
            heartbeat = catalog == null ? null : new Heartbeat(catalog, s.heartbeat(), s.retry(), s.maxRetry(), s.hostId());
            consumer = new RequestConsumer(s.kafka(), s.hostId(), s.consumerGroup(), handlers, reporter, s.retry(),
                    s.maxRetry(), s.attempts());
        } catch (RuntimeException e) {
            images.close();
            throw e;
        }
    }

    /** Opens the store with this host's own key pair, so manifests are signed by the key it enrols. */
    public static ImageStore openStore(AgentSettings s, HostDirectory dir) {
        ImageStore images = ImageStore.open(new StoreSettings(s.store(), s.s3(), System.getenv(), s.storeConfig(),
                dir.keyDir(), s.home().resolve("trusted-keys"), s.home().resolve("cache"), s.hostId(),
                ChunkStore.Options.defaults()));
        List<PublicKey> local = LocalAgents.publicKeys(s.home());
        if (!local.isEmpty()) images.repository().trust(local.toArray(PublicKey[]::new));
        return images;
    }

    public static AgentDaemon start(AgentSettings s) {
        AgentDaemon d = new AgentDaemon(s);
        d.createTopics();
        if (d.heartbeat != null) d.heartbeat.start();
        d.spoolSender.start();
        d.consumer.start();
        log.info("agent of host {} running: Kafka {}, store {}, catalog {}, key {}", s.hostId(), s.kafka(), d.images.location(),
                s.catalogUrl() == null ? "none" : s.catalogUrl(), d.keys.keyId());
        return d;
    }

    /** Best effort: brokers that auto-create topics or a catalog that created them make this a no-op. */
    private void createTopics() {
        Map<String, Object> p = new java.util.HashMap<>(settings.kafka().clientProperties());
        p.put("request.timeout.ms", 5000);
        p.put("default.api.timeout.ms", 5000);
        try (Admin admin = Admin.create(p)) {
            java.util.Set<String> have = admin.listTopics().names().get(5, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String t : Topics.ALL) if (!have.contains(t)) missing.add(new NewTopic(t, java.util.Optional.empty(), java.util.Optional.empty()));
            if (!missing.isEmpty()) admin.createTopics(missing).all().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("could not check or create the topics now ({}); the consumer waits for them", e.toString());
        }
    }

    public AgentSettings settings() {
        return settings;
    }

    public ImageStore images() {
        return images;
    }

    public Spool spool() {
        return spool;
    }

    public boolean enrolled() {
        return catalog == null || catalog.enrolled();
    }

    public String publicKeyId() {
        return keys.keyId();
    }

    @Override
    public void close() {
        log.info("agent of host {} stopping", settings.hostId());
        consumer.close();
        if (heartbeat != null) heartbeat.close();
        spoolSender.close();
        sender.close();
        images.close();
    }

    /** Runs until the JVM is asked to stop (SIGTERM, Ctrl-C), then shuts down gracefully. */
    public void runUntilShutdown() throws InterruptedException {
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(() -> {
            close();
            stopped.countDown();
        }, "agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
    }

    static Duration seconds(long s) {
        return Duration.ofSeconds(s);
    }
}
