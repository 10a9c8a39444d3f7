// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.threads;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.cryostash.agent.linux.Errno;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.ThreadBatch;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.agent.proc.ProcFiles;
import io.cryostash.capture.CaptureException;

/**
 * Every thread of one process, seized (PTRACE_SEIZE) and held in an interrupt stop. Threads are
 * taken from /proc/PID/task round after round until a round finds none new: a thread can only
 * be created by a running one, so once every listed thread is stopped the set is complete. A
 * thread that exits meanwhile is simply not part of it; a thread that cannot be stopped, or a
 * process in a job-control stop, is refused by name, and everything seized is let go again.
 *
 * <p>Must be used on the tracer thread. Nothing here uses PTRACE_O_EXITKILL or SIGSTOP: if the
 * agent dies, the tracer helper puts each thread back as it was at its first stop and lets it
 * go, and the process runs on.
 */
public final class FrozenThreads {
    private static final int MAX_ROUNDS = 1000;
    private static final int MAX_SIGNALS_PASSED = 64;
    /**
     * Stops a killed thread may still report before its end (PTRACE_EVENT_EXIT is not asked for,
     * so in practice none or one): a bound so that a thread that keeps stopping cannot hold us.
     */
    private static final int MAX_STOPS_BEFORE_END = 8;
    /** How long {@link #reapKilled} waits for all the threads' ends together. */
    private static final long REAP_DEADLINE_MS = 10_000;

    private final Ptrace ptrace;
    private final int pid;
    /** The main thread first, the others in the order they were stopped. */
    private final List<Integer> tids = new ArrayList<>();

    private FrozenThreads(Ptrace ptrace, int pid) {
        this.ptrace = ptrace;
        this.pid = pid;
    }

    /**
     * Seizes and stops every thread of {@code pid}.
     *
     * @throws TraceeException the main thread could not be seized (nothing was touched)
     * @throws CaptureException a thread could not be stopped or saved; every thread was let go again
     */
    public static FrozenThreads freeze(Ptrace ptrace, int pid, long stopTimeoutMillis) {
        FrozenThreads f = new FrozenThreads(ptrace, pid);
        ptrace.seize(pid, 0);
        f.tids.add(pid);
        try {
            ptrace.interrupt(pid);
            f.awaitStop(pid, stopTimeoutMillis);
            f.stopTheRest(stopTimeoutMillis);
            return f;
        } catch (RuntimeException e) {
            f.release();
            throw e;
        }
    }

    private void stopTheRest(long stopTimeoutMillis) {
        Set<Integer> known = new LinkedHashSet<>(tids);
        for (int round = 0; round < MAX_ROUNDS; round++) {
            List<Integer> fresh = new ArrayList<>();
            for (int tid : ProcFiles.tasks(pid)) {
                if (known.add(tid)) {
                    fresh.add(tid);
                }
            }
            if (fresh.isEmpty()) {
                return;
            }
            if (ptrace.batchesThreads()) {
                stopBatch(fresh, stopTimeoutMillis);
                continue;
            }
            List<Integer> seized = new ArrayList<>();
            for (int tid : fresh) {
                if (seize(tid)) {
                    seized.add(tid);
                    tids.add(tid); // at once: a failure from here on must let it go too
                }
            }
            for (int tid : seized) {
                try {
                    ptrace.interrupt(tid);
                } catch (TraceeException e) {
                    if (e.errno() != Errno.ESRCH) {
                        throw e;
                    } // exited since the seize: its wait below reports the exit
                }
            }
            for (int tid : seized) {
                if (!awaitStop(tid, stopTimeoutMillis)) {
                    tids.remove(Integer.valueOf(tid));
                }
            }
        }
        throw new CaptureException("pid " + pid + " keeps creating threads faster than they can be stopped");
    }

    /**
     * Seizes, interrupts and waits for {@code fresh} in one request to the tracer helper, then
     * judges each outcome as {@link #seize} and {@link #awaitStop} do one by one. Every thread
     * seized is recorded before anything is judged, so that a refusal lets them all go.
     */
    private void stopBatch(List<Integer> fresh, long stopTimeoutMillis) {
        List<ThreadBatch.Seized> outcomes = ptrace.stopThreads(fresh, stopTimeoutMillis);
        for (ThreadBatch.Seized o : outcomes) {
            if (o.seizeErrno() == 0) {
                tids.add(o.tid());
            }
        }
        for (ThreadBatch.Seized o : outcomes) {
            if (o.seizeErrno() != 0) {
                requireGone(o.tid(), new TraceeException(o.tid(), "PTRACE_SEIZE", o.seizeErrno()));
                continue;
            }
            if (o.interruptErrno() != 0 && o.interruptErrno() != Errno.ESRCH) {
                throw new TraceeException(o.tid(), "PTRACE_INTERRUPT", o.interruptErrno());
            }
            if (o.status() == null) {
                if (o.waitErrno() != 0) {
                    throw new TraceeException(o.tid(), "waitpid", o.waitErrno());
                }
                throw new CaptureException(describeUnstoppable(o.tid(), stopTimeoutMillis),
                        new TraceeException(o.tid(), "waitpid: no stop within " + stopTimeoutMillis + " ms", 0));
            }
            if (!awaitStop(o.tid(), stopTimeoutMillis, o.status())) {
                tids.remove(Integer.valueOf(o.tid()));
            }
        }
    }

    /** @return false when the thread exited before it could be seized */
    private boolean seize(int tid) {
        try {
            ptrace.seize(tid, 0);
            return true;
        } catch (TraceeException e) {
            requireGone(tid, e);
            return false;
        }
    }

    /**
     * Returns when seizing {@code tid} failed because it had exited (nothing to stop); otherwise
     * throws, naming the reason.
     */
    private void requireGone(int tid, TraceeException e) {
        if (e.errno() == Errno.ESRCH || !Files.exists(Path.of("/proc", Integer.toString(pid), "task",
                Integer.toString(tid)))) {
            return;
        }
        if (e.errno() == Errno.EPERM) {
            String tracer = statusLine(tid, "TracerPid");
            if (tracer != null && !tracer.equals("0")) {
                throw new CaptureException("thread " + tid + " of pid " + pid + " is already traced by pid "
                        + tracer + " (a debugger, strace or another checkpoint); detach that first", e);
            }
            if (isZombie(tid)) {
                return; // exited, waiting to be released
            }
        }
        throw new CaptureException("cannot attach to thread " + tid + " of pid " + pid + ": " + e.getMessage(), e);
    }

    /**
     * Waits for the interrupt stop of {@code tid}. A signal that comes first shows up as a
     * signal-delivery stop and is passed on (the thread handles it and then stops); a
     * job-control stop is refused: resuming it would be wrong, and the process is not ours.
     *
     * @return false when the (non-main) thread exited instead
     */
    private boolean awaitStop(int tid, long timeoutMillis) {
        return awaitStop(tid, timeoutMillis, null);
    }

    /** @param first the first status, when it was already waited for (by a batch); else null */
    private boolean awaitStop(int tid, long timeoutMillis, WaitStatus first) {
        for (int i = 0; i < MAX_SIGNALS_PASSED; i++) {
            WaitStatus st = i == 0 ? first : null;
            try {
                if (st == null) {
                    st = ptrace.waitFor(tid, timeoutMillis);
                }
            } catch (TraceeException e) {
                if (e.errno() == 0) {
                    throw new CaptureException(describeUnstoppable(tid, timeoutMillis), e);
                }
                throw e;
            }
            if (!st.stopped()) {
                if (tid != pid) {
                    return false;
                }
                throw new CaptureException("pid " + pid + " " + st + " while being frozen; no image was written");
            }
            if (st.isGroupStop()) {
                throw new CaptureException("pid " + pid + " was stopped by signal " + st.stopSignal()
                        + " (job control) while being frozen: checkpointing stopped processes is not supported yet;"
                        + " it was left stopped, resume it with kill -CONT first");
            }
            if (st.isInterruptStop()) {
                return true;
            }
            ptrace.cont(tid, st.event() == 0 ? st.stopSignal() : 0);
        }
        throw new CaptureException((tid == pid ? "pid " + pid : "thread " + tid + " of pid " + pid)
                + " keeps receiving signals; it could not be frozen");
    }

    private String describeUnstoppable(int tid, long timeoutMillis) {
        String state = statusLine(tid, "State");
        String wchan = read(Path.of("/proc", Integer.toString(pid), "task", Integer.toString(tid), "wchan"));
        return (tid == pid ? "the main thread" : "thread " + tid) + " of pid " + pid + " did not stop within "
                + timeoutMillis + " ms (state " + state + (wchan == null || wchan.isBlank() || wchan.equals("0") ? ""
                : ", waiting in " + wchan) + "): a thread in an uninterruptible wait (vfork, a hung file system or"
                + " device) cannot be frozen; no image was written";
    }

    /**
     * After SIGKILL: collects every thread's end. A traced process that dies is reported to its
     * tracer first; until the tracer has waited for it, its own parent may not be able to reap it,
     * and the pid stays a zombie (seen with tmux's pane processes: never reaped while the agent
     * lived). The main thread last: it ends only once the others have.
     */
    public void reapKilled() {
        List<Integer> order = new ArrayList<>(tids.subList(1, tids.size()));
        order.add(pid);
        long deadline = System.nanoTime() + REAP_DEADLINE_MS * 1_000_000L;
        for (int tid : order) {
            for (int i = 0; i < MAX_STOPS_BEFORE_END; i++) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return; // the rest is reaped by the kernel once the tracer helper lets go of them
                }
                try {
                    WaitStatus st = ptrace.waitFor(tid, left);
                    if (st.exited() || st.killed()) {
                        break;
                    }
                } catch (TraceeException gone) { // already collected, no longer ours, or out of time
                    break;
                }
            }
        }
    }

    /** The threads, main first. */
    public List<Integer> tids() {
        return List.copyOf(tids);
    }

    public int pid() {
        return pid;
    }

    /**
     * Remote system calls leave a thread in the signal-delivery stop of the SIGTRAP that ended
     * their last single step. With the in-process tracer (comparisons only), an agent dying
     * there has the kernel detach the thread and deliver that SIGTRAP, which kills the process;
     * the tracer helper does not pass on its own step's SIGTRAP, but parking keeps the thread in
     * the state a plain detach is safe from either way. A pending interrupt plus PTRACE_CONT
     * without a signal moves it into an interrupt stop before it returns to user space.
     */
    public void park(int tid) {
        ptrace.interrupt(tid);
        ptrace.cont(tid, 0);
        WaitStatus st = ptrace.waitFor(tid, 5_000);
        if (!st.isInterruptStop()) {
            throw new CaptureException((tid == pid ? "pid " + pid : "thread " + tid + " of pid " + pid)
                    + " did not return to an interrupt stop after the remote system calls (" + st
                    + "); no image was written");
        }
    }

    /** {@link #park} for many threads at once: they all get on their way before any is waited for. */
    public void parkAll(List<Integer> some) {
        for (int tid : some) {
            ptrace.interrupt(tid);
        }
        for (int tid : some) {
            ptrace.cont(tid, 0);
        }
        for (int tid : some) {
            WaitStatus st = ptrace.waitFor(tid, 5_000);
            if (!st.isInterruptStop()) {
                throw new CaptureException("thread " + tid + " of pid " + pid + " did not return to an interrupt"
                        + " stop after the remote system calls (" + st + "); no image was written");
            }
        }
    }

    /** Lets every thread run on (PTRACE_DETACH); threads that are gone are skipped. */
    public void release() {
        // the main thread last: until it runs, the process as a whole still looks stopped
        if (ptrace.batchesThreads() && tids.size() > 1) {
            List<Integer> order = new ArrayList<>(tids);
            java.util.Collections.reverse(order);
            try {
                ptrace.detachThreads(order, false); // one request; a thread that is gone is skipped
                return;
            } catch (TraceeException helperGone) {
                // the one by one detach below says the same for each
            }
        }
        for (int i = tids.size() - 1; i >= 0; i--) {
            try {
                ptrace.detach(tids.get(i));
            } catch (TraceeException gone) {
                // exited meanwhile, or never stopped: either way nothing is left stopped by us
            }
        }
    }

    private boolean isZombie(int tid) {
        String s = statusLine(tid, "State");
        return s == null || s.startsWith("Z") || s.startsWith("X");
    }

    private String statusLine(int tid, String key) {
        String text = read(Path.of("/proc", Integer.toString(pid), "task", Integer.toString(tid), "status"));
        if (text == null) {
            return null;
        }
        for (String line : text.split("\n")) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        return null;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException | RuntimeException gone) {
            return null;
        }
    }
}
