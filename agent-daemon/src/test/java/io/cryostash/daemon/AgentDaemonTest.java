// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.daemon.kafka.EventMessages;
import io.cryostash.daemon.testing.EventTap;
import io.cryostash.daemon.testing.TestStack;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.CheckpointFailed;
import io.cryostash.schema.event.RestoreRequested;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.SnapshotRequested;
import io.cryostash.schema.event.Topics;
import io.cryostash.store.sign.HostKeys;

/**
 * Agents without a catalog against a real broker (SASL/SCRAM) and a real S3 server, capturing and
 * restoring real processes: requests in, signed reports out, each request's work done once.
 */
@ExtendWith(Leftovers.class)
class AgentDaemonTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final AtomicInteger HOSTS = new AtomicInteger();

    @TempDir
    static Path dir;
    static TestStack stack;
    static EventTap tap;

    @BeforeAll
    static void start() throws Exception {
        stack = new TestStack(dir);
        tap = new EventTap(stack.kafka(), List.of(Topics.CHECKPOINT_COMPLETED, Topics.CHECKPOINT_FAILED, Topics.RESTORE_STATUS,
                Topics.DEAD_LETTER));
    }

    @AfterAll
    static void stop() throws Exception {
        tap.close();
        stack.close();
    }

    private static String newHost(String name) {
        return name + "-" + HOSTS.incrementAndGet() + "-" + ProcessHandle.current().pid();
    }

    private static SnapshotRequested snapshot(UUID id, String host, FixtureProcess f, String parent, boolean kill) {
        return new SnapshotRequested(SnapshotRequested.VERSION, id, host, 7, "counter-job", f.pid(),
                ProcStat.read(f.pid()).startTime(), parent, kill, null, "test", Instant.now());
    }

    private static CheckpointCompleted awaitCompleted(UUID request) {
        return tap.await(Topics.CHECKPOINT_COMPLETED, m -> m.text().contains(request.toString()), WAIT,
                "checkpoint.completed of " + request).as(CheckpointCompleted.class);
    }

    @Test
    void snapshotRequestsAreCapturedOnceIncrementallyAndReportedSigned() throws Exception {
        String host = newHost("snap");
        Path home = dir.resolve(host);
        FixtureProcess f = FixtureProcess.of(CFixtures.shared("counter")).args("16").start();
        try (AgentDaemon agent = AgentDaemon.start(stack.agent(host, home))) {
            UUID first = UUID.randomUUID();
            tap.send(Topics.SNAPSHOT_REQUESTED, host, SnapshotRequested.TYPE, snapshot(first, host, f, null, false));
            tap.send(Topics.SNAPSHOT_REQUESTED, host, SnapshotRequested.TYPE, snapshot(first, host, f, null, false));
            CheckpointCompleted c1 = awaitCompleted(first);
            assertThat(c1.hostId()).isEqualTo(host);
            assertThat(c1.job()).isEqualTo("counter-job");
            assertThat(c1.manifestKey()).isEqualTo("manifests/" + c1.imageId());
            assertThat(c1.logicalBytes()).isGreaterThan(16L << 20);

            // the second delivery of the first request is handled before this one (in order)
            UUID second = UUID.randomUUID();
            tap.send(Topics.SNAPSHOT_REQUESTED, host, SnapshotRequested.TYPE, snapshot(second, host, f, c1.imageId(), false));
            CheckpointCompleted c2 = awaitCompleted(second);
            assertThat(c2.parentId()).isEqualTo(c1.imageId());
            assertThat(agent.images().read(c2.imageId()).tracking()).contains("uffd");
            assertThat(tap.on(Topics.CHECKPOINT_COMPLETED, m -> m.text().contains(first.toString()))).hasSize(1);
            assertThat(agent.images().list()).filteredOn(i -> i.host().equals(host)).hasSize(2);

            EventTap.Message m = tap.on(Topics.CHECKPOINT_COMPLETED, x -> x.text().contains(second.toString())).get(0);
            assertThat(m.key()).isEqualTo(host);
            assertThat(m.type()).isEqualTo(CheckpointCompleted.TYPE);
            PublicKey key = publicKey(home.resolve("agents").resolve(host).resolve("keys").resolve(HostKeys.PUBLIC_FILE));
            assertThat(verifies(key, m.value(), m.headers().get(EventMessages.HEADER_SIGNATURE))).isTrue();
            byte[] altered = m.value().clone();
            altered[altered.length - 2] ^= 1;
            assertThat(verifies(key, altered, m.headers().get(EventMessages.HEADER_SIGNATURE))).isFalse();
        }
        assertThat(f.runningFreely()).isTrue();
        f.awaitNumberAbove("counter", f.number("counter"));
    }

    @Test
    void restoreRequestRunsOnTheOtherHostOnceAndTheProcessCarriesOn() throws Exception {
        String hostA = newHost("a");
        String hostB = newHost("b");
        Path home = dir.resolve("shared-" + hostA); // two agents of one machine: one home, two host directories
        FixtureProcess f = FixtureProcess.of(CFixtures.shared("counter")).start();
        try (AgentDaemon a = AgentDaemon.start(stack.agent(hostA, home));
             AgentDaemon b = AgentDaemon.start(stack.agent(hostB, home))) {
            assertThat(a.publicKeyId()).isNotEqualTo(b.publicKeyId());
            UUID snap = UUID.randomUUID();
            tap.send(Topics.SNAPSHOT_REQUESTED, hostA, SnapshotRequested.TYPE, snapshot(snap, hostA, f, null, true));
            CheckpointCompleted c = awaitCompleted(snap);
            f.awaitGone();
            long atCapture = f.number("counter");

            UUID restore = UUID.randomUUID();
            RestoreRequested req = new RestoreRequested(RestoreRequested.VERSION, restore, c.imageId(), c.manifestKey(), hostB,
                    "test", Instant.now());
            tap.send(Topics.RESTORE_REQUESTED, hostB, RestoreRequested.TYPE, req);
            tap.send(Topics.RESTORE_REQUESTED, hostB, RestoreRequested.TYPE, req);
            RestoreStatus done = tap.await(Topics.RESTORE_STATUS, m -> m.text().contains(restore.toString())
                    && m.text().contains("COMPLETED"), WAIT, "restore COMPLETED").as(RestoreStatus.class);
            assertThat(done.hostId()).isEqualTo(hostB);
            FixtureProcess restored = f.restoredAs(done.pid());
            restored.awaitNumberAbove("counter", atCapture);

            // a marker request behind the duplicate: once it is answered, the duplicate was handled
            UUID marker = UUID.randomUUID();
            tap.send(Topics.RESTORE_REQUESTED, hostB, RestoreRequested.TYPE, new RestoreRequested(RestoreRequested.VERSION,
                    marker, "0".repeat(64), "manifests/" + "0".repeat(64), hostB, "test", Instant.now()));
            tap.await(Topics.RESTORE_STATUS, m -> m.text().contains(marker.toString()) && m.text().contains("FAILED"), WAIT,
                    "the marker's FAILED status");
            List<EventTap.Message> statuses = tap.on(Topics.RESTORE_STATUS, m -> m.text().contains(restore.toString()));
            assertThat(statuses).extracting(m -> m.as(RestoreStatus.class).state()).containsExactly("RUNNING", "COMPLETED");
            assertThat(restored.check()).startsWith("PASS");
        }
    }

    @Test
    void aProcessThatIsGoneOrWhosePidWasReusedIsReportedGone() throws Exception {
        String host = newHost("gone");
        FixtureProcess f = FixtureProcess.of(CFixtures.shared("counter")).start();
        try (AgentDaemon agent = AgentDaemon.start(stack.agent(host, dir.resolve(host)))) {
            UUID reused = UUID.randomUUID();
            SnapshotRequested other = new SnapshotRequested(SnapshotRequested.VERSION, reused, host, 9, "job", f.pid(),
                    ProcStat.read(f.pid()).startTime() - 1, null, false, 3L, "schedule:3", Instant.now());
            tap.send(Topics.SNAPSHOT_REQUESTED, host, SnapshotRequested.TYPE, other);
            CheckpointFailed failed = tap.await(Topics.CHECKPOINT_FAILED, m -> m.text().contains(reused.toString()), WAIT,
                    "checkpoint.failed").as(CheckpointFailed.class);
            assertThat(failed.processGone()).isTrue();
            assertThat(failed.jobId()).isEqualTo(9);
            assertThat(failed.reason()).contains("another process");
            assertThat(f.runningFreely()).isTrue();

            SnapshotRequested live = snapshot(UUID.randomUUID(), host, f, null, false);
            f.kill();
            tap.send(Topics.SNAPSHOT_REQUESTED, host, SnapshotRequested.TYPE, live);
            CheckpointFailed gone = tap.await(Topics.CHECKPOINT_FAILED, m -> m.text().contains(live.requestId().toString()),
                    WAIT, "checkpoint.failed of a dead process").as(CheckpointFailed.class);
            assertThat(gone.processGone()).isTrue();
            assertThat(agent.images().list()).noneMatch(i -> i.host().equals(host));
        }
    }

    @Test
    void aMessageThatCannotBeReadGoesToTheDeadLetterTopicWithItsReason() throws Exception {
        String host = newHost("dlt");
        try (AgentDaemon agent = AgentDaemon.start(stack.agent(host, dir.resolve(host)))) {
            byte[] junk = "{\"version\": 1, \"requestId\": \"not-a-uuid\"}".getBytes(StandardCharsets.UTF_8);
            tap.send(Topics.SNAPSHOT_REQUESTED, host, SnapshotRequested.TYPE, junk);
            EventTap.Message dead = tap.await(Topics.DEAD_LETTER, m -> m.key().equals(host), WAIT, "a dead letter");
            assertThat(dead.headers().get(Topics.HEADER_ORIGINAL_TOPIC)).isEqualTo(Topics.SNAPSHOT_REQUESTED);
            assertThat(dead.headers().get(Topics.HEADER_CONSUMER)).isEqualTo("cryostash-agent-" + host);
            assertThat(dead.headers().get(Topics.HEADER_REASON)).contains("SnapshotRequested");
            assertThat(dead.value()).isEqualTo(junk);
        }
    }

    static PublicKey publicKey(Path pub) throws Exception {
        byte[] x509 = Base64.getDecoder().decode(Files.readString(pub).trim());
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(x509));
    }

    static boolean verifies(PublicKey key, byte[] value, String signatureB64) throws Exception {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(value);
        return s.verify(Base64.getDecoder().decode(signatureB64));
    }
}
