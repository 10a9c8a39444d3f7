// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.cryostash.agent.linux.Kcmp;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.Tracer;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.restore.memory.LazyMemory;
import io.cryostash.store.image.PageSource;

/**
 * A process restored with {@code --lazy}: running, its private memory still coming in. Until
 * {@link #awaitResident} has returned, this JVM traces every task of it (signals are passed on) with
 * PTRACE_O_EXITKILL, and a chunk that fails verification kills it: it never runs on with
 * memory missing. {@link #close} before that kills it too.
 */
public final class LazyRestore implements AutoCloseable {
    private static final long STOP_TIMEOUT_MS = 5_000;

    /** Traced while the memory comes in: EXITKILL, and the threads and children they make reported. */
    static final int OPTIONS = Ptrace.PTRACE_O_EXITKILL | Ptrace.PTRACE_O_TRACECLONE | Ptrace.PTRACE_O_TRACEFORK
            | Ptrace.PTRACE_O_TRACEVFORK;

    private final int pid;
    private final int ownPid;
    /** Every task of the process, all traced until the memory is in; touched on the tracer thread only. */
    private final Set<Integer> traced = new LinkedHashSet<>();
    private final Path logFile;
    private final long runningNanos;
    private final RestorePhases phases;
    private final Tracer tracer;
    private final LazyMemory memory;
    private final PageSource pages;
    private boolean finished;

    LazyRestore(int pid, int ownPid, List<Integer> tids, Path logFile, long runningNanos, RestorePhases phases,
                Tracer tracer, LazyMemory memory, PageSource pages) {
        this.phases = phases;
        this.pid = pid;
        this.ownPid = ownPid;
        this.traced.addAll(tids);
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

    /** Where the time until it ran went (MEMORY: the areas mapped and registered, not filled). */
    public RestorePhases phases() {
        return phases;
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

    /**
     * Passes stops on until the memory is in, then lets every task go. Returns why it stopped
     * early, or null.
     */
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
            String ended = passOn(ptrace);
            if (ended != null) {
                memory.abandon(ended);
                return ended;
            }
        }
        if (memory.failure() != null) {
            return memory.failure();
        }
        // every page is in: a copy made from here on is whole. Stop each task in an interrupt
        // stop (faults are still served meanwhile), close the userfaultfd in close(), and detach
        for (int tid : traced) {
            try {
                ptrace.interrupt(tid);
            } catch (TraceeException gone) {
                // exited meanwhile: its report is taken below
            }
        }
        String failed = letGoAll(ptrace);
        if (failed != null) {
            memory.abandon(failed);
            return memory.failure();
        }
        return null;
    }

    /**
     * Waits for every task's interrupt stop, passing other stops on, and detaches each, all in one
     * round-robin: a vfork parent stops only once its child has exec'd, so waiting for the tasks
     * one by one could wait for a parent whose child is held in its own stop. A task made
     * meanwhile (a posix_spawn child, a thread) is traced from birth: it is taken in and let go
     * too, or it would stay stopped, or (having exited) never be reported to its parent.
     */
    private String letGoAll(Ptrace ptrace) {
        Set<Integer> pending = new LinkedHashSet<>(traced);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MS);
        while (!pending.isEmpty()) {
            if (System.nanoTime() > deadline) {
                return "task " + pending.iterator().next() + " of pid " + pid + " did not stop to be let go";
            }
            boolean quiet = true;
            for (int tid : List.copyOf(pending)) {
                WaitStatus st;
                try {
                    st = ptrace.waitFor(tid, 0);
                } catch (TraceeException e) {
                    if (e.errno() == 0) {
                        continue; // nothing happened yet
                    }
                    if (tid == pid) {
                        return "pid " + pid + " is gone (" + e.getMessage() + ")";
                    }
                    pending.remove(tid);
                    continue;
                }
                quiet = false;
                if (st.exited() || st.killed()) {
                    if (tid == pid) {
                        return "pid " + pid + " " + st + " while its memory came in";
                    }
                    pending.remove(tid);
                    continue;
                }
                if (!st.stopped()) {
                    continue;
                }
                if (st.isInterruptStop()) {
                    ptrace.detach(tid);
                    pending.remove(tid);
                    continue;
                }
                int event = st.event();
                if (event == WaitStatus.PTRACE_EVENT_FORK || event == WaitStatus.PTRACE_EVENT_VFORK
                        || event == WaitStatus.PTRACE_EVENT_CLONE) {
                    pending.add((int) ptrace.getEventMsg(tid)); // stops first in an interrupt stop of its own
                }
                ptrace.cont(tid, event == 0 ? st.stopSignal() : 0);
                try {
                    ptrace.interrupt(tid); // still wanted: one interrupt stop, however many are asked for
                } catch (TraceeException gone) {
                    // its end is reported next
                }
            }
            if (quiet) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
        }
        return null;
    }

    /**
     * One round over every traced task: passes signals on, takes in the threads it makes, and
     * refuses a child with a copy of the memory (a fork): that copy's missing pages would read as
     * zeros, since a userfaultfd covers one address space. Returns why the process ended or had
     * to be killed, or null.
     */
    private String passOn(Ptrace ptrace) {
        boolean quiet = true;
        for (int tid : List.copyOf(traced)) {
            WaitStatus st;
            try {
                st = ptrace.waitFor(tid, 0);
            } catch (TraceeException e) {
                if (e.errno() == 0) {
                    continue; // nothing happened
                }
                if (tid == pid) {
                    return "pid " + pid + " is gone (" + e.getMessage() + ")";
                }
                traced.remove(tid);
                continue;
            }
            quiet = false;
            if (st.exited() || st.killed()) {
                if (tid == pid) {
                    return "pid " + pid + " " + st + " before all of its memory was in";
                }
                traced.remove(tid);
                continue;
            }
            if (!st.stopped()) {
                continue;
            }
            int event = st.event();
            if (event == WaitStatus.PTRACE_EVENT_FORK || event == WaitStatus.PTRACE_EVENT_VFORK
                    || event == WaitStatus.PTRACE_EVENT_CLONE) {
                int child = (int) ptrace.getEventMsg(tid);
                if (copiesLazyMemory(tid, child)) {
                    killAndReap(ptrace, child);
                    return "pid " + pid + " forked (child " + child + ") before all of its memory was in; restore"
                            + " --lazy cannot fill a copy of memory that is not in yet, so both were killed: restore"
                            + " this image without --lazy";
                }
                // a thread, a vfork child on the same memory until it execs, or what such a child made
                // after its exec: traced on, let go with the rest
                traced.add(child);
                ptrace.cont(tid, 0);
            } else {
                // a signal for the program: deliver it; a group stop or other event: let it run on
                ptrace.cont(tid, event == 0 ? st.stopSignal() : 0);
            }
        }
        if (quiet) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return null;
    }

    /** Whether {@code child}, made by {@code parent}, got a copy of the lazily filled memory. */
    private boolean copiesLazyMemory(int parent, int child) {
        try {
            return Kcmp.sameMemory(pid, parent) && !Kcmp.sameMemory(pid, child);
        } catch (TraceeException gone) { // one of them ended already: its next report says so
            return false;
        }
    }

    private static void killAndReap(Ptrace ptrace, int child) {
        try {
            Syscalls.kill(child, 9);
            for (int i = 0; i < 8 && ptrace.waitFor(child, 1000).stopped(); i++) {
                // a stop reported before SIGKILL took effect: the next report is the end
            }
        } catch (TraceeException gone) {
            // already gone
        }
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
