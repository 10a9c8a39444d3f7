// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.util.ArrayList;
import java.util.List;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import io.cryostash.schema.image.CpuRegisters;

/**
 * ptrace(2) and waitpid(2) for one tracee. The kernel ties a tracee to the thread that
 * attached it, so every method must run on the same thread: use it only through a
 * {@link Tracer}.
 */
public final class Ptrace {
    static final int PTRACE_PEEKUSER = 3;
    static final int PTRACE_CONT = 7;
    static final int PTRACE_KILL = 8;
    static final int PTRACE_SINGLESTEP = 9;
    static final int PTRACE_GETREGS = 12;
    static final int PTRACE_SETREGS = 13;
    static final int PTRACE_DETACH = 17;
    static final int PTRACE_SETOPTIONS = 0x4200;
    static final int PTRACE_GETEVENTMSG = 0x4201;
    static final int PTRACE_GETREGSET = 0x4204;
    static final int PTRACE_SETREGSET = 0x4205;
    static final int PTRACE_SEIZE = 0x4206;
    static final int PTRACE_INTERRUPT = 0x4207;
    static final int PTRACE_PEEKSIGINFO = 0x4209;
    static final int PTRACE_GETSIGMASK = 0x420a;
    static final int PTRACE_SETSIGMASK = 0x420b;
    static final int PTRACE_GET_RSEQ_CONFIGURATION = 0x420f;

    public static final int PTRACE_O_TRACEFORK = 0x2;
    public static final int PTRACE_O_TRACEVFORK = 0x4;
    public static final int PTRACE_O_TRACECLONE = 0x8;
    public static final int PTRACE_O_EXITKILL = 0x100000;

    static final int NT_X86_XSTATE = 0x202;
    static final int WALL = 0x40000000;
    static final int WNOHANG = 1;

    /** sizeof(siginfo_t) on every Linux architecture. */
    public static final int SIGINFO_BYTES = 128;
    /** PTRACE_PEEKSIGINFO_SHARED: read the process-wide queue instead of the thread's own. */
    static final int PEEKSIGINFO_SHARED = 1;
    private static final int PEEK_BATCH = 32;

    /** How long {@link #waitFor} polls before it starts sleeping between polls. */
    private static final long SPIN_NANOS = 200_000;

    private static final int REGS_BYTES = CpuRegisters.COUNT * 8;
    private static final int XSTATE_MAX = 16384;

    private final LibC libc = LibC.INSTANCE;

    Ptrace() {
    }

    public void seize(int pid, int options) {
        call("PTRACE_SEIZE", pid, () -> libc.ptrace(PTRACE_SEIZE, pid, 0L, (long) options));
    }

    public void setOptions(int pid, int options) {
        call("PTRACE_SETOPTIONS", pid, () -> libc.ptrace(PTRACE_SETOPTIONS, pid, 0L, (long) options));
    }

    /** The message of the last event stop: for fork and clone events, the new task's id in our namespace. */
    public long getEventMsg(int pid) {
        try (Memory buf = new Memory(8)) {
            call("PTRACE_GETEVENTMSG", pid, () -> libc.ptrace(PTRACE_GETEVENTMSG, pid, 0L, buf));
            return buf.getLong(0);
        }
    }

    /**
     * The signals queued and not yet delivered: the thread's own queue, or with {@code shared}
     * the process-wide one. Each entry is a raw siginfo_t of {@link #SIGINFO_BYTES} bytes, in
     * queue order; the queue is left as it is.
     */
    public List<byte[]> peekSigInfo(int tid, boolean shared) {
        List<byte[]> out = new ArrayList<>();
        try (Memory args = new Memory(16); Memory buf = new Memory((long) SIGINFO_BYTES * PEEK_BATCH)) {
            while (true) {
                args.setLong(0, out.size());
                args.setInt(8, shared ? PEEKSIGINFO_SHARED : 0);
                args.setInt(12, PEEK_BATCH);
                long n = call("PTRACE_PEEKSIGINFO", tid, () -> libc.ptrace(PTRACE_PEEKSIGINFO, tid,
                        Pointer.nativeValue(args), buf));
                for (int i = 0; i < n; i++) {
                    out.add(buf.getByteArray((long) i * SIGINFO_BYTES, SIGINFO_BYTES));
                }
                if (n < PEEK_BATCH) {
                    return out;
                }
            }
        }
    }

    public void interrupt(int pid) {
        call("PTRACE_INTERRUPT", pid, () -> libc.ptrace(PTRACE_INTERRUPT, pid, 0L, 0L));
    }

    public void detach(int pid) {
        call("PTRACE_DETACH", pid, () -> libc.ptrace(PTRACE_DETACH, pid, 0L, 0L));
    }

    public void cont(int pid, int signal) {
        call("PTRACE_CONT", pid, () -> libc.ptrace(PTRACE_CONT, pid, 0L, (long) signal));
    }

    public void singleStep(int pid) {
        call("PTRACE_SINGLESTEP", pid, () -> libc.ptrace(PTRACE_SINGLESTEP, pid, 0L, 0L));
    }

    public CpuRegisters getRegs(int pid) {
        try (Memory buf = new Memory(REGS_BYTES)) {
            call("PTRACE_GETREGS", pid, () -> libc.ptrace(PTRACE_GETREGS, pid, 0L, buf));
            return CpuRegisters.fromArray(buf.getLongArray(0, CpuRegisters.COUNT));
        }
    }

    public void setRegs(int pid, CpuRegisters regs) {
        try (Memory buf = new Memory(REGS_BYTES)) {
            buf.write(0, regs.toArray(), 0, CpuRegisters.COUNT);
            call("PTRACE_SETREGS", pid, () -> libc.ptrace(PTRACE_SETREGS, pid, 0L, buf));
        }
    }

    /** The XSAVE area (x87, SSE, AVX, … state) exactly as the kernel reports it. */
    public byte[] getXstate(int pid) {
        try (Memory buf = new Memory(XSTATE_MAX); Memory iov = new Memory(16)) {
            iov.setLong(0, com.sun.jna.Pointer.nativeValue(buf));
            iov.setLong(8, XSTATE_MAX);
            call("PTRACE_GETREGSET", pid, () -> libc.ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, iov));
            int len = (int) iov.getLong(8);
            return buf.getByteArray(0, len);
        }
    }

    public void setXstate(int pid, byte[] xstate) {
        try (Memory buf = new Memory(xstate.length); Memory iov = new Memory(16)) {
            buf.write(0, xstate, 0, xstate.length);
            iov.setLong(0, com.sun.jna.Pointer.nativeValue(buf));
            iov.setLong(8, xstate.length);
            call("PTRACE_SETREGSET", pid, () -> libc.ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, iov));
        }
    }

    public long getSigmask(int pid) {
        try (Memory buf = new Memory(8)) {
            call("PTRACE_GETSIGMASK", pid, () -> libc.ptrace(PTRACE_GETSIGMASK, pid, 8L, buf));
            return buf.getLong(0);
        }
    }

    public void setSigmask(int pid, long mask) {
        try (Memory buf = new Memory(8)) {
            buf.setLong(0, mask);
            call("PTRACE_SETSIGMASK", pid, () -> libc.ptrace(PTRACE_SETSIGMASK, pid, 8L, buf));
        }
    }

    /** rseq registration of the thread: {address, length, signature}, or null when none. */
    public long[] getRseq(int pid) {
        try (Memory buf = new Memory(24)) {
            buf.clear();
            call("PTRACE_GET_RSEQ_CONFIGURATION", pid,
                    () -> libc.ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, 24L, buf));
            long addr = buf.getLong(0);
            if (addr == 0) {
                return null;
            }
            return new long[] {addr, buf.getInt(8) & 0xffffffffL, buf.getInt(12) & 0xffffffffL};
        }
    }

    /**
     * Waits for the next stop or exit of {@code pid}, giving up after {@code timeoutMillis}
     * so that a stop lost to someone else's waitpid cannot hang an agent.
     */
    public WaitStatus waitFor(int pid, long timeoutMillis) {
        long start = System.nanoTime();
        long deadline = start + timeoutMillis * 1_000_000L;
        int[] status = new int[1];
        long sleepNanos = 50_000;
        while (true) {
            int r;
            try {
                r = libc.waitpid(pid, status, WALL | WNOHANG);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Errno.EINTR) {
                    continue;
                }
                throw new TraceeException(pid, "waitpid", e.getErrorCode());
            }
            if (r == pid) {
                return new WaitStatus(status[0]);
            }
            long now = System.nanoTime();
            if (now > deadline) {
                throw new TraceeException(pid, "waitpid: no stop within " + timeoutMillis + " ms", 0);
            }
            // Stops we cause (interrupt, single step) arrive within microseconds: poll briefly before
            // sleeping, since a park costs tens of microseconds however short it is asked to be, and
            // a freeze waits for a few stops per thread. Yield rather than spin: on a busy machine
            // the tracee may need this very core to reach its stop.
            if (now - start < SPIN_NANOS) {
                Thread.yield();
                continue;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(sleepNanos);
            sleepNanos = Math.min(sleepNanos * 2, 5_000_000);
        }
    }


    private interface NativeCall {
        long run() throws LastErrorException;
    }

    private static long call(String what, int pid, NativeCall c) {
        try {
            return c.run();
        } catch (LastErrorException e) {
            throw new TraceeException(pid, what, e.getErrorCode());
        }
    }
}
