// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.daemon.testing.EventTap;
import io.cryostash.daemon.testing.TestStack;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.RestoreRequested;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.SnapshotRequested;
import io.cryostash.schema.event.Topics;
import io.cryostash.store.check.Checker;
import io.cryostash.store.image.ImageStore;

/**
 * Fault suite (issue 12): the Kafka broker and the S3 server each stopped in the middle of an
 * agent's work and started again on the same ports and data. The work resumes or fails cleanly:
 * no report is lost or doubled (a report the broker did not acknowledge in time is retried by the
 * producer, not sent again beside it), the agent goes on taking requests, no target is left frozen or killed without an image, every image
 * listed verifies, and the next request succeeds.
 */
@ExtendWith(Leftovers.class)
class OutageTest {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private static SnapshotRequested snapshot(UUID id, String host, FixtureProcess f, boolean kill) {
        return new SnapshotRequested(SnapshotRequested.VERSION, id, host, 7, "outage-job", f.pid(),
                ProcStat.read(f.pid()).startTime(), null, kill, null, "test", Instant.now());
    }

    private static String host(String name) {
        return name + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
    }

    /** The process is frozen by a capture now (its tracer is a helper of the agent). */
    private static boolean beingCaptured(FixtureProcess f) {
        char s = ProcState.of(f.pid());
        return s == 0 || s == 'Z' || !ProcState.statusLine(f.pid(), "TracerPid").equals("0");
    }

    /** A process of the fixture's directory running untraced (the original is gone: it has its pid back). */
    private static int restoredFrom(FixtureProcess f) {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.matches("\\d+")) {
                    continue;
                }
                try {
                    String cmdline = Files.readString(p.resolve("cmdline"));
                    int pid = Integer.parseInt(name);
                    if (cmdline.contains(f.dir().toString()) && ProcState.runningFreely(pid)
                            && ProcState.statusLine(pid, "TracerPid").equals("0")) {
                        return pid;
                    }
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return 0;
    }

    private static void assertStoreVerifies(ImageStore images) throws Exception {
        Checker.Report r = new Checker(images.repository().chunks().backend(), images.repository().trustedKeys())
                .check(true);
        assertThat(r.errors()).isEmpty();
        images.list().forEach(i -> images.read(i.id()));
    }

    @Test
    void theBrokerStoppedDuringACaptureWithKillAndDuringARestoreLosesNoReport() throws Exception {
        String hostA = host("a");
        String hostB = host("b");
        Path home = dir.resolve("home");
        try (TestStack stack = new TestStack(dir.resolve("stack"));
             EventTap tap = new EventTap(stack.kafka(), List.of(Topics.CHECKPOINT_COMPLETED, Topics.RESTORE_STATUS))) {
            FixtureProcess f = FixtureProcess.of(CFixtures.shared("counter")).args("96").start();
            try (AgentDaemon a = AgentDaemon.start(stack.agent(hostA, home));
                 AgentDaemon b = AgentDaemon.start(stack.agent(hostB, home))) {
                UUID snap = UUID.randomUUID();
                tap.send(Topics.SNAPSHOT_REQUESTED, hostA, SnapshotRequested.TYPE, snapshot(snap, hostA, f, true));
                Poll.until(WAIT, "the capture to begin", () -> beingCaptured(f));
                stack.stopBroker(); // while the process is frozen: its image is stored, its report cannot be sent
                f.awaitGone();
                long atCapture = f.number("counter");
                // away longer than one commit of the request's offset may take: the agent must go on
                // trying it, and still take the restore request below
                Thread.sleep(20_000);
                stack.startBroker();
                CheckpointCompleted c = tap.await(Topics.CHECKPOINT_COMPLETED, m -> m.text().contains(snap.toString()),
                        WAIT, "checkpoint.completed after the broker came back").as(CheckpointCompleted.class);

                UUID restore = UUID.randomUUID();
                tap.send(Topics.RESTORE_REQUESTED, hostB, RestoreRequested.TYPE, new RestoreRequested(
                        RestoreRequested.VERSION, restore, c.imageId(), c.manifestKey(), hostB, "test", Instant.now()));
                tap.await(Topics.RESTORE_STATUS, m -> m.text().contains(restore.toString()) && m.text().contains("RUNNING"),
                        WAIT, "restore RUNNING");
                stack.stopBroker(); // the restore finishes while its COMPLETED status cannot be sent
                int[] pid = {0};
                Poll.until(WAIT, "the restored process to run", () -> (pid[0] = restoredFrom(f)) != 0);
                stack.startBroker();
                RestoreStatus done = tap.await(Topics.RESTORE_STATUS, m -> m.text().contains(restore.toString())
                        && m.text().contains("COMPLETED"), WAIT, "restore COMPLETED after the broker came back")
                        .as(RestoreStatus.class);
                assertThat(done.pid()).isEqualTo(pid[0]);
                FixtureProcess restored = f.restoredAs(done.pid());
                restored.awaitNumberAbove("counter", atCapture);

                assertThat(tap.on(Topics.CHECKPOINT_COMPLETED, m -> m.text().contains(snap.toString()))).hasSize(1);
                assertThat(tap.on(Topics.RESTORE_STATUS, m -> m.text().contains(restore.toString())))
                        .extracting(m -> m.as(RestoreStatus.class).state()).containsExactly("RUNNING", "COMPLETED");
                assertStoreVerifies(a.images());
                assertThat(restored.check()).startsWith("PASS");
            }
        }
    }

    @Test
    void theS3ServerStoppedDuringACaptureResumesOrFailsCleanlyAndTheNextCaptureSucceeds() throws Exception {
        String host = host("s3");
        try (TestStack stack = new TestStack(dir.resolve("stack"));
             EventTap tap = new EventTap(stack.kafka(), List.of(Topics.CHECKPOINT_COMPLETED, Topics.CHECKPOINT_FAILED))) {
            FixtureProcess f = FixtureProcess.of(CFixtures.shared("counter")).args("96").start();
            try (AgentDaemon agent = AgentDaemon.start(stack.agent(host, dir.resolve("home")))) {
                UUID first = UUID.randomUUID();
                tap.send(Topics.SNAPSHOT_REQUESTED, host, SnapshotRequested.TYPE, snapshot(first, host, f, true));
                Poll.until(WAIT, "the capture to begin", () -> beingCaptured(f));
                stack.stopS3(); // while the process is frozen, before its memory is stored
                Poll.until(WAIT, "a report of the capture while S3 is away",
                        () -> tap.all().stream().anyMatch(m -> m.text().contains(first.toString())));
                EventTap.Message outcome = tap.all().stream().filter(m -> m.text().contains(first.toString()))
                        .findFirst().orElseThrow();
                boolean completed = outcome.topic().equals(Topics.CHECKPOINT_COMPLETED);
                if (!completed) { // a clean failure: no image, and the process, never killed, runs on
                    assertThat(f.runningFreely()).isTrue();
                    assertThat(ProcState.statusLine(f.pid(), "TracerPid")).isEqualTo("0");
                    f.awaitNumberAbove("counter", f.number("counter"));
                }
                stack.startS3();
                assertStoreVerifies(agent.images());
                if (!completed) {
                    assertThat(agent.images().list()).isEmpty();
                    UUID second = UUID.randomUUID();
                    tap.send(Topics.SNAPSHOT_REQUESTED, host, SnapshotRequested.TYPE, snapshot(second, host, f, true));
                    tap.await(Topics.CHECKPOINT_COMPLETED, m -> m.text().contains(second.toString()), WAIT,
                            "the next capture, S3 back");
                    assertStoreVerifies(agent.images());
                }
                f.awaitGone(); // killed once, after its image was stored
                assertThat(agent.images().list()).hasSize(1);
                System.err.println("S3 outage during a --kill capture: " + (completed ? "it resumed and completed"
                        : "it failed cleanly (" + outcome.text() + "), the next one completed"));
            }
        }
    }
}
