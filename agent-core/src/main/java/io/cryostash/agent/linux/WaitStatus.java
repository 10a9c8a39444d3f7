// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

/** A decoded waitpid(2) status word. */
public record WaitStatus(int raw) {
    public static final int SIGTRAP = 5;
    public static final int PTRACE_EVENT_FORK = 1;
    public static final int PTRACE_EVENT_VFORK = 2;
    public static final int PTRACE_EVENT_CLONE = 3;
    public static final int PTRACE_EVENT_STOP = 128;
    static final int SIGSTOP = 19;
    static final int SIGTSTP = 20;
    static final int SIGTTIN = 21;
    static final int SIGTTOU = 22;

    public boolean exited() {
        return (raw & 0x7f) == 0;
    }

    public boolean killed() {
        return !exited() && !stopped();
    }

    public boolean stopped() {
        return (raw & 0xff) == 0x7f;
    }

    public int exitCode() {
        return (raw >> 8) & 0xff;
    }

    public int termSignal() {
        return raw & 0x7f;
    }

    public int stopSignal() {
        return (raw >> 8) & 0xff;
    }

    /** The PTRACE_EVENT_* number of an event stop, 0 otherwise. */
    public int event() {
        return (raw >> 16) & 0xff;
    }

    public boolean isInterruptStop() {
        return stopped() && event() == PTRACE_EVENT_STOP;
    }

    /**
     * A seized task reporting a group stop (job control: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)
     * rather than our interrupt: both are PTRACE_EVENT_STOP, told apart by the signal.
     */
    public boolean isGroupStop() {
        int s = stopSignal();
        return isInterruptStop() && (s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU);
    }

    /** The stop of a task that has just forked or cloned (PTRACE_O_TRACEFORK / TRACECLONE). */
    public boolean isSpawnEvent() {
        int e = event();
        return stopped() && (e == PTRACE_EVENT_FORK || e == PTRACE_EVENT_VFORK || e == PTRACE_EVENT_CLONE);
    }

    @Override
    public String toString() {
        if (exited()) {
            return "exited with " + exitCode();
        }
        if (stopped()) {
            return "stopped by signal " + stopSignal() + (event() != 0 ? " (event " + event() + ")" : "");
        }
        return "killed by signal " + termSignal();
    }
}
