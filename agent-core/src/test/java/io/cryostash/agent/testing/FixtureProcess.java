// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.cryostash.agent.linux.Syscalls;

/**
 * A fixture program following the protocol of fixture.h, started detached (never a child of
 * this JVM, whose process reaper would steal ptrace stops) and tracked by pid. A restored copy
 * shares the original's directory: {@link #restoredAs(int)} gives a handle on it.
 */
public final class FixtureProcess {
    public static final int SIGUSR1 = 10;
    public static final int SIGUSR2 = 12;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration RESULT_TIMEOUT = Duration.ofSeconds(20);
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final int pid;
    private final Path dir;

    private FixtureProcess(int pid, Path dir) {
        this.pid = pid;
        this.dir = dir;
    }

    /** Starts {@code binary dir args...} detached, in a fresh world-writable directory under target/. */
    public static Builder of(Path binary) {
        return new Builder(binary);
    }

    /** A handle on a fixture started some other way (e.g. under a wrapper), tracked for cleanup. */
    public static FixtureProcess attach(int pid, Path dir) {
        Leftovers.track(pid);
        return new FixtureProcess(pid, dir);
    }

    /** A handle on another process (a restored copy) that reports through the same directory. */
    public FixtureProcess restoredAs(int otherPid) {
        Leftovers.track(otherPid);
        return new FixtureProcess(otherPid, dir);
    }

    public int pid() {
        return pid;
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** Waits for {@code <dir>/ready}; fails early, with the program's output, if it dies first. */
    public FixtureProcess awaitReady() {
        Poll.until(READY_TIMEOUT, () -> "fixture " + pid + " to get ready; output:\n" + output(), () -> {
            if (Files.exists(file("ready"))) {
                return true;
            }
            char s = ProcState.of(pid);
            if (s == 0 || s == 'Z' || s == 'X') {
                throw new AssertionError("fixture " + pid + " died before it was ready (state "
                        + ProcState.of(pid) + "); output:\n" + output());
            }
            return false;
        });
        return this;
    }

    public void signal(int sig) {
        Syscalls.kill(pid, sig);
    }

    /**
     * Sends SIGUSR1 (check now) and returns the trimmed result line. A just-restored fixture
     * resumes by re-entering the system call it was frozen in (pause, say); a signal that lands
     * before it gets there runs the handler and the call then blocks again, as it would in any
     * program after a ptrace stop. So wait (briefly: spinning fixtures never sleep) until it
     * sleeps in the kernel before signalling.
     */
    public String check() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (ProcState.of(pid) == 'R' && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        signal(SIGUSR1);
        return awaitResult();
    }

    /** Waits for {@code <dir>/result}; fails if the process is gone without writing one. */
    public String awaitResult() {
        long[] goneSince = {0};
        Poll.until(RESULT_TIMEOUT, () -> "a result from fixture " + pid + " (state " + ProcState.of(pid)
                + "); output:\n" + output(), () -> {
            if (Files.exists(file("result"))) {
                return true;
            }
            char s = ProcState.of(pid);
            if (s == 0 || s == 'Z' || s == 'X') {
                if (goneSince[0] == 0) {
                    goneSince[0] = System.nanoTime();
                } else if (System.nanoTime() - goneSince[0] > TimeUnit.MILLISECONDS.toNanos(300)) {
                    throw new AssertionError("fixture " + pid + " ended without a result; output:\n" + output());
                }
            }
            return false;
        });
        return read("result").trim();
    }

    /** Removes the result file (before asking a second copy). */
    public void clearResult() {
        try {
            Files.deleteIfExists(file("result"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String read(String name) {
        try {
            return Files.readString(file(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file holding a number (a counter the fixture keeps writing), or -1 if absent or half written. */
    public long number(String name) {
        try {
            return Long.parseLong(Files.readString(file(name)).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Waits until the number in {@code name} exceeds {@code value} (the process is making progress). */
    public long awaitNumberAbove(String name, long value) {
        Poll.until(Duration.ofSeconds(10), () -> name + " of pid " + pid + " to exceed " + value + " (is "
                + number(name) + ", state " + state() + ")", () -> number(name) > value);
        return number(name);
    }

    /** What the program printed to its stdout/stderr file. */
    public String output() {
        try {
            return Files.exists(file("out.log")) ? Files.readString(file("out.log")) : "";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    public char state() {
        return ProcState.of(pid);
    }

    public boolean runningFreely() {
        return ProcState.runningFreely(pid);
    }

    public void kill() {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        Leftovers.awaitGone(pid);
    }

    /** Waits until the process is gone (or a zombie). */
    public void awaitGone() {
        Poll.until(Duration.ofSeconds(10), "pid " + pid + " to end", () -> {
            char s = ProcState.of(pid);
            return s == 0 || s == 'Z' || s == 'X';
        });
    }

    @Override
    public String toString() {
        return "fixture pid " + pid + " in " + dir;
    }

    /** How to start a fixture. */
    public static final class Builder {
        private final Path binary;
        private final List<String> args = new ArrayList<>();
        private final List<String> prefix = new ArrayList<>();
        private String stdout = null;
        private Path cwd;
        private String name;

        private Builder(Path binary) {
            this.binary = binary;
            this.name = binary.getFileName().toString();
        }

        public Builder args(String... a) {
            args.addAll(List.of(a));
            return this;
        }

        /** Words put before the binary, e.g. {@code env X=1} or {@code setpriv --reuid=65534 ...}. */
        public Builder prefix(String... words) {
            prefix.addAll(List.of(words));
            return this;
        }

        /** A shell redirection target for stdout and stderr instead of {@code <dir>/out.log}. */
        public Builder stdout(String shellTarget) {
            stdout = shellTarget;
            return this;
        }

        public Builder cwd(Path dir) {
            cwd = dir;
            return this;
        }

        /** Starts it and waits until it is ready. */
        public FixtureProcess start() {
            return startNoWait().awaitReady();
        }

        /** Starts it without waiting for the ready file. */
        public FixtureProcess startNoWait() {
            Path dir = newDir(name);
            if (stdout == null) {
                createWritable(dir.resolve("out.log"));
            }
            StringBuilder cmd = new StringBuilder();
            cmd.append("cd ").append(quote((cwd != null ? cwd : dir).toString())).append(" && setsid");
            for (String w : prefix) {
                cmd.append(' ').append(quote(w));
            }
            cmd.append(' ').append(quote(binary.toString())).append(' ').append(quote(dir.toString()));
            for (String a : args) {
                cmd.append(' ').append(quote(a));
            }
            String out = stdout != null ? stdout : quote(dir.resolve("out.log").toString());
            cmd.append(" </dev/null >").append(out).append(" 2>&1 & echo $!");
            int pid = Detached.run(cmd.toString());
            Leftovers.track(pid);
            return new FixtureProcess(pid, dir);
        }
    }

    /** A new directory under target/fixture-runs that any user may write to (fixtures may run as nobody). */
    public static Path newDir(String name) {
        try {
            Path base = CFixtures.outputDir().getParent().resolve("fixture-runs");
            Files.createDirectories(base);
            Path dir = base.resolve(name + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An empty file anyone may write, so a fixture running as another user can reopen it after restore. */
    public static void createWritable(Path file) {
        try {
            Files.deleteIfExists(file);
            Files.createFile(file);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
