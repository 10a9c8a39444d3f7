// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.remote;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.schema.image.CpuRegisters;

/**
 * Many system calls inside a stopped tracee for one ptrace stop. {@link RemoteSyscalls} costs a
 * round trip through the tracer helper and a wake-up of the tracee for every call (tens of µs
 * each); a process with thousands of descriptors needs thousands of calls. Here the calls are
 * written as a table into a mapping of the tracee, next to a loop of a few instructions that
 * runs them one after the other and stops at an {@code int3}: one PTRACE_CONT and one wait for
 * the whole table (in chunks of {@link #CAPACITY}). The loop stops at the first call that
 * fails, so nothing after it runs on a state the caller did not expect.
 *
 * <p>For processes being built (restore's husk, seized with PTRACE_O_EXITKILL): the sequence of
 * ptrace requests is not one request to the tracer helper, so an agent dying in the middle
 * leaves the tracee mid-loop, which only a process the kernel kills with its tracer may be.
 * Every signal is blocked while the loop runs; registers and signal mask are put back after.
 * Call only on the tracer thread.
 */
public final class SyscallBatch implements AutoCloseable {
    /** Calls per stop: one entry is 8 words (nr, six arguments, result). */
    public static final int CAPACITY = 4096;
    static final int ENTRY = 64;
    /** The value of a result slot the loop did not reach. */
    public static final long NOT_RUN = Long.MIN_VALUE;
    private static final long STOP_TIMEOUT_MS = 30_000;
    private static final long ALL_SIGNALS = -1L;
    /**
     * mov r12,rdi; mov r13,rsi; loop: test r13,r13; je done; load rax, rdi, rsi, rdx, r10, r8, r9
     * from [r12]; syscall; mov [r12+56],rax; cmp rax,-4095; jae done; add r12,64; dec r13;
     * jmp loop; done: int3 (assembled with GNU as, see the commit that added it).
     */
    static final byte[] LOOP = {
        0x49, (byte) 0x89, (byte) 0xfc, 0x49, (byte) 0x89, (byte) 0xf5, 0x4d, (byte) 0x85, (byte) 0xed, 0x74, 0x3a,
        0x49, (byte) 0x8b, 0x04, 0x24, 0x49, (byte) 0x8b, 0x7c, 0x24, 0x08, 0x49, (byte) 0x8b, 0x74, 0x24, 0x10,
        0x49, (byte) 0x8b, 0x54, 0x24, 0x18, 0x4d, (byte) 0x8b, 0x54, 0x24, 0x20, 0x4d, (byte) 0x8b, 0x44, 0x24,
        0x28, 0x4d, (byte) 0x8b, 0x4c, 0x24, 0x30, 0x0f, 0x05, 0x49, (byte) 0x89, 0x44, 0x24, 0x38, 0x48, 0x3d,
        0x01, (byte) 0xf0, (byte) 0xff, (byte) 0xff, 0x73, 0x09, 0x49, (byte) 0x83, (byte) 0xc4, 0x40, 0x49,
        (byte) 0xff, (byte) 0xcd, (byte) 0xeb, (byte) 0xc1, (byte) 0xcc};
    private static final int PAGE = 4096;
    private static final long SIZE = PAGE + (long) CAPACITY * ENTRY;
    /** Bytes of the tracee's address space a batch takes (its loop and table). */
    public static final long BYTES = SIZE;

    private final RemoteSyscalls remote;
    private final ProcessMemory mem;
    private final long code;
    private final long table;
    private int stops;

    /** Maps the loop and its table in the tracee (one remote mmap; unmapped by {@link #close}). */
    public SyscallBatch(RemoteSyscalls remote, ProcessMemory mem) {
        this(remote, mem, 0);
    }

    /**
     * The same at {@code at} ({@link #BYTES} free there, MAP_FIXED_NOREPLACE), for batches whose
     * calls map at fixed addresses (which could replace a mapping the kernel chose for the loop).
     */
    public SyscallBatch(RemoteSyscalls remote, ProcessMemory mem, long at) {
        this.remote = remote;
        this.mem = mem;
        this.code = remote.call("mmap system call table", SyscallNumbers.MMAP, at, SIZE,
                Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS
                        | (at == 0 ? 0 : Mman.MAP_FIXED_NOREPLACE), -1, 0);
        this.table = code + PAGE;
        remote.guardMapping(code, SIZE);
        mem.write(code, LOOP);
    }

    /** One call: its number and up to six arguments; {@link #ownSlot} in place of an out pointer. */
    public record Call(int nr, long... args) {
        public Call {
            if (args.length > 6) {
                throw new IllegalArgumentException("a system call takes at most six arguments");
            }
        }
    }

    /**
     * An argument standing for the address of a word of the call's own table entry (its sixth
     * argument's): for calls that write up to 8 bytes through a pointer (pipe2, socketpair),
     * read back with {@link Outcome#slot}. The call must not take a sixth argument itself.
     */
    public static final long OWN_SLOT = 0x7ffe_0000_0000_0006L;

    /**
     * What the calls returned.
     *
     * @param results raw results (-errno on failure), {@link #NOT_RUN} for calls after a failure
     * @param slots   each call's sixth-argument word after the call ({@link #OWN_SLOT})
     * @param failed  the index of the call that failed, or -1
     */
    public record Outcome(long[] results, long[] slots, int failed) {
        public long slot(int i) {
            return slots[i];
        }
    }

    /** How many ptrace stops the batch has cost so far (for reports). */
    public int stops() {
        return stops;
    }

    /** Runs {@code calls} in order; stops at the first that fails. */
    public Outcome run(List<Call> calls) {
        long[] results = new long[calls.size()];
        long[] slots = new long[calls.size()];
        java.util.Arrays.fill(results, NOT_RUN);
        int failed = -1;
        for (int from = 0; from < calls.size() && failed < 0; from += CAPACITY) {
            int n = Math.min(CAPACITY, calls.size() - from);
            ByteBuffer t = ByteBuffer.allocate(n * ENTRY).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                Call c = calls.get(from + i);
                t.putLong(c.nr());
                for (int a = 0; a < 6; a++) {
                    long v = a < c.args().length ? c.args()[a] : 0;
                    t.putLong(v == OWN_SLOT ? table + (long) i * ENTRY + 48 : v);
                }
                t.putLong(NOT_RUN);
            }
            mem.write(table, t.array());
            runLoop(n);
            ByteBuffer back = ByteBuffer.wrap(mem.read(table, n * ENTRY)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                long r = back.getLong(i * ENTRY + 56);
                results[from + i] = r;
                slots[from + i] = back.getLong(i * ENTRY + 48);
                if (failed < 0 && (r == NOT_RUN || (r < 0 && r > -4096))) {
                    failed = from + i;
                }
            }
        }
        return new Outcome(results, slots, failed);
    }

    private void runLoop(int n) {
        Ptrace ptrace = remote.ptrace();
        int pid = remote.pid();
        CpuRegisters saved = ptrace.getRegs(pid);
        long mask = ptrace.getSigmask(pid);
        ptrace.setSigmask(pid, ALL_SIGNALS); // a signal would stop the loop half way
        try {
            ptrace.setRegs(pid, saved.forSyscall(code, 0, table, n, 0, 0, 0, 0));
            ptrace.cont(pid, 0);
            stops++;
            WaitStatus st = ptrace.waitFor(pid, STOP_TIMEOUT_MS);
            if (!st.stopped()) {
                throw new TraceeException(pid, "process ended while running " + n + " system calls: " + st);
            }
            if (st.stopSignal() != WaitStatus.SIGTRAP || st.event() != 0) {
                throw new TraceeException(pid, "the system call loop stopped with " + st + " instead of its int3");
            }
            long rip = ptrace.getRegs(pid).rip();
            if (rip != code + LOOP.length) {
                throw new TraceeException(pid, "the system call loop stopped at " + Long.toHexString(rip)
                        + ", not at its end");
            }
        } finally {
            ptrace.setRegs(pid, saved);
            ptrace.setSigmask(pid, mask);
        }
    }

    @Override
    public void close() {
        remote.call("munmap system call table", SyscallNumbers.MUNMAP, code, SIZE);
        remote.unguard(code);
    }
}
