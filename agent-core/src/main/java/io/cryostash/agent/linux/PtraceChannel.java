// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

/**
 * Where {@link Ptrace}'s requests are carried out: by the {@code cryostash-tracer} helper
 * process ({@link TracerProcess}, the default), which puts capture tracees back if this JVM
 * dies, or in this JVM ({@link InProcessChannel}). One ptrace primitive with typed arguments is
 * enough for every request, so a new {@link Ptrace} method needs no change here or in the
 * helper.
 */
interface PtraceChannel extends AutoCloseable {

    /**
     * The addr or data argument of a ptrace request: an immediate value, or a buffer the kernel
     * reads and/or fills, or an iovec naming such a buffer (PTRACE_GETREGSET and friends).
     *
     * @param in bytes the buffer starts with (the rest is zero); empty for output-only buffers
     */
    record Arg(int mode, long value, int capacity, byte[] in) {
        static final int VALUE = 0;
        static final int BUFFER = 1;
        static final int IOVEC = 2;

        static Arg value(long v) {
            return new Arg(VALUE, v, 0, new byte[0]);
        }

        /** A buffer of {@code capacity} zero bytes for the kernel to fill. */
        static Arg out(int capacity) {
            return new Arg(BUFFER, 0, capacity, new byte[0]);
        }

        /** A buffer holding {@code bytes}, which the kernel reads (and may change). */
        static Arg in(byte[] bytes) {
            return new Arg(BUFFER, 0, bytes.length, bytes);
        }

        static Arg iovecOut(int capacity) {
            return new Arg(IOVEC, 0, capacity, new byte[0]);
        }

        static Arg iovecIn(byte[] bytes) {
            return new Arg(IOVEC, 0, bytes.length, bytes);
        }
    }

    /**
     * What a request returned.
     *
     * @param errno   0 on success
     * @param addrOut the addr buffer after the call (null for a value); an iovec's is iov_len long
     * @param dataOut the data buffer after the call (null for a value)
     */
    record Reply(long result, int errno, byte[] addrOut, byte[] dataOut) {
    }

    Reply ptrace(int request, int pid, Arg addr, Arg data);

    /** The next stop or end of {@code pid}; throws {@link TraceeException} at the deadline. */
    WaitStatus waitFor(int pid, long timeoutMillis);

    /**
     * Runs system call {@code nr} inside the stopped tracee from the {@code syscall} instruction
     * at {@code insn} and puts its registers and signal mask back. With {@code spawns} (a fork,
     * clone or clone3 run with PTRACE_O_TRACEFORK/TRACECLONE set), the event stop in between is
     * passed and the new task, traced from birth, is reported.
     */
    Ptrace.SyscallResult remoteSyscall(int pid, long insn, long nr, long[] args, long timeoutMillis, boolean spawns);

    /** Should this JVM die while {@code pid} is traced, write {@code original} back at {@code address}. */
    void guardMemory(int pid, long address, byte[] original);

    /** Should this JVM die while {@code pid} is traced, unmap {@code [address, address+length)} in it. */
    void guardMapping(int pid, long address, long length);

    /** Forgets what {@link #guardMemory} or {@link #guardMapping} registered at {@code address}. */
    void unguard(int pid, long address);

    /**
     * Should this JVM die while {@code pid} is traced, take its TCP socket {@code fd} out of
     * repair mode (the helper keeps a copy of it from now on, until {@link #unguard} with
     * {@link Ptrace#REPAIR_KEY} | fd).
     */
    void guardRepair(int pid, int fd);

    /**
     * Starts {@code argv} (an absolute program path first) in a session of its own with stdio on
     * /dev/null, not as a child of this JVM (whose reaper would steal its ptrace stops). Until it
     * is seized, it must not outlive this JVM: the helper kills it if this JVM dies first.
     */
    int spawn(java.util.List<String> argv);

    @Override
    void close();
}
