// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Kills the processes a test started or restored, so that no stopped or orphaned fixture
 * outlives it: every tracked pid after each test, and after all tests of a class anything
 * still running a binary from this module's {@code target/fixtures}. Register with
 * {@code @ExtendWith(Leftovers.class)}; track pids with {@link #track(long)}.
 */
public final class Leftovers implements AfterEachCallback, AfterAllCallback {
    private static final List<ProcessHandle> TRACKED = new ArrayList<>();

    /** Remembers a process to kill after the test (no-op if it is already gone). */
    public static synchronized void track(long pid) {
        ProcessHandle.of(pid).ifPresent(TRACKED::add);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        killTracked();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        killTracked();
        killFixtureBinaries();
    }

    public static void killTracked() {
        List<ProcessHandle> all;
        synchronized (Leftovers.class) {
            all = new ArrayList<>(TRACKED);
            TRACKED.clear();
        }
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            awaitGone(h.pid());
        }
    }

    /** Kills every process whose executable lies in this module's target/fixtures. */
    public static void killFixtureBinaries() {
        Path fixtures = CFixtures.outputDir();
        List<Long> victims = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
                try {
                    if (Files.readSymbolicLink(p.resolve("exe")).startsWith(fixtures)) {
                        victims.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException | UnsupportedOperationException gone) {
                    // exited, a kernel thread, or not ours to read
                }
            });
        } catch (IOException e) {
            return;
        }
        for (long pid : victims) {
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            h.ifPresent(ProcessHandle::destroyForcibly);
        }
        victims.forEach(Leftovers::awaitGone);
    }

    /** Waits (bounded) until pid is gone or a zombie; a zombie holds no state worth waiting for. */
    static void awaitGone(long pid) {
        try {
            Poll.until(Duration.ofSeconds(5), "pid " + pid + " to die", () -> {
                char s = ProcState.of(pid);
                return s == 0 || s == 'Z' || s == 'X';
            });
        } catch (AssertionError e) {
            System.err.println("warning: " + e.getMessage());
        }
    }
}
