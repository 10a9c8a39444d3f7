// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.timers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.capture.CaptureException;
import io.cryostash.schema.image.ProcessTimers;

/**
 * Interval timers (getitimer) and POSIX timers: ids, clocks, signals and sigvals from
 * /proc/PID/timers, time left and interval from timer_gettime. Both are asked inside the frozen
 * process with remote system calls: only the process itself can read its timers.
 */
public final class TimerCapture {
    static final int SIGEV_SIGNAL = 0;
    static final int SIGEV_NONE = 1;
    static final int SIGEV_THREAD = 2;
    static final int SIGEV_THREAD_ID = 4;

    private TimerCapture() {
    }

    /**
     * @param ownTids the process's threads: tid as this agent sees it (what /proc/PID/timers
     *                names) to tid as the process sees it (what the image keeps)
     */
    public static ProcessTimers capture(int pid, RemoteSyscalls remote, ProcessMemory mem, long scratch,
                                        Map<Integer, Integer> ownTids) {
        List<ProcessTimers.IntervalTimer> itimers = new ArrayList<>();
        for (int which = 0; which < 3; which++) {
            remote.call("getitimer " + which, SyscallNumbers.GETITIMER, which, scratch);
            ByteBuffer b = ByteBuffer.wrap(mem.read(scratch, 32)).order(ByteOrder.LITTLE_ENDIAN);
            long interval = b.getLong(0) * 1_000_000 + b.getLong(8);
            long value = b.getLong(16) * 1_000_000 + b.getLong(24);
            if (value != 0) {
                itimers.add(new ProcessTimers.IntervalTimer(which, value, interval));
            }
        }
        List<ProcessTimers.PosixTimer> posix = new ArrayList<>();
        for (String[] t : parse(pid)) {
            int id = Integer.parseInt(t[0]);
            String[] sig = t[1].split("/");
            Notify notify = Notify.parse(pid, id, t[2]);
            int target = 0;
            if (notify.thread() != 0) {
                Integer own = ownTids.get(notify.thread());
                if (own == null) {
                    throw new CaptureException("pid " + pid + " has POSIX timer " + id + " signalling thread "
                            + notify.thread() + ", which is not one of its threads now (it has exited): the"
                            + " timer could not be aimed at it again; no image was written");
                }
                target = own;
            }
            remote.call("timer_gettime " + id, SyscallNumbers.TIMER_GETTIME, id, scratch);
            ByteBuffer b = ByteBuffer.wrap(mem.read(scratch, 32)).order(ByteOrder.LITTLE_ENDIAN);
            posix.add(new ProcessTimers.PosixTimer(id, Integer.parseInt(t[3]), notify.how(), Integer.parseInt(sig[0]),
                    Long.parseUnsignedLong(sig[1], 16), b.getLong(16) * 1_000_000_000L + b.getLong(24),
                    b.getLong(0) * 1_000_000_000L + b.getLong(8), target));
        }
        return new ProcessTimers(itimers, posix);
    }

    /**
     * A "notify:" line: how and whom, e.g. {@code signal/pid.1234}, {@code none/pid.1234} or
     * {@code signal/tid.1240} for SIGEV_SIGNAL | SIGEV_THREAD_ID (the kernel prints the flag as
     * "tid", not as a kind of its own).
     *
     * @param thread the tid (as this agent sees it) a SIGEV_THREAD_ID timer signals, else 0
     */
    record Notify(int how, int thread) {
        static Notify parse(int pid, int timer, String line) {
            int slash = line.indexOf('/');
            int dot = line.indexOf('.', slash);
            String kind = slash < 0 ? line : line.substring(0, slash);
            String whom = slash < 0 || dot < 0 ? "pid" : line.substring(slash + 1, dot);
            int how = switch (kind) {
                case "signal" -> SIGEV_SIGNAL;
                case "none" -> SIGEV_NONE;
                case "thread" -> SIGEV_THREAD;
                default -> throw new CaptureException("pid " + pid + " has POSIX timer " + timer + " notifying by "
                        + line + ", which Cryostash cannot restore");
            };
            if (!whom.equals("tid")) {
                return new Notify(how, 0);
            }
            return new Notify(how | SIGEV_THREAD_ID, Integer.parseInt(line.substring(dot + 1)));
        }
    }

    /** /proc/PID/timers: blocks of "ID:", "signal: N/value", "notify: how/pid.N" or "how/tid.N", "ClockID:". */
    static List<String[]> parse(int pid) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/" + pid + "/timers"));
        } catch (NoSuchFileException e) {
            return List.of(); // a kernel without CONFIG_CHECKPOINT_RESTORE shows none
        } catch (IOException e) {
            throw new CaptureException("cannot read the timers of pid " + pid + ": " + e.getMessage(), e);
        }
        List<String[]> out = new ArrayList<>();
        String[] cur = null;
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "ID" -> {
                    cur = new String[] {value, "0/0", "none/0", "0"};
                    out.add(cur);
                }
                case "signal" -> cur[1] = value;
                case "notify" -> cur[2] = value;
                case "ClockID" -> cur[3] = value;
                default -> { }
            }
        }
        return out;
    }
}
