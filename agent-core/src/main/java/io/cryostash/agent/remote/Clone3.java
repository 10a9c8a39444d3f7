// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.remote;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;

/**
 * clone3(2) run inside a tracee, with {@code set_tid} to choose the new task's id. With
 * PTRACE_O_TRACEFORK / TRACECLONE set on the tracee, the new task is traced by us from birth
 * and waits in its first stop; {@link RemoteSyscalls#spawn} reports its id in our namespace.
 */
public final class Clone3 {
    public static final long CLONE_VM = 0x100;
    public static final long CLONE_FS = 0x200;
    public static final long CLONE_FILES = 0x400;
    public static final long CLONE_SIGHAND = 0x800;
    public static final long CLONE_THREAD = 0x10000;
    public static final long CLONE_NEWPID = 0x20000000;
    public static final long CLONE_SYSVSEM = 0x40000;
    public static final long CLONE_SETTLS = 0x80000;
    public static final long CLONE_PARENT_SETTID = 0x100000;
    public static final long CLONE_CHILD_CLEARTID = 0x200000;
    /** What glibc's pthread_create passes (create_thread in sysdeps/unix/sysv/linux/createthread.c). */
    public static final long PTHREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD
            | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    public static final int SIGCHLD = 17;
    /** sizeof(struct clone_args) up to and including set_tid_size (CLONE_ARGS_SIZE_VER1). */
    static final int ARGS_SIZE = 80;
    /** Scratch bytes {@link #call} uses: the arguments, then the set_tid array. */
    public static final int SCRATCH_BYTES = ARGS_SIZE + 8;

    private Clone3() {
    }

    /**
     * Runs clone3 in the tracee of {@code remote}.
     *
     * @param flags      CLONE_* flags
     * @param exitSignal signal the parent gets when the child ends (SIGCHLD for a process, 0 for a thread)
     * @param tid        the id the new task gets in the caller's PID namespace (or in the new one
     *                   with CLONE_NEWPID), 0 for any
     * @param tidAddress parent_tid and child_tid address (with CLONE_PARENT_SETTID / CHILD_CLEARTID)
     * @param tls        fs base of the new thread (with CLONE_SETTLS)
     * @param scratch    {@link #SCRATCH_BYTES} of writable memory in the tracee
     */
    public static RemoteSyscalls.Spawned call(RemoteSyscalls remote, ProcessMemory mem, long scratch, String what,
                                              long flags, int exitSignal, int tid, long tidAddress, long tls) {
        long setTidAt = scratch + ARGS_SIZE;
        ByteBuffer b = ByteBuffer.allocate(SCRATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(flags)              // flags
                .putLong(0)           // pidfd
                .putLong(tidAddress)  // child_tid
                .putLong(tidAddress)  // parent_tid
                .putLong(exitSignal)  // exit_signal
                .putLong(0)           // stack: the new task starts on its parent's stack pointer, and stopped
                .putLong(0)           // stack_size
                .putLong(tls)         // tls
                .putLong(tid == 0 ? 0 : setTidAt) // set_tid
                .putLong(tid == 0 ? 0 : 1)        // set_tid_size: only the innermost namespace's id is chosen
                .putInt(tid).putInt(0);
        mem.write(scratch, b.array());
        return remote.spawn(what, SyscallNumbers.CLONE3, scratch, ARGS_SIZE);
    }
}
