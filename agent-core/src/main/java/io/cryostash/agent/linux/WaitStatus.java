// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

/** A decoded waitpid(2) status word. */
public record WaitStatus(int raw) {
    public static final int SIGTRAP = 5;
    public static final int PTRACE_EVENT_STOP = 128;

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
