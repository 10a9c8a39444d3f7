// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.realworld;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;

/**
 * A program that answers questions through files named by its pid on this host (what
 * /proc/self says, so a copy restored into a PID namespace of its own, which sees itself under
 * the original's pid, still answers apart from the original): {@code ask-<pid>-<n>} gets
 * {@code answer-<pid>-<n>}; {@code stop-<pid>} makes it join its threads, write
 * {@code stopped-<pid>} and exit. See Answerer.java and threaded_job.py.
 */
final class AnsweringProgram {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private final Path dir;
    private final int pid;

    AnsweringProgram(Path dir, int pid) {
        this.dir = dir;
        this.pid = pid;
        Leftovers.track(pid);
    }

    int pid() {
        return pid;
    }

    AnsweringProgram restoredAs(int otherPid) {
        return new AnsweringProgram(dir, otherPid);
    }

    /** Waits for the ready file (which holds the pid), failing early with the output if the program dies. */
    AnsweringProgram awaitReady(Duration timeout) {
        Poll.until(timeout, () -> "pid " + pid + " to get ready; output:\n" + output(), () -> {
            if (Files.exists(dir.resolve("ready"))) {
                return true;
            }
            char s = ProcState.of(pid);
            if (s == 0 || s == 'Z') {
                throw new AssertionError("pid " + pid + " died before it was ready; output:\n" + output());
            }
            return false;
        });
        return this;
    }

    String ask(Duration timeout) {
        String name = pid + "-" + SEQ.incrementAndGet();
        write("ask-" + name, "?");
        return awaitFile("answer-" + name, timeout);
    }

    String stop(Duration timeout) {
        write("stop-" + pid, "stop");
        return awaitFile("stopped-" + pid, timeout);
    }

    /** A field {@code key=value} of an answer, as a number. */
    static long field(String answer, String key) {
        for (String part : answer.split(" ")) {
            if (part.startsWith(key + "=")) {
                return Long.parseLong(part.substring(key.length() + 1));
            }
        }
        throw new AssertionError("no " + key + " in answer: " + answer);
    }

    private String awaitFile(String name, Duration timeout) {
        Path f = dir.resolve(name);
        Poll.until(timeout, () -> name + " from pid " + pid + " (state " + ProcState.of(pid) + "); output:\n"
                + output(), () -> {
                    if (Files.exists(f)) {
                        return true;
                    }
                    char s = ProcState.of(pid);
                    if (s == 0 || s == 'Z') {
                        throw new AssertionError("pid " + pid + " ended without writing " + name + "; output:\n"
                                + output());
                    }
                    return false;
                });
        try {
            return Files.readString(f).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String name, String text) {
        try {
            Path tmp = dir.resolve("." + name + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String output() {
        try {
            return Files.exists(dir.resolve("out.log")) ? Files.readString(dir.resolve("out.log")) : "";
        } catch (IOException e) {
            return "(unreadable)";
        }
    }
}
