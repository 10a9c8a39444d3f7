// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.schema.image.ThreadState;
import io.cryostash.store.image.ImageStore;

/**
 * Multi-threaded processes: every thread is frozen and saved, threads that come and go during
 * the freeze are no error, and threads in states that cannot be saved are refused by name
 * with the process left running.
 */
@ExtendWith(Leftovers.class)
class ThreadCaptureTest {
    @TempDir
    Path tmp;

    private Capturer capturer() {
        return new Capturer(ImageStore.local(tmp.resolve("store")));
    }

    private static FixtureProcess start(String mode) {
        return FixtureProcess.of(CFixtures.compile("src/test/c/threadstates.c", "-pthread")).args(mode).start();
    }

    @Test
    void threadsStartingAndEndingThroughTheCaptureAreNoErrorAndEveryWorkerIsSaved() {
        FixtureProcess target = start("churn");
        target.awaitNumberAbove("counter", 0);
        Set<Integer> workers = new HashSet<>(target.read("workers").lines().map(Integer::parseInt).toList());
        assertThat(workers).hasSize(8);

        for (int i = 0; i < 10; i++) {
            CaptureResult r = capturer().capture(target.pid(), new CaptureOptions(false));

            List<Integer> tids = r.image().threads().stream().map(ThreadState::tid).toList();
            assertThat(tids.get(0)).as("the main thread comes first").isEqualTo(target.pid());
            assertThat(tids).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(9);
            assertThat(ProcState.allThreadsRunningFreely(target.pid())).isTrue();
            assertThat(tids).as("the eight steady workers, in image " + i).containsAll(workers);
            assertThat(r.image().threads()).allSatisfy(t -> {
                assertThat(t.name()).isEqualTo("threadstates");
                assertThat(t.regs().fsBase()).as("TLS pointer of " + t.tid()).isNotZero();
                assertThat(t.clearChildTid()).isNotZero();
            });
            // a short-lived thread may be caught before glibc registered its robust list: steady ones have theirs
            assertThat(r.image().threads().stream().filter(t -> workers.contains(t.tid())))
                    .allSatisfy(t -> assertThat(t.robustListHead()).as("robust list of " + t.tid()).isNotZero());
            assertThat(r.image().threads().stream().map(t -> t.regs().fsBase()).distinct().count())
                    .as("every thread has its own TLS").isEqualTo(tids.size());
        }
        target.awaitNumberAbove("counter", target.number("counter"));
        assertThat(target.check()).startsWith("PASS spawned=");
    }

    @Test
    void threadUnderSeccompIsRefusedByNameAndTheProcessRunsOn() {
        FixtureProcess target = start("seccomp");
        Poll.until(Duration.ofSeconds(10), "a thread to install its filter",
                () -> ProcState.threads(target.pid()).stream().anyMatch(t -> !t.equals(target.pid())
                        && ProcState.read(target.pid(), "task/" + t + "/status").contains("Seccomp:\t2")));

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("thread ").hasMessageContaining("seccomp")
                .hasMessageContaining("of pid " + target.pid());

        assertRunsOnWithoutImage(target);
    }

    @Test
    void threadWithCredentialsOfItsOwnIsRefusedByName() {
        FixtureProcess target = start("setuid");
        Poll.until(Duration.ofSeconds(10), "a thread to switch its uid",
                () -> ProcState.threads(target.pid()).stream().anyMatch(t -> ProcState.read(target.pid(),
                        "task/" + t + "/status").contains("Uid:\t0\t65534")));

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("credentials of its own")
                .hasMessageContaining("65534");

        assertRunsOnWithoutImage(target);
    }

    @Test
    void processWhoseMainThreadHasExitedIsRefusedNamingIt() {
        FixtureProcess target = FixtureProcess.of(CFixtures.compile("src/test/c/threadstates.c", "-pthread"))
                .args("mainexit").startNoWait();
        Poll.until(Duration.ofSeconds(10), "the main thread to exit", () -> target.state() == 'Z'
                && java.nio.file.Files.exists(target.file("ready")));
        target.awaitNumberAbove("counter", 0);

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("main thread has exited")
                .hasMessageContaining("8 other thread(s)");

        target.awaitNumberAbove("counter", target.number("counter"));
        assertThat(ImageStore.local(tmp.resolve("store")).list()).isEmpty();
    }

    @Test
    void threadThatCannotBeStoppedIsRefusedNamingItsWaitAndTheOthersRunOn() {
        FixtureProcess target = start("vfork");
        Poll.until(Duration.ofSeconds(10), "a thread to wait for its vfork child", () -> ProcState.threads(
                target.pid()).stream().anyMatch(t -> ProcState.read(target.pid(), "task/" + t + "/stat")
                .contains(" (threadstates) D ")));

        // without --kill: with it, the vfork child alone is refused first (it would be left orphaned)
        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(false)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("did not stop within")
                .hasMessageContaining("state D").hasMessageContaining("uninterruptible");

        target.awaitNumberAbove("counter", target.number("counter"));
        assertThat(ProcState.threads(target.pid()).stream().filter(t -> ProcState.read(target.pid(),
                "task/" + t + "/stat").contains(" (threadstates) t "))).as("threads left stopped").isEmpty();
        assertThat(ProcState.statusLine(target.pid(), "TracerPid")).isEqualTo("0");
        assertThat(ImageStore.local(tmp.resolve("store")).list()).isEmpty();
    }

    @Test
    void oneThreadTracedByAnotherTracerIsRefusedNamingThatTracer() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(Path.of("/usr/bin/strace")),
                "needs strace as the other tracer");
        FixtureProcess target = start("churn");
        int worker = Integer.parseInt(target.read("workers").lines().toList().get(3));
        int strace = io.cryostash.agent.testing.Detached.run("strace -p " + worker
                + " -o /dev/null </dev/null >/dev/null 2>&1 & echo $!");
        Leftovers.track(strace);
        Poll.until(Duration.ofSeconds(10), "strace to attach to thread " + worker, () -> ProcState.read(target.pid(),
                "task/" + worker + "/status").contains("TracerPid:\t" + strace));

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("thread " + worker + " of pid " + target.pid() + " is already traced by pid "
                        + strace);

        ProcessHandle.of(strace).ifPresent(ProcessHandle::destroy); // SIGTERM: strace detaches
        Poll.until(Duration.ofSeconds(10), "strace to detach", () -> ProcState.read(target.pid(),
                "task/" + worker + "/status").contains("TracerPid:\t0"));
        assertRunsOnWithoutImage(target);
    }

    private void assertRunsOnWithoutImage(FixtureProcess target) {
        assertThat(ProcState.allThreadsRunningFreely(target.pid())).isTrue();
        assertThat(ProcState.statusLine(target.pid(), "TracerPid")).isEqualTo("0");
        target.awaitNumberAbove("counter", target.number("counter"));
        assertThat(target.check()).startsWith("PASS");
        assertThat(ImageStore.local(tmp.resolve("store")).list()).isEmpty();
    }
}
