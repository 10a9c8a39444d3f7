// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code cryostash-tracer} helper (agent-core/src/main/c/cryostash-tracer.c, protocol
 * there): a small process started per {@link Tracer} that makes every ptrace call on this JVM's
 * behalf and so is the tracer the kernel knows. When this JVM goes away — kill -9, a crash, or
 * Ctrl-C/SIGTERM, whose shutdown hook closes the pipe and waits — the helper puts each capture
 * tracee back as it was at its first stop (registers, signal mask, guarded scratch memory and
 * mappings), clears the single-step flag by detaching, and exits; restore's half-built
 * processes, seized with PTRACE_O_EXITKILL, die with it. Requests are answered in order; one
 * thread at a time (the tracer thread) sends them.
 */
final class TracerProcess implements PtraceChannel {
    static final int OP_PTRACE = 1;
    static final int OP_WAIT = 2;
    static final int OP_SYSCALL = 3;
    static final int OP_GUARD_MEMORY = 4;
    static final int OP_GUARD_MAPPING = 5;
    static final int OP_UNGUARD = 6;
    static final int OP_SPAWN = 7;
    static final int OP_GUARD_REPAIR = 8;
    /** SYSCALL flag: the call forks or clones under PTRACE_O_TRACEFORK/TRACECLONE. */
    static final int SYSCALL_SPAWNS = 1;

    /** How long a shutdown or close waits for the helper to put tracees back and exit. */
    private static final long RELEASE_WAIT_SECONDS = 30;
    private static final String[] SYSCALL_STEPS = {"PTRACE_GETREGS", "PTRACE_GETSIGMASK", "PTRACE_SETSIGMASK",
            "PTRACE_SETREGS", "PTRACE_SINGLESTEP", "waitpid", "PTRACE_GETREGS (result)", "PTRACE_SETREGS (put back)"};

    private final Process helper;
    private final OutputStream out;
    private final InputStream in;
    private final ReentrantLock lock = new ReentrantLock();
    private final Thread shutdownHook;

    private TracerProcess(Process helper) {
        this.helper = helper;
        this.out = new BufferedOutputStream(helper.getOutputStream(), 1 << 16);
        this.in = new BufferedInputStream(helper.getInputStream(), 1 << 16);
        // Ctrl-C or SIGTERM: let the helper put the tracees back before this JVM is gone
        this.shutdownHook = new Thread(this::releaseAndWait, "cryostash-tracer-release");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    static TracerProcess start(String name) {
        java.nio.file.Path exe = TracerBinary.path();
        try {
            Process p = new ProcessBuilder(exe.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            return new TracerProcess(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the tracer helper " + exe + " for " + name + ": "
                    + e.getMessage(), e);
        }
    }

    /** The helper's pid (tests kill it on purpose). */
    long pid() {
        return helper.pid();
    }

    @Override
    public Reply ptrace(int request, int pid, Arg addr, Arg data) {
        ByteBuffer b = request(pid, OP_PTRACE, 8 + size(addr) + size(data), m -> {
            m.putInt(request).putInt(pid);
            put(m, addr);
            put(m, data);
        });
        long result = b.getLong();
        int errno = b.getInt();
        byte[] a = addr.mode() == Arg.VALUE ? null : bytes(b);
        byte[] d = data.mode() == Arg.VALUE ? null : bytes(b);
        return new Reply(result, errno, a, d);
    }

    @Override
    public WaitStatus waitFor(int pid, long timeoutMillis) {
        ByteBuffer b = request(pid, OP_WAIT, 12, m -> m.putInt(pid).putLong(timeoutMillis));
        long r = b.getLong();
        int errno = b.getInt();
        int status = b.getInt();
        if (r == pid) {
            return new WaitStatus(status);
        }
        if (r == 0) {
            throw new TraceeException(pid, "waitpid: no stop within " + timeoutMillis + " ms", 0);
        }
        throw new TraceeException(pid, "waitpid", errno);
    }

    @Override
    public Ptrace.SyscallResult remoteSyscall(int pid, long insn, long nr, long[] args, long timeoutMillis,
                                              boolean spawns) {
        ByteBuffer b = request(pid, OP_SYSCALL, 4 + 8 * 9 + 4, m -> {
            m.putInt(pid).putLong(insn).putLong(nr);
            for (int i = 0; i < 6; i++) {
                m.putLong(i < args.length ? args[i] : 0);
            }
            m.putLong(timeoutMillis);
            m.putInt(spawns ? SYSCALL_SPAWNS : 0);
        });
        long rax = b.getLong();
        int errno = b.getInt();
        int outcome = b.getInt();
        WaitStatus status = new WaitStatus(b.getInt());
        int step = b.getInt();
        int child = b.getInt();
        return switch (outcome) {
            case 0 -> new Ptrace.SyscallResult(rax, child);
            case 1 -> throw new TraceeException(pid, step >= 0 && step < SYSCALL_STEPS.length ? SYSCALL_STEPS[step]
                    : "remote syscall step " + step, errno);
            case 2 -> throw new TraceeException(pid, "process ended during remote syscall " + nr + ": " + status);
            case 3 -> throw new TraceeException(pid, "remote syscall " + nr + " stopped with " + status
                    + " instead of the SIGTRAP of its single step");
            default -> throw new TraceeException(pid, "waitpid: no stop within " + timeoutMillis + " ms", 0);
        };
    }

    @Override
    public void guardMemory(int pid, long address, byte[] original) {
        request(pid, OP_GUARD_MEMORY, 16 + original.length, m -> m.putInt(pid).putLong(address)
                .putInt(original.length).put(original));
    }

    @Override
    public void guardMapping(int pid, long address, long length) {
        request(pid, OP_GUARD_MAPPING, 20, m -> m.putInt(pid).putLong(address).putLong(length));
    }

    @Override
    public void guardRepair(int pid, int fd) {
        ByteBuffer b = request(pid, OP_GUARD_REPAIR, 8, m -> m.putInt(pid).putInt(fd));
        b.getLong();
        int errno = b.getInt();
        if (errno != 0) {
            throw new TraceeException(pid, "the tracer helper's copy of fd " + fd + " (pidfd_getfd)", errno);
        }
    }

    @Override
    public void unguard(int pid, long address) {
        request(pid, OP_UNGUARD, 12, m -> m.putInt(pid).putLong(address));
    }

    @Override
    public int spawn(java.util.List<String> argv) {
        java.util.List<byte[]> words = argv.stream().map(w -> w.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .toList();
        int length = 4 + words.stream().mapToInt(w -> 4 + w.length).sum();
        ByteBuffer b = request(0, OP_SPAWN, length, m -> {
            m.putInt(words.size());
            words.forEach(w -> m.putInt(w.length).put(w));
        });
        long pid = b.getLong();
        int errno = b.getInt();
        if (pid <= 0) {
            throw new TraceeException(0, "starting " + argv.get(0), errno);
        }
        return (int) pid;
    }

    /** Closes the pipe: the helper lets go of (or puts back) what it still traces and exits. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: it does the same
        }
        releaseAndWait();
    }

    private void releaseAndWait() {
        try {
            out.close();
        } catch (IOException alreadyGone) {
            // the helper exited
        }
        try {
            if (!helper.waitFor(RELEASE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                System.err.println("cryostash: the tracer helper " + helper.pid() + " is still putting tracees back");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private interface Body {
        void write(ByteBuffer b);
    }

    /** One request and its answer; the answer's buffer is positioned at its start. */
    private ByteBuffer request(int pid, int op, int length, Body body) {
        ByteBuffer m = ByteBuffer.allocate(8 + length).order(ByteOrder.LITTLE_ENDIAN);
        m.putInt(length).putInt(op);
        body.write(m);
        if (m.position() != m.capacity()) {
            throw new IllegalStateException("request of " + m.position() + " bytes, announced " + m.capacity());
        }
        lock.lock();
        try {
            out.write(m.array());
            out.flush();
            byte[] h = in.readNBytes(4);
            if (h.length < 4) {
                throw new IOException("it closed its answers");
            }
            int len = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt();
            byte[] answer = in.readNBytes(len);
            if (answer.length < len) {
                throw new IOException("its answer was cut short");
            }
            return ByteBuffer.wrap(answer).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new TraceeException(pid, "the tracer helper " + helper.pid() + " is gone ("
                    + (helper.isAlive() ? e.getMessage() : "exit status " + helper.exitValue()) + ")");
        } finally {
            lock.unlock();
        }
    }

    private static int size(Arg a) {
        return a.mode() == Arg.VALUE ? 1 + 8 : 1 + 8 + a.in().length;
    }

    private static void put(ByteBuffer m, Arg a) {
        m.put((byte) a.mode());
        if (a.mode() == Arg.VALUE) {
            m.putLong(a.value());
        } else {
            m.putInt(a.capacity()).putInt(a.in().length).put(a.in());
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.getInt()];
        b.get(out);
        return out;
    }
}
