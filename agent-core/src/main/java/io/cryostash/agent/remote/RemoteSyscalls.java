// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.remote;

import java.util.List;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.proc.MapsEntry;

/**
 * Runs system calls inside a stopped tracee: save its registers, point rip at a {@code syscall}
 * instruction, load the number and arguments, single-step, read rax, put the registers back.
 * State that only the process itself can report or change (signal handlers, sigaltstack,
 * the tid address, its memory map) is read and written this way. Call only on the tracer thread.
 */
public final class RemoteSyscalls {
    private static final long STEP_TIMEOUT_MS = 10_000;

    private final Ptrace ptrace;
    private final int pid;
    private long syscallInsn;

    public RemoteSyscalls(Ptrace ptrace, int pid, long syscallInsn) {
        this.ptrace = ptrace;
        this.pid = pid;
        this.syscallInsn = syscallInsn;
    }

    public int pid() {
        return pid;
    }

    /** Moves the instruction used for later calls (restore installs its own page). */
    public void useSyscallInstructionAt(long address) {
        this.syscallInsn = address;
    }

    /**
     * The raw return value: negative values are -errno. The whole sequence (save registers and
     * mask, block every signal, inject, single-step, read rax, put everything back) is one
     * request to the tracer helper, so a JVM dying in the middle never leaves it half done.
     */
    public long raw(int nr, long... args) {
        return run(nr, null, args);
    }

    /**
     * The result of a fork- or clone-like call run with PTRACE_O_TRACEFORK / TRACECLONE set.
     *
     * @param result what the call returned inside the tracee (the child's id in the tracee's
     *               PID namespace, or -errno)
     * @param child  the new task's id in this agent's namespace (from the event stop), 0 when
     *               the call failed; it is traced by us and on its way to its first stop
     */
    public record Spawned(long result, int child) {
    }

    /**
     * Runs a fork, clone or clone3 call. The tracee stops once more in between (the
     * PTRACE_EVENT_FORK/CLONE stop), which tells the new task's id in our namespace; the call
     * is then stepped to its end as usual.
     */
    public Spawned spawn(String what, int nr, long... args) {
        int[] child = {0};
        long r = run(nr, child, args);
        if (r < 0 && r > -4096) {
            throw new TraceeException(pid, "remote " + what, (int) -r);
        }
        if (child[0] == 0) {
            throw new TraceeException(pid, "remote " + what + " returned " + r + " but reported no new task");
        }
        return new Spawned(r, child[0]);
    }

    private long run(int nr, int[] spawned, long... args) {
        long[] a = new long[6];
        System.arraycopy(args, 0, a, 0, args.length);
        if (spawned == null) {
            return ptrace.remoteSyscall(pid, syscallInsn, nr, a, STEP_TIMEOUT_MS);
        }
        Ptrace.SyscallResult s = ptrace.remoteSpawn(pid, syscallInsn, nr, a, STEP_TIMEOUT_MS);
        spawned[0] = s.child();
        return s.result();
    }

    /**
     * Should the agent die before {@link #unguard}, the tracer helper writes {@code original}
     * back at {@code address} (memory borrowed for scratch) before it lets the process go.
     */
    public void guardMemory(long address, byte[] original) {
        ptrace.guardMemory(pid, address, original);
    }

    /** Should the agent die before {@link #unguard}, the tracer helper unmaps this range. */
    public void guardMapping(long address, long length) {
        ptrace.guardMapping(pid, address, length);
    }

    public void unguard(long address) {
        ptrace.unguard(pid, address);
    }

    /** Like {@link #raw} but throws, naming {@code what}, when the call fails. */
    public long call(String what, int nr, long... args) {
        long r = raw(nr, args);
        if (r < 0 && r > -4096) {
            throw new TraceeException(pid, "remote " + what, (int) -r);
        }
        return r;
    }

    /**
     * Finds a {@code syscall} instruction (0f 05) the tracee can execute: in the vDSO first,
     * then in any executable mapping.
     */
    public static long findSyscallInstruction(int pid, List<MapsEntry> maps, ProcessMemory mem) {
        for (boolean vdsoPass : new boolean[] {true, false}) {
            for (MapsEntry e : maps) {
                boolean isVdso = "[vdso]".equals(e.path());
                if (vdsoPass != isVdso || e.perms().charAt(2) != 'x' || "[vsyscall]".equals(e.path())) {
                    continue;
                }
                int len = (int) Math.min(e.length(), 1 << 20);
                byte[] b;
                try {
                    b = mem.read(e.start(), len);
                } catch (TraceeException unreadable) {
                    continue;
                }
                for (int i = 0; i + 1 < b.length; i++) {
                    if (b[i] == 0x0f && b[i + 1] == 0x05) {
                        return e.start() + i;
                    }
                }
            }
        }
        throw new TraceeException(pid, "no syscall instruction found in any executable mapping");
    }
}
