// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.repository.Repository;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;

/**
 * Processes capture must refuse: a clear CaptureException, no image written, and a target that
 * still exists is left running, never stopped.
 */
@ExtendWith(Leftovers.class)
class CaptureRefusalTest {
    @TempDir
    Path tmp;

    private Capturer capturer() {
        return new Capturer(ImageStore.local(tmp.resolve("store")));
    }

    @Test
    void pidThatDoesNotExistIsRefused() {
        int pid = freePid();

        assertThatThrownBy(() -> capturer().capture(pid, new CaptureOptions(false)))
                .isInstanceOf(CaptureException.class).hasMessageContaining(Integer.toString(pid));
        assertNoImage();
    }

    @Test
    void kernelThreadIsRefused() {
        assertThat(ProcState.read(2, "stat")).contains("(kthreadd)");

        assertThatThrownBy(() -> capturer().capture(2, new CaptureOptions(false)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("kernel thread");
        assertThat(ProcState.of(2)).isNotIn('t', 'T');
        assertNoImage();
    }

    @Test
    void zombieIsRefusedAndItsParentRunsOn() {
        FixtureProcess parent = FixtureProcess.of(CFixtures.shared("zombie")).start();
        int zombie = (int) parent.number("zombie");
        assertThat(ProcState.of(zombie)).isEqualTo('Z');

        assertThatThrownBy(() -> capturer().capture(zombie, new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("zombie");
        assertThat(parent.runningFreely()).isTrue();
        assertThat(parent.check()).isEqualTo("PASS");
        assertNoImage();
    }

    @Test
    void processThatExitsAroundTheCaptureGivesAClearErrorOrAnImageAndNothingStopped() {
        // best effort: the exit races the capture; every outcome must be clean
        for (int i = 0; i < 15; i++) {
            int pid = Detached.run("sleep 0.0" + (i % 5) + " </dev/null >/dev/null 2>&1 & echo $!");
            Leftovers.track(pid);
            try {
                capturer().capture(pid, new CaptureOptions(false));
            } catch (CaptureException e) {
                assertThat(e.getMessage()).containsAnyOf("exited", "no such process", "zombie", "not found",
                        "No such", "does not exist", "no process");
            }
            Poll.until(java.time.Duration.ofSeconds(5), "pid " + pid + " to end", () -> {
                char s = ProcState.of(pid);
                return s == 0 || s == 'Z';
            });
        }
        assertNoTemporaryImages();
    }

    @Test
    void stoppedProcessIsRefusedAndLeftAsItWas() {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).start();
        target.signal(19); // SIGSTOP
        Poll.until(java.time.Duration.ofSeconds(5), "the target to stop", () -> target.state() == 'T');

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("is stopped")
                .hasMessageContaining("kill -CONT");
        assertThat(target.state()).isEqualTo('T');
        assertThat(ProcState.statusLine(target.pid(), "TracerPid")).isEqualTo("0");

        target.signal(18); // SIGCONT
        target.awaitNumberAbove("counter", target.number("counter"));
        assertNoImage();
    }

    @Test
    void processTracedByAnotherTracerIsRefusedNamingIt() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")),
                "needs strace as the other tracer");
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).start();
        int strace = Detached.run("strace -p " + target.pid() + " -o /dev/null </dev/null >/dev/null 2>&1 & echo $!");
        Leftovers.track(strace);
        Poll.until(java.time.Duration.ofSeconds(10), "strace to attach",
                () -> ProcState.statusLine(target.pid(), "TracerPid").equals(Integer.toString(strace)));

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("already traced by pid " + strace);

        ProcessHandle.of(strace).ifPresent(ProcessHandle::destroy); // SIGTERM: strace detaches
        Poll.until(java.time.Duration.ofSeconds(10), "strace to detach",
                () -> ProcState.statusLine(target.pid(), "TracerPid").equals("0"));
        target.awaitNumberAbove("counter", target.number("counter"));
        assertThat(target.runningFreely()).isTrue();
        assertNoImage();
    }

    @Test
    void secondCaptureOfAFrozenProcessIsRefusedWhileTheFirstSucceeds() throws Exception {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).args("128").start();
        java.util.concurrent.CompletableFuture<CaptureResult> first = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> capturer().capture(target.pid(), new CaptureOptions(false)));
        Poll.until(java.time.Duration.ofSeconds(30), "the first capture to seize the target",
                () -> first.isDone() || !ProcState.statusLine(target.pid(), "TracerPid").equals("0"));
        org.junit.jupiter.api.Assumptions.assumeFalse(first.isDone(), "the first capture was too quick to overlap");

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("already traced");

        CaptureResult r = first.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.image().process().pid()).isEqualTo(target.pid());
        assertThat(target.runningFreely()).isTrue();
        target.awaitNumberAbove("counter", target.number("counter"));
    }

    @Test
    void targetKilledDuringItsFreezeGivesAClearErrorAndNoImage() throws Exception {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).args("128").start();
        java.util.concurrent.CompletableFuture<CaptureResult> capture = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> capturer().capture(target.pid(), new CaptureOptions(false)));
        Poll.until(java.time.Duration.ofSeconds(30), "the capture to seize the target",
                () -> capture.isDone() || !ProcState.statusLine(target.pid(), "TracerPid").equals("0"));
        org.junit.jupiter.api.Assumptions.assumeFalse(capture.isDone(), "the capture was too quick to interrupt");

        target.signal(FixtureProcess.SIGKILL);

        assertThatThrownBy(() -> capture.get(60, java.util.concurrent.TimeUnit.SECONDS))
                .hasCauseInstanceOf(CaptureException.class).cause().hasMessageContaining("exited");
        target.awaitGone();
        assertNoImage();
    }

    /** A store whose packs and manifests cannot be written: files where their directories go. */
    private Path brokenStore() throws IOException {
        Path store = tmp.resolve("broken-store");
        io.cryostash.store.image.ImageStore.local(store).close();
        for (String dir : new String[] {"packs", "manifests"}) { // where the image would go: now files
            Path p = store.resolve(dir);
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
            Files.writeString(p, "not a directory");
        }
        return store;
    }

    @Test
    void imageThatCannotBeWrittenLeavesTheTargetAliveWithKillWhenThereIsNoSpool() throws IOException {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).start();
        Capturer broken = new Capturer(io.cryostash.store.image.ImageStore.local(brokenStore())).spoolTo(null);

        assertThatThrownBy(() -> broken.capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(RuntimeException.class);

        assertThat(target.runningFreely()).isTrue();
        target.awaitNumberAbove("counter", target.number("counter"));
        assertThat(target.check()).startsWith("PASS ");
    }

    @Test
    void withASpoolKillKillsOnceTheStateIsSpooledAndTheImageIsStoredLater() throws IOException {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).args("8").start();
        target.awaitNumberAbove("counter", 0);
        Path storeDir = brokenStore();
        Path spool = tmp.resolve("spool");
        io.cryostash.store.image.ImageStore store = io.cryostash.store.image.ImageStore.local(storeDir);
        Capturer broken = new Capturer(store).spoolTo(spool);

        assertThatThrownBy(() -> broken.capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("was killed once its state was spooled");
        target.awaitGone();
        try (Stream<Path> s = Files.list(spool)) {
            assertThat(s.filter(d -> Files.exists(d.resolve("capture.json"))).toList()).singleElement()
                    .as("an entry that outlives its command is synced, and marked so")
                    .satisfies(d -> assertThat(d.resolve("synced")).exists());
        }

        Files.delete(storeDir.resolve("packs"));
        Files.delete(storeDir.resolve("manifests"));
        java.util.List<SpoolReplay.Replayed> stored = SpoolReplay.replay(store, spool, e -> {
            throw new AssertionError(e);
        });

        assertThat(stored).hasSize(1);
        assertThat(stored.get(0).pid()).isEqualTo(target.pid());
        io.cryostash.schema.image.ProcessImage image = store.read(stored.get(0).imageId());
        assertThat(image.areas().stream().mapToLong(io.cryostash.schema.image.MemoryArea::storedPages).sum())
                .as("the spooled memory is in the image").isGreaterThanOrEqualTo((8L << 20) / 4096);
        try (Stream<Path> s = Files.list(spool)) {
            assertThat(s.count()).as("the entry is gone once stored").isZero();
        }
        assertThat(SpoolReplay.replay(store, spool, e -> { })).isEmpty();
    }

    /**
     * A stored capture's entry is renamed aside ({@code .done-}) and deleted by a thread of its
     * own; what a JVM that ended meanwhile left is removed by the next replay, never stored, and
     * nothing is said about it.
     */
    @Test
    void replayRemovesWhatAnInterruptedDeleteLeftWithoutStoringIt() throws IOException {
        Path spool = tmp.resolve("spool");
        Path done = Files.createDirectories(spool.resolve(io.cryostash.capture.spool.CaptureSpool.DONE_PREFIX + "left"));
        Files.writeString(done.resolve("pages"), "x");
        Files.writeString(done.resolve(io.cryostash.capture.spool.CaptureSpool.RECORD), "{ not even json");
        io.cryostash.store.image.ImageStore store = io.cryostash.store.image.ImageStore.local(tmp.resolve("store"));
        java.util.List<String> said = new java.util.ArrayList<>();

        assertThat(SpoolReplay.replay(store, spool, said::add)).isEmpty();

        assertThat(said).isEmpty();
        assertThat(done).doesNotExist();
        assertThat(store.list()).isEmpty();
    }

    /**
     * Where the file system refuses O_DIRECT the spool is written without fsync (the page cache
     * outlives the capturer, and a power loss takes the process anyway). An entry found after the
     * machine restarted (another boot id) that was never synced may have lost pages to the
     * restart: the replay drops it, saying so, and stores no image of memory it cannot vouch for;
     * the same entry once synced is stored. The entries are a real spooled capture's, edited.
     */
    @Test
    void replayAfterARestartDropsAnUnsyncedEntryAndStoresASyncedOne() throws IOException {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).args("4").start();
        target.awaitNumberAbove("counter", 0);
        Path storeDir = brokenStore();
        Path spool = tmp.resolve("spool");
        io.cryostash.store.image.ImageStore store = io.cryostash.store.image.ImageStore.local(storeDir);
        Path entry = spooledButNotStored(target, store, storeDir, spool);
        Path record = entry.resolve(io.cryostash.capture.spool.CaptureSpool.RECORD);
        var mapper = io.cryostash.capture.spool.CaptureSpool.mapper();
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(record.toFile());
        assertThat(json.path("bootId").asText()).isEqualTo(io.cryostash.capture.spool.CaptureSpool.bootId());
        json.put("bootId", "00000000-0000-0000-0000-000000000000"); // written before a restart
        mapper.writeValue(record.toFile(), json);
        // a copy of it that was synced before the restart
        Path synced = Files.createDirectory(spool.resolve("synced-before-the-restart"));
        for (String name : java.util.List.of("pages", "capture.json", "synced")) {
            Files.copy(entry.resolve(name), synced.resolve(name));
        }
        Files.delete(entry.resolve("synced"));

        java.util.List<String> said = new java.util.ArrayList<>();
        java.util.List<SpoolReplay.Replayed> stored = SpoolReplay.replay(store, spool, said::add);

        assertThat(said).singleElement().satisfies(m -> assertThat(m).contains(entry.toString())
                .contains("pid " + target.pid() + " (counter)").contains("not stored before the machine restarted")
                .contains("dropped"));
        assertThat(entry).doesNotExist();
        assertThat(stored).singleElement().satisfies(r -> assertThat(r.from()).isEqualTo(synced));
        assertThat(store.read(stored.get(0).imageId()).areas().stream()
                .mapToLong(io.cryostash.schema.image.MemoryArea::storedPages).sum())
                .as("the synced entry's memory is in the image").isGreaterThanOrEqualTo((4L << 20) / 4096);
    }

    /**
     * A capturer that died after its spool was complete but before the kill leaves a process that
     * runs on (the tracer helper let it go) and a complete entry: the replay drops the entry, saying
     * so, and stores no stale twin of the running process. An entry it cannot read is reported and
     * kept. Both entries are made from a real spooled capture, edited.
     */
    @Test
    void replayDropsTheEntryOfAProcessThatRunsOnAndReportsOneItCannotRead() throws IOException {
        FixtureProcess victim = FixtureProcess.of(CFixtures.shared("counter")).args("4").start();
        victim.awaitNumberAbove("counter", 0);
        Path storeDir = brokenStore();
        Path spool = tmp.resolve("spool");
        io.cryostash.store.image.ImageStore store = io.cryostash.store.image.ImageStore.local(storeDir);
        Path entry = spooledButNotStored(victim, store, storeDir, spool);
        Path record = entry.resolve(io.cryostash.capture.spool.CaptureSpool.RECORD);
        // the same record, naming a process that runs: as if the capturer had died before the kill
        FixtureProcess running = FixtureProcess.of(CFixtures.shared("counter")).start();
        var mapper = io.cryostash.capture.spool.CaptureSpool.mapper();
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(record.toFile());
        json.put("startTime", io.cryostash.agent.proc.ProcStat.read(running.pid()).startTime());
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.path("draft").path("process")).put("pid", running.pid());
        mapper.writeValue(record.toFile(), json);
        // and a copy that cannot be read
        Path damaged = Files.createDirectory(spool.resolve("damaged"));
        Files.writeString(damaged.resolve(io.cryostash.capture.spool.CaptureSpool.RECORD), "{ not json");
        Files.writeString(damaged.resolve("pages"), "");

        java.util.List<String> said = new java.util.ArrayList<>();
        assertThat(SpoolReplay.replay(store, spool, said::add)).as("nothing stored").isEmpty();

        assertThat(said).anySatisfy(m -> assertThat(m).contains("pid " + running.pid() + " (counter) still runs")
                .contains("its spooled state was dropped"));
        assertThat(said).anySatisfy(m -> assertThat(m).contains(damaged.toString()).contains("could not be stored yet"));
        assertThat(Files.exists(entry)).as("the running process's entry is dropped").isFalse();
        assertThat(Files.exists(damaged.resolve(io.cryostash.capture.spool.CaptureSpool.RECORD)))
                .as("the unreadable entry is kept").isTrue();
        assertThat(store.list()).isEmpty();
        assertThat(running.check()).startsWith("PASS ");
    }

    /**
     * A --kill capture of {@code target} into the broken store: killed once spooled, its storing
     * failed, so its entry stays in {@code spool}; the store is then made writable for a replay.
     */
    private static Path spooledButNotStored(FixtureProcess target, io.cryostash.store.image.ImageStore store,
                                            Path storeDir, Path spool) throws IOException {
        assertThatThrownBy(() -> new Capturer(store).spoolTo(spool).capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("was killed once its state was spooled");
        target.awaitGone();
        Files.delete(storeDir.resolve("packs"));
        Files.delete(storeDir.resolve("manifests"));
        try (Stream<Path> s = Files.list(spool)) {
            return s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    @Test
    void captureFailingInsideTheFreezeResumesTheTarget() {
        FixtureProcess target = FixtureProcess.of(CFixtures.compile("src/test/c/memfd.c")).start();
        long before = target.awaitNumberAbove("counter", 0);

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("memfd:cryostash-test")
                .hasMessageContaining("not supported yet");

        assertThat(target.runningFreely()).isTrue();
        assertThat(ProcState.statusLine(target.pid(), "TracerPid")).isEqualTo("0");
        target.awaitNumberAbove("counter", before);
        assertThat(target.check()).isEqualTo("PASS");
        assertNoImage();
    }

    @Test
    void processOfAnotherIpcNamespaceIsRefusedAndRunsOn() {
        FixtureProcess target = FixtureProcess.of(CFixtures.compile("src/test/c/sysvshm.c"))
                .prefix("unshare", "--ipc").start();

        assertThatThrownBy(() -> capturer().capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("runs in another IPC namespace")
                .hasMessageContaining("not supported yet");

        assertThat(target.runningFreely()).isTrue();
        assertThat(ProcState.statusLine(target.pid(), "TracerPid")).isEqualTo("0");
        assertThat(target.check()).isEqualTo("PASS");
        assertNoImage();
    }

    @Test
    void targetSignalledThroughoutTheCaptureIsCapturedAndRunsOn() {
        FixtureProcess target = FixtureProcess.of(CFixtures.compile("src/test/c/sigstorm.c")).start();
        int storm = Detached.run("while kill -USR2 " + target.pid() + " 2>/dev/null; do :; done </dev/null"
                + " >/dev/null 2>&1 & echo $!");
        Leftovers.track(storm);
        try {
            for (int i = 0; i < 3; i++) {
                CaptureResult r = capturer().capture(target.pid(), new CaptureOptions(false));
                assertThat(r.image().process().pid()).isEqualTo(target.pid());
                assertThat(target.runningFreely()).isTrue();
            }
        } finally {
            ProcessHandle.of(storm).ifPresent(ProcessHandle::destroyForcibly);
        }
        target.awaitNumberAbove("counter", target.number("counter"));
        assertThat(target.check()).startsWith("PASS delivered=");
    }

    @Test
    void captureWithoutKillLeavesTheTargetRunningAndCounting() {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).start();
        long before = target.awaitNumberAbove("counter", 0);

        CaptureResult r = capturer().capture(target.pid(), new CaptureOptions(false));

        assertThat(r.image().process().pid()).isEqualTo(target.pid());
        assertThat(r.freezeNanos()).isPositive();
        assertThat(target.runningFreely()).isTrue();
        target.awaitNumberAbove("counter", Math.max(before, target.number("counter")));
        assertThat(ImageStore.local(tmp.resolve("store")).list()).extracting(Repository.ImageInfo::id)
                .containsExactly(r.image().id());
    }

    @Test
    void captureWithKillEndsTheTargetOnlyAfterTheImageIsComplete() {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).start();

        CaptureResult r = capturer().capture(target.pid(), new CaptureOptions(true));

        target.awaitGone();
        ImageStore store = ImageStore.local(tmp.resolve("store"));
        assertThat(store.list()).extracting(Repository.ImageInfo::id).containsExactly(r.image().id());
        assertThat(store.read(r.image().id()).process().comm()).isEqualTo("counter");
    }

    private void assertNoImage() {
        assertThat(ImageStore.local(tmp.resolve("store")).list()).isEmpty();
        assertNoTemporaryImages();
    }

    private void assertNoTemporaryImages() {
        Path images = tmp.resolve("store/images");
        if (!Files.isDirectory(images)) {
            return;
        }
        try (Stream<Path> s = Files.list(images)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp"))).isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int freePid() {
        for (int pid = 4_000_000; pid > 1000; pid -= 7) {
            if (!Files.exists(Path.of("/proc/" + pid))) {
                return pid;
            }
        }
        throw new IllegalStateException("no free pid");
    }
}
