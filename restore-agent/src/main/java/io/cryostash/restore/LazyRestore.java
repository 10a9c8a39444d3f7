// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.Tracer;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.restore.memory.LazyMemory;
import io.cryostash.store.image.PageSource;

/**
 * A process restored with {@code --lazy}: running, its private memory still coming in. Until
 * {@link #awaitResident} has returned, this JVM traces its main thread (signals are passed on) with
 * PTRACE_O_EXITKILL, and a chunk that fails verification kills it: it never runs on with
 * memory missing. {@link #close} before that kills it too.
 */
public final class LazyRestore implements AutoCloseable {
    private static final long STOP_TIMEOUT_MS = 5_000;

    private final int pid;
    private final int ownPid;
    private final Path logFile;
    private final long runningNanos;
    private final Tracer tracer;
    private final LazyMemory memory;
    private final PageSource pages;
    private boolean finished;

    LazyRestore(int pid, int ownPid, Path logFile, long runningNanos, Tracer tracer, LazyMemory memory,
                PageSource pages) {
        this.pid = pid;
        this.ownPid = ownPid;
        this.logFile = logFile;
        this.runningNanos = runningNanos;
        this.tracer = tracer;
        this.memory = memory;
        this.pages = pages;
    }

    /** What became of a lazy restore. */
    public record Outcome(boolean resident, long residentNanos, long bytes, long faults, String failure) {
    }

    public int pid() {
        return pid;
    }

    /** Its pid as it sees itself: differs from {@link #pid} when it runs in a PID namespace of its own. */
    public int ownPid() {
        return ownPid;
    }

    public Path logFile() {
        return logFile;
    }

    /** From the start of the restore until the process ran. */
    public long runningNanos() {
        return runningNanos;
    }

    public long totalBytes() {
        return memory.totalBytes();
    }

    /**
     * Serves the process until every saved page is in, then lets it go (untraced, the
     * userfaultfd closed). If serving fails (a chunk fails verification, the store is gone) the
     * process has been killed and the outcome says why. The process exiting by itself ends it too.
     */
    public Outcome awaitResident() {
        long t0 = System.nanoTime();
        String gone = tracer.call(p -> watch(p));
        finished = true;
        String failure = memory.failure() != null ? memory.failure() : gone;
        boolean resident = failure == null && memory.isResident();
        memory.close();
        tracer.close();
        pages.close();
        return new Outcome(resident, runningNanos + (System.nanoTime() - t0), memory.bytesIn(), memory.faults(),
                failure);
    }

    /** Passes signals on until the memory is in; then detaches. Returns why it stopped early, or null. */
    private String watch(Ptrace ptrace) {
        while (true) {
            boolean done;
            try {
                done = memory.awaitResident(0, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                memory.abandon("interrupted");
                return "interrupted";
            }
            if (done) {
                break;
            }
            String ended = passOn(ptrace, 20);
            if (ended != null) {
                memory.abandon(ended);
                return ended;
            }
        }
        if (memory.failure() != null) {
            return memory.failure();
        }
        // stop it in an interrupt stop (faults are still served meanwhile), close the
        // userfaultfd in close(), and detach
        ptrace.interrupt(pid);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            WaitStatus st;
            try {
                st = ptrace.waitFor(pid, 100);
            } catch (TraceeException timeout) {
                continue;
            }
            if (st.exited() || st.killed()) {
                return "pid " + pid + " " + st + " while its memory came in";
            }
            if (st.isInterruptStop()) {
                ptrace.detach(pid);
                return null;
            }
            ptrace.cont(pid, st.event() == 0 ? st.stopSignal() : 0);
        }
        memory.abandon("pid " + pid + " did not stop to be let go");
        return memory.failure();
    }

    /** Waits for one stop for up to {@code millis}; passes a signal on; returns why the process ended, or null. */
    private String passOn(Ptrace ptrace, long millis) {
        WaitStatus st;
        try {
            st = ptrace.waitFor(pid, millis);
        } catch (TraceeException e) {
            if (e.errno() == 0) {
                return null; // nothing happened
            }
            return "pid " + pid + " is gone (" + e.getMessage() + ")";
        }
        if (st.exited() || st.killed()) {
            return "pid " + pid + " " + st + " before all of its memory was in";
        }
        if (st.stopped()) {
            // a signal for the program: deliver it; a group stop or other event: let it run on
            ptrace.cont(pid, st.event() == 0 ? st.stopSignal() : 0);
        }
        return null;
    }

    /** Kills the process unless {@link #awaitResident} let it go with all of its memory. */
    @Override
    public void close() {
        if (!finished) {
            memory.abandon("the restore was abandoned before all of the memory was in");
            memory.close();
            tracer.close();
            pages.close();
            finished = true;
        }
    }
}
