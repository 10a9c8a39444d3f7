// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.capture.CaptureResult;
import io.cryostash.restore.LazyRestore;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.Restorer;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.pack.PackReader;

/** restore --lazy: the process runs first, its private memory comes in through a userfaultfd. */
@ExtendWith(Leftovers.class)
class LazyRestoreTest {
    @TempDir
    Path tmp;

    @Test
    void lazilyRestoredProcessEndsWithEveryPageAndIsLetGo() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("memory")).start();
        CaptureResult image = rt.checkpoint(original, true);

        LazyRestore lazy = new Restorer(rt.store()).restoreLazy(image.image().id(),
                new RestoreOptions(false, rt.logDir()));
        Leftovers.track(lazy.pid());
        LazyRestore.Outcome o = lazy.awaitResident();

        assertThat(o.failure()).isNull();
        assertThat(o.resident()).isTrue();
        assertThat(o.bytes()).isEqualTo(lazy.totalBytes()); // every saved page copied in exactly once
        assertThat(lazy.totalBytes()).as("the lazily served areas hold most of the image")
                .isGreaterThan(image.memoryBytes() / 2);
        FixtureProcess restored = original.restoredAs(lazy.pid());
        assertThat(ProcState.statusLine(lazy.pid(), "TracerPid")).as("let go once resident").isEqualTo("0");
        assertThat(restored.check()).isEqualTo("PASS"); // every page of heap, stack, globals, maps
    }

    @Test
    void areaSettingsComeBackAndALockedAreaIsInBeforeTheProcessRuns() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("settings")).start();
        SettingsFixture areas = SettingsFixture.of(original);
        CaptureResult image = rt.checkpoint(original, true);

        LazyRestore lazy = new Restorer(rt.store()).restoreLazy(image.image().id(),
                new RestoreOptions(false, rt.logDir()));
        Leftovers.track(lazy.pid());
        // locked memory is resident by definition: written before the process ran, not left to faults
        assertThat(areas.field(lazy.pid(), "locked", "Locked")).isEqualTo(64);
        LazyRestore.Outcome o = lazy.awaitResident();

        assertThat(o.failure()).isNull();
        assertThat(areas.settings(lazy.pid())).isEqualTo(SettingsFixture.EXPECTED);
        assertThat(original.restoredAs(lazy.pid()).check()).isEqualTo("PASS");
    }

    @Test
    void multiThreadedProcessWithDescriptorsAndAThreadTimerRunsLazilyUnderItsOwnPidAndTids() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("threadfds", "-pthread", "-lrt")).start();
        java.util.List<Integer> tids = original.read("threads").lines().map(Integer::parseInt).toList();
        CaptureResult image = rt.checkpoint(original, true);

        LazyRestore lazy = new Restorer(rt.store()).restoreLazy(image.image().id(),
                new RestoreOptions(false, rt.logDir()));
        Leftovers.track(lazy.pid());
        LazyRestore.Outcome o = lazy.awaitResident();

        assertThat(o.failure()).isNull();
        assertThat(o.resident()).isTrue();
        assertThat(lazy.pid()).isEqualTo(original.pid());
        assertThat(ProcState.threads(lazy.pid())).containsExactlyInAnyOrderElementsOf(tids);
        for (int t : ProcState.threads(lazy.pid())) {
            assertThat(ProcState.read(lazy.pid(), "task/" + t + "/status")).as("thread " + t + " let go")
                    .contains("TracerPid:\t0\n");
        }
        assertThat(ProcState.read(lazy.pid(), "timers")).contains("notify: signal/tid." + tids.get(1));
        assertThat(original.restoredAs(lazy.pid()).check()).startsWith("PASS");
    }

    @Test
    void multiThreadedCopyRunsLazilyInANewPidNamespaceBesideTheRunningOriginal() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("condvars", "-pthread")).start();
        CaptureResult image = rt.checkpoint(original, false);

        LazyRestore lazy = new Restorer(rt.store()).restoreLazy(image.image().id(),
                new RestoreOptions(false, rt.logDir(), RestoreOptions.PidMode.NEW_PID_NAMESPACE));
        Leftovers.track(lazy.pid());
        LazyRestore.Outcome o = lazy.awaitResident();

        assertThat(o.failure()).isNull();
        assertThat(o.resident()).isTrue();
        assertThat(lazy.pid()).isNotEqualTo(original.pid());
        assertThat(lazy.ownPid()).as("its own pid inside the namespace").isEqualTo(original.pid());
        assertThat(ProcState.threads(lazy.pid())).hasSameSizeAs(image.image().threads());
        assertThat(original.check()).startsWith("PASS");
        original.clearResult();
        assertThat(original.restoredAs(lazy.pid()).check()).startsWith("PASS");
    }

    @Test
    void childrenMadeWithPosixSpawnShareTheLazyMemoryAndRunWhileItComesIn() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("forker")).args("spawn").start();
        CaptureResult image = rt.checkpoint(original, true);

        LazyRestore lazy = new Restorer(rt.store()).restoreLazy(image.image().id(),
                new RestoreOptions(false, rt.logDir()));
        Leftovers.track(lazy.pid());
        FixtureProcess restored = original.restoredAs(lazy.pid());
        restored.signal(FixtureProcess.SIGUSR1); // spawn now, while the memory comes in
        LazyRestore.Outcome o = lazy.awaitResident();

        assertThat(o.failure()).isNull();
        assertThat(o.resident()).isTrue();
        // the memory may be in before the forty children are: the check's SIGUSR1 would then interrupt
        // the fixture's waitpid (its handler has no SA_RESTART) and fail it with "waitpid" (seen in CI)
        restored.awaitNumberAbove("made", 0);
        assertThat(restored.check()).isEqualTo("PASS"); // every child ended well, every byte as it was
    }

    @Test
    void aForkBeforeTheMemoryIsInKillsParentAndChildNamingIt() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("forker")).args("fork").start();
        CaptureResult image = rt.checkpoint(original, true);

        LazyRestore lazy = new Restorer(rt.store()).restoreLazy(image.image().id(),
                new RestoreOptions(false, rt.logDir()));
        Leftovers.track(lazy.pid());
        original.restoredAs(lazy.pid()).signal(FixtureProcess.SIGUSR1); // fork now
        LazyRestore.Outcome o = lazy.awaitResident();

        org.junit.jupiter.api.Assumptions.assumeFalse(o.resident(), "all 256 MiB came in before the first fork");
        assertThat(o.failure()).contains("forked").contains("without --lazy");
        Poll.until(Duration.ofSeconds(10), () -> "pid " + lazy.pid() + " to be killed", () -> {
            char s = ProcState.of(lazy.pid());
            return s == 0 || s == 'Z';
        });
    }

    @Test
    void aChunkFailingVerificationKillsTheProcessAndNamesTheChunk() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("memory")).start();
        CaptureResult image = rt.checkpoint(original, true);
        ProcessImage im = rt.store().read(image.image().id());
        // the largest lazily served area: the fixture's 8 MiB heap map, which it checks (touches) first
        MemoryArea heap = im.areas().stream().filter(LazyMemory::isLazy)
                .max(java.util.Comparator.comparingLong(MemoryArea::storedPages)).orElseThrow();
        AreaChunk victim = heap.content().chunks().get(heap.content().chunks().size() / 2);
        corrupt(rt, victim);

        LazyRestore lazy;
        try {
            lazy = new Restorer(rt.store()).restoreLazy(image.image().id(), new RestoreOptions(false, rt.logDir()));
        } catch (io.cryostash.restore.RestoreException refusedBeforeRunning) {
            // the husk touched it while being built: refused, nothing runs
            assertThat(refusedBeforeRunning.getMessage()).contains(victim.key().hex());
            return;
        }
        Leftovers.track(lazy.pid());
        LazyRestore.Outcome o = lazy.awaitResident();

        assertThat(o.resident()).isFalse();
        assertThat(o.failure()).contains(victim.key().hex()).contains("corrupt");
        Poll.until(Duration.ofSeconds(10), () -> "pid " + lazy.pid() + " to be killed (state "
                + ProcState.of(lazy.pid()) + ")", () -> {
                    char s = ProcState.of(lazy.pid());
                    return s == 0 || s == 'Z';
                });
    }

    @Test
    void closingBeforeTheMemoryIsInKillsTheProcess() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("memory")).start();
        CaptureResult image = rt.checkpoint(original, true);

        LazyRestore lazy = new Restorer(rt.store()).restoreLazy(image.image().id(),
                new RestoreOptions(false, rt.logDir()));
        Leftovers.track(lazy.pid());
        lazy.close();

        Poll.until(Duration.ofSeconds(10), () -> "pid " + lazy.pid() + " to be killed", () -> {
            char s = ProcState.of(lazy.pid());
            return s == 0 || s == 'Z';
        });
    }

    /** Flips a byte in the middle of the chunk's compressed frame, in its pack file. */
    private static void corrupt(RoundTrip rt, AreaChunk c) throws IOException {
        ChunkIndex.Location loc = rt.store().repository().chunks().index().lookup(c.key()).orElseThrow();
        Path pack = rt.storeDir().resolve(PackReader.objectName(loc.packId()));
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
            long at = loc.entry().offset() + loc.entry().compressedLength() / 2;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x5a);
        }
    }
}
