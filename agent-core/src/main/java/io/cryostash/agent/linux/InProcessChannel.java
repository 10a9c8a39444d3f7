// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.util.concurrent.locks.LockSupport;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import io.cryostash.schema.image.CpuRegisters;

/**
 * ptrace from this JVM's own thread. If this JVM dies mid-capture the kernel detaches the
 * tracees as they are, with injected registers or a blocked mask if it died inside a remote
 * system call: use only where that cannot matter (comparisons with {@link TracerProcess},
 * {@code -Dcryostash.tracer=in-process}).
 */
final class InProcessChannel implements PtraceChannel {
    private static final long ALL_SIGNALS = -1L;
    private static final long SPIN_NANOS = 200_000;
    private final LibC libc = LibC.INSTANCE;

    @Override
    public Reply ptrace(int request, int pid, Arg addr, Arg data) {
        try (Native a = Native.of(addr); Native d = Native.of(data)) {
            long r;
            int errno = 0;
            try {
                r = libc.ptrace(request, pid, a.value(), d.value());
            } catch (LastErrorException e) {
                r = -1;
                errno = e.getErrorCode();
            }
            return new Reply(r, errno, a.after(), d.after());
        }
    }

    /** An argument as the kernel sees it: a value, or native memory (and an iovec) holding the bytes. */
    private record Native(Arg arg, Memory buffer, Memory iovec) implements AutoCloseable {
        static Native of(Arg arg) {
            if (arg.mode() == Arg.VALUE) {
                return new Native(arg, null, null);
            }
            Memory buf = new Memory(Math.max(1, arg.capacity()));
            buf.clear();
            buf.write(0, arg.in(), 0, arg.in().length);
            Memory iov = null;
            if (arg.mode() == Arg.IOVEC) {
                iov = new Memory(16);
                iov.setLong(0, Pointer.nativeValue(buf));
                iov.setLong(8, arg.capacity());
            }
            return new Native(arg, buf, iov);
        }

        long value() {
            return arg.mode() == Arg.VALUE ? arg.value() : Pointer.nativeValue(iovec != null ? iovec : buffer);
        }

        byte[] after() {
            if (buffer == null) {
                return null;
            }
            long n = iovec != null ? Math.min(iovec.getLong(8), arg.capacity()) : arg.capacity();
            return buffer.getByteArray(0, (int) n);
        }

        @Override
        public void close() {
            if (buffer != null) {
                buffer.close();
            }
            if (iovec != null) {
                iovec.close();
            }
        }
    }

    @Override
    public WaitStatus waitFor(int pid, long timeoutMillis) {
        long start = System.nanoTime();
        long deadline = start + timeoutMillis * 1_000_000L;
        int[] status = new int[1];
        long sleepNanos = 50_000;
        while (true) {
            int r;
            try {
                r = libc.waitpid(pid, status, Ptrace.WALL | Ptrace.WNOHANG);
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
            // stops we cause arrive within microseconds: poll briefly (yielding) before sleeping
            if (now - start < SPIN_NANOS) {
                Thread.yield();
                continue;
            }
            LockSupport.parkNanos(sleepNanos);
            sleepNanos = Math.min(sleepNanos * 2, 5_000_000);
        }
    }

    @Override
    public Ptrace.SyscallResult remoteSyscall(int pid, long insn, long nr, long[] args, long timeoutMillis,
                                              boolean spawns) {
        Ptrace ptrace = new Ptrace(this);
        CpuRegisters saved = ptrace.getRegs(pid);
        // Block every signal during the step: one arriving meanwhile would stop the tracee in a
        // signal-delivery stop before the syscall, and a steady stream of them would never let
        // the step happen. They stay pending and arrive once the real mask is back.
        long mask = ptrace.getSigmask(pid);
        ptrace.setSigmask(pid, ALL_SIGNALS);
        try {
            ptrace.setRegs(pid, saved.forSyscall(insn, nr, args[0], args[1], args[2], args[3], args[4], args[5]));
            ptrace.singleStep(pid);
            WaitStatus st = ptrace.waitFor(pid, timeoutMillis);
            int child = 0;
            if (spawns && st.isSpawnEvent()) {
                child = (int) ptrace.getEventMsg(pid);
                ptrace.singleStep(pid); // the call has not returned yet: finish it
                st = ptrace.waitFor(pid, timeoutMillis);
            }
            if (!st.stopped()) {
                throw new TraceeException(pid, "process ended during remote syscall " + nr + ": " + st);
            }
            long result = ptrace.getRegs(pid).rax();
            ptrace.setRegs(pid, saved);
            if (st.stopSignal() != WaitStatus.SIGTRAP || st.event() != 0) {
                throw new TraceeException(pid, "remote syscall " + nr + " stopped with " + st
                        + " instead of the SIGTRAP of its single step");
            }
            return new Ptrace.SyscallResult(result, child);
        } finally {
            try {
                ptrace.setSigmask(pid, mask);
            } catch (TraceeException gone) {
                // the process ended; the error above says so
            }
        }
    }

    @Override
    public void guardMemory(int pid, long address, byte[] original) {
        // nothing outlives this JVM to write it back
    }

    @Override
    public void guardMapping(int pid, long address, long length) {
        // nothing outlives this JVM to unmap it
    }

    @Override
    public void guardRepair(int pid, int fd) {
        // nothing outlives this JVM to take the socket out of repair mode
    }

    @Override
    public void unguard(int pid, long address) {
        // nothing registered
    }

    /** Through a shell that exits at once; nothing kills it should this JVM die before seizing it. */
    @Override
    public int spawn(java.util.List<String> argv) {
        StringBuilder cmd = new StringBuilder("setsid");
        for (String w : argv) {
            cmd.append(" '").append(w.replace("'", "'\\''")).append('\'');
        }
        cmd.append(" </dev/null >/dev/null 2>&1 & echo $!");
        try {
            Process sh = new ProcessBuilder("/bin/sh", "-c", cmd.toString()).redirectErrorStream(true).start();
            String out = new String(sh.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (!sh.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || sh.exitValue() != 0) {
                throw new TraceeException(0, "could not start " + argv.get(0) + ": " + out);
            }
            return Integer.parseInt(out);
        } catch (java.io.IOException | NumberFormatException e) {
            throw new TraceeException(0, "could not start " + argv.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TraceeException(0, "interrupted while starting " + argv.get(0));
        }
    }

    @Override
    public void close() {
        // the kernel detaches whatever is still traced when this JVM exits
    }
}
