// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.cryostash.agent.linux.Errno;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.remote.Clone3;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreOptions.PidMode;
import io.cryostash.restore.process.NamespaceInit;

/**
 * The process that becomes the restored one, seized and stopped, ready for remote system calls.
 *
 * <p>It starts as a sleeper that the tracer helper starts ({@link Ptrace#spawn}), so it is not a
 * child of this JVM (whose reaper thread would steal its ptrace stops) and survives the CLI; it
 * gets a session of its own, away from the caller's terminal. Until it is seized, the helper
 * kills it should this JVM die (kill -9 or Ctrl-C in the few milliseconds before the seize): no
 * husk is left sleeping forever. To get the image's own pid, that sleeper is only a helper:
 * seized with PTRACE_O_TRACEFORK, it runs clone3 with {@code set_tid} (the husk is born with the
 * wanted pid and traced from its first instruction), and is killed. For a fresh PID namespace
 * the sleeper first clones the namespace's init ({@code CLONE_NEWPID}, pid 1 there, see
 * {@link NamespaceInit}), and that init clones the husk with the wanted pid inside the namespace.
 *
 * <p>Every task here is seized with PTRACE_O_EXITKILL (inherited by what it clones): if this
 * JVM dies midway, the tracer helper exits with it and the kernel kills them all.
 */
final class Husk {
    private static final long STOP_TIMEOUT_MS = 5_000;
    private static final int SIGKILL = 9;
    static final int OPTIONS = Ptrace.PTRACE_O_EXITKILL | Ptrace.PTRACE_O_TRACECLONE | Ptrace.PTRACE_O_TRACEFORK;

    /** The husk's pid in this agent's namespace. */
    final int pid;
    /** Its pid as it sees itself (in its own namespace). */
    final int ownPid;
    /** The init of its own PID namespace, still stopped under our trace; 0 when there is none. */
    private final int init;

    private Husk(int pid, int ownPid, int init) {
        this.pid = pid;
        this.ownPid = ownPid;
        this.init = init;
    }

    /**
     * Starts and seizes a husk; on the tracer thread.
     *
     * @param wantedPid the pid it must have (in its own namespace with NEW_PID_NAMESPACE); unused with NEW_PID
     * @throws TraceeException with errno EEXIST when the wanted pid is in use
     */
    static Husk spawn(Ptrace ptrace, PidMode mode, int wantedPid) {
        if (mode == PidMode.NEW_PID_NAMESPACE && wantedPid == 1) {
            throw new RestoreException("the image's pid is 1: in a new PID namespace that is the namespace's own"
                    + " init; restore it without --new-pid-namespace");
        }
        int helper = startSleeper(ptrace);
        int[] made = new int[2]; // init, husk: killed if anything fails
        try {
            ptrace.seize(helper, OPTIONS);
            ptrace.interrupt(helper);
            awaitFirstStop(ptrace, helper, "the husk");
            if (mode == PidMode.NEW_PID) {
                return new Husk(helper, helper, 0);
            }
            List<MapsEntry> maps = Maps.read(helper);
            try (ProcessMemory mem = new ProcessMemory(helper, true)) {
                long insn = RemoteSyscalls.findSyscallInstruction(helper, maps, mem);
                RemoteSyscalls remote = new RemoteSyscalls(ptrace, helper, insn);
                try (RemoteScratch scratch = RemoteScratch.belowStack(remote, mem, ptrace.getRegs(helper).rsp(), maps)) {
                    if (mode == PidMode.NEW_PID_NAMESPACE) {
                        made[0] = Clone3.call(remote, mem, scratch.address(), "clone3 (init of a new PID namespace)",
                                Clone3.CLONE_NEWPID, Clone3.SIGCHLD, 0, 0, 0).child();
                        awaitFirstStop(ptrace, made[0], "the new PID namespace's init");
                        // the init is a copy of the helper: same code and stack, so the same instruction and scratch
                        RemoteSyscalls inInit = new RemoteSyscalls(ptrace, made[0], insn);
                        try (ProcessMemory initMem = new ProcessMemory(made[0], true)) {
                            made[1] = cloneHusk(ptrace, inInit, initMem, scratch.address(), wantedPid);
                            NamespaceInit.install(ptrace, inInit, initMem, made[0]);
                        }
                    } else {
                        made[1] = cloneHusk(ptrace, remote, mem, scratch.address(), wantedPid);
                    }
                }
                new RemoteSyscalls(ptrace, made[1], insn).call("setsid", SyscallNumbers.SETSID); // as the sleeper had
            }
            return new Husk(made[1], wantedPid, made[0]);
        } catch (RuntimeException e) {
            for (int t : made) {
                if (t != 0) {
                    kill(t);
                }
            }
            kill(helper);
            throw e;
        } finally {
            if (mode != PidMode.NEW_PID) { // the helper's work is done: its clones live on without it
                kill(helper);
                reap(ptrace, helper);
            }
        }
    }

    private static int cloneHusk(Ptrace ptrace, RemoteSyscalls parent, ProcessMemory mem, long scratch, int wantedPid) {
        int husk = Clone3.call(parent, mem, scratch, "clone3 (the husk, with pid " + wantedPid + ")", 0,
                Clone3.SIGCHLD, wantedPid, 0, 0).child();
        awaitFirstStop(ptrace, husk, "the husk");
        return husk;
    }

    /**
     * A child of this husk, cloned by it (fork-like, SIGCHLD) with {@code wantedPid} in its own
     * namespace: parent and child are linked as the tree's were. Traced from birth, since the
     * tracing options are inherited; on the tracer thread.
     *
     * @throws TraceeException with errno EEXIST when the wanted pid is in use
     */
    Husk fork(Ptrace ptrace, int wantedPid) {
        return inHusk(ptrace, (remote, mem, scratch) -> {
            int child = cloneHusk(ptrace, remote, mem, scratch, wantedPid);
            return new Husk(child, wantedPid, 0);
        });
    }

    /** setsid in the husk: it leads a session (and a process group) of its own. */
    void setsid(Ptrace ptrace) {
        inHusk(ptrace, (remote, mem, scratch) -> remote.call("setsid in " + ownPid, SyscallNumbers.SETSID));
    }

    /** setpgid(0, pgid) in the husk: it joins (or, with its own pid, leads) that process group. */
    void setpgid(Ptrace ptrace, int pgid) {
        inHusk(ptrace, (remote, mem, scratch) -> remote.call("setpgid(" + ownPid + ", " + pgid + ")",
                SyscallNumbers.SETPGID, 0, pgid));
    }

    /**
     * Ends the husk as a zombie ended: with {@code exit_group(code)}, or by the signal that killed
     * it; it was made by its parent, so that parent can reap it with this status. Only once the
     * parent runs: its SIGCHLD then arrives as a signal, not as a stop of a process being built.
     */
    void exitAs(Ptrace ptrace, int waitStatus) {
        int signal = waitStatus & 0x7f;
        if (signal == 0) {
            long insn;
            try (ProcessMemory mem = new ProcessMemory(pid, true)) {
                insn = RemoteSyscalls.findSyscallInstruction(pid, Maps.read(pid), mem);
            }
            // it runs exit_group as soon as it is let go
            ptrace.setRegs(pid, ptrace.getRegs(pid).forSyscall(insn, SyscallNumbers.EXIT_GROUP,
                    (waitStatus >> 8) & 0xff, 0, 0, 0, 0, 0));
            ptrace.detach(pid);
        } else {
            ptrace.detach(pid);
            Syscalls.kill(pid, signal);
        }
    }

    @FunctionalInterface
    private interface InHusk<T> {
        T run(RemoteSyscalls remote, ProcessMemory mem, long scratch);
    }

    /** Remote calls in this husk (a copy of the sleeper: a syscall instruction and stack to spare). */
    private <T> T inHusk(Ptrace ptrace, InHusk<T> work) {
        List<MapsEntry> maps = Maps.read(pid);
        try (ProcessMemory mem = new ProcessMemory(pid, true)) {
            RemoteSyscalls remote = new RemoteSyscalls(ptrace, pid, RemoteSyscalls.findSyscallInstruction(pid, maps, mem));
            try (RemoteScratch scratch = RemoteScratch.belowStack(remote, mem, ptrace.getRegs(pid).rsp(), maps)) {
                return work.run(remote, mem, scratch.address());
            }
        }
    }

    /** Lets the namespace's init run its reaping loop (after the husk is released or killed). */
    void releaseInit(Ptrace ptrace) {
        if (init != 0) {
            ptrace.detach(init);
        }
    }

    /** Kills the husk and, with it, the namespace made for it. */
    void kill() {
        kill(pid);
        if (init != 0) {
            kill(init);
        }
    }

    private static void awaitFirstStop(Ptrace ptrace, int tid, String what) {
        WaitStatus st = ptrace.waitFor(tid, STOP_TIMEOUT_MS);
        if (!st.isInterruptStop()) {
            throw new RestoreException(what + " (" + tid + ") did not stop as expected: " + st);
        }
    }

    /** Takes the exit report of a killed tracee, so that its real parent can reap it. */
    private static void reap(Ptrace ptrace, int tid) {
        try {
            for (int i = 0; i < 8 && ptrace.waitFor(tid, STOP_TIMEOUT_MS).stopped(); i++) {
                // a stop reported before SIGKILL took effect: the next report is the exit
            }
        } catch (TraceeException gone) {
            // already reaped, or not ours
        }
    }

    private static void kill(int tid) {
        try {
            Syscalls.kill(tid, SIGKILL);
        } catch (TraceeException alreadyGone) {
            // nothing left to kill
        }
    }

    static boolean pidInUse(TraceeException e) {
        return e.errno() == Errno.EEXIST;
    }

    /** The sleeper, started by the tracer helper and settled in nanosleep; on the tracer thread. */
    static int startSleeper(Ptrace ptrace) {
        String sleep = Files.isExecutable(Path.of("/bin/sleep")) ? "/bin/sleep" : "/usr/bin/sleep";
        try {
            int pid = ptrace.spawn(List.of(sleep, "1000000000"));
            awaitSleeping(pid);
            return pid;
        } catch (TraceeException e) {
            throw new RestoreException("could not start the husk process: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestoreException("interrupted while starting the husk process", e);
        }
    }

    /** Waits until the husk has exec'd sleep and sits in nanosleep, so its layout is settled. */
    private static void awaitSleeping(int pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                String exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString();
                ProcStat st = ProcStat.read(pid);
                if (exe.endsWith("/sleep") && st.state() == 'S') {
                    return;
                }
            } catch (IOException | RuntimeException notYet) {
                // still being exec'd
            }
            Thread.sleep(1);
        }
        throw new RestoreException("the husk process " + pid + " did not settle within 10 s");
    }
}
