// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.threads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.proc.TaskStatus;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.signals.PendingSignalCapture;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.ThreadState;

/**
 * Registers, FPU/vector state, signal mask, sigaltstack, rseq, tid address, robust list, name,
 * no_new_privs and queued signals of each thread. The kernel shows sigaltstack and the tid
 * address only to the thread itself, so those two are asked by remote system calls run in
 * that thread; everything else comes from ptrace and /proc.
 */
public final class ThreadCapture {
    static final int PR_GET_TID_ADDRESS = 40;

    private ThreadCapture() {
    }

    /**
     * Every thread of a frozen process, main first. Threads other than the main one are parked
     * again (see {@link FrozenThreads#park}) once their remote calls are done; the main thread's
     * remote calls go on after this, so parking it is the caller's.
     *
     * @param main    remote system calls in the main thread; its instruction serves every thread
     * @param scratch scratch memory in the process, shared by all threads (they share memory)
     */
    public static List<ThreadState> captureAll(Ptrace ptrace, FrozenThreads threads, RemoteSyscalls main,
                                               long syscallInsn, RemoteScratch scratch) {
        int pid = threads.pid();
        List<TaskStatus> status = new ArrayList<>();
        for (int tid : threads.tids()) {
            status.add(TaskStatus.read(pid, tid));
        }
        check(pid, status);
        List<ThreadState> out = new ArrayList<>();
        for (int i = 0; i < status.size(); i++) {
            TaskStatus st = status.get(i);
            int tid = st.tid();
            RemoteSyscalls remote = tid == pid ? main : new RemoteSyscalls(ptrace, tid, syscallInsn);
            out.add(capture(ptrace, tid, remote, scratch, st, TaskStatus.comm(pid, tid)));
            if (tid != pid) {
                threads.park(tid);
            }
        }
        return out;
    }

    /**
     * State that is per thread in the kernel but that restore can only give back to the
     * process as a whole is refused, naming the thread: a seccomp filter (not saved yet), and
     * credentials that differ between threads (raw setuid calls, which glibc would not make).
     */
    static void check(int pid, List<TaskStatus> status) {
        TaskStatus main = status.get(0);
        for (TaskStatus t : status) {
            String who = t.tid() == pid ? "the main thread of pid " + pid : "thread " + t.tid() + " of pid " + pid;
            if (t.seccomp() != 0) {
                throw new CaptureException(who + " runs under seccomp (" + (t.seccomp() == 1 ? "strict mode"
                        : "a filter") + "): seccomp state is not saved yet, so the restored process would run"
                        + " without it; no image was written");
            }
            if (!t.credentials().equals(main.credentials())) {
                throw new CaptureException(who + " has credentials of its own (" + t.credentials().replace('\n', ' ')
                        + " against the main thread's " + main.credentials().replace('\n', ' ') + "): per-thread"
                        + " credentials are not saved yet; no image was written");
            }
        }
    }

    /** Must run on the tracer thread, with {@code tid} stopped; {@code remote} runs in that thread. */
    public static ThreadState capture(Ptrace ptrace, int tid, RemoteSyscalls remote, RemoteScratch scratch,
                                      TaskStatus status, String name) {
        CpuRegisters regs = ptrace.getRegs(tid);
        byte[] xstate = ptrace.getXstate(tid);
        long mask = ptrace.getSigmask(tid);
        ThreadState.Rseq rseq = null;
        try {
            long[] r = ptrace.getRseq(tid);
            if (r != null) {
                rseq = new ThreadState.Rseq(r[0], r[1], r[2]);
            }
        } catch (TraceeException kernelWithoutRseqQuery) {
            // kernels before 5.13 cannot report rseq; glibc then re-registers nothing either
        }
        var pending = PendingSignalCapture.thread(ptrace, tid);
        long a = scratch.address();
        remote.call("sigaltstack", SyscallNumbers.SIGALTSTACK, 0, a);
        remote.call("prctl(PR_GET_TID_ADDRESS)", SyscallNumbers.PRCTL, PR_GET_TID_ADDRESS, a + 24);
        ByteBuffer ss = ByteBuffer.wrap(scratch.memory().read(a, 32)).order(ByteOrder.LITTLE_ENDIAN);
        ThreadState.SignalStack alt = new ThreadState.SignalStack(ss.getLong(0), ss.getInt(8), ss.getLong(16));
        long tidAddress = ss.getLong(24);
        long[] robust = Syscalls.robustList(tid);
        return new ThreadState(status.ownTid(), regs, xstate, mask, alt, rseq, tidAddress, robust[0], robust[1], name,
                pending, status.noNewPrivs());
    }
}
