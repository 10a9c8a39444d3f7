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
    static final int SIGEV_THREAD_ID = 4;

    private TimerCapture() {
    }

    public static ProcessTimers capture(int pid, RemoteSyscalls remote, ProcessMemory mem, long scratch) {
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
            String how = t[2].substring(0, t[2].indexOf('/'));
            int notify = switch (how) {
                case "signal" -> SIGEV_SIGNAL;
                case "none" -> SIGEV_NONE;
                case "thread" -> SIGEV_THREAD_ID;
                default -> throw new CaptureException("pid " + pid + " has POSIX timer " + id + " notifying by "
                        + t[2] + ", which Cryostash cannot restore");
            };
            remote.call("timer_gettime " + id, SyscallNumbers.TIMER_GETTIME, id, scratch);
            ByteBuffer b = ByteBuffer.wrap(mem.read(scratch, 32)).order(ByteOrder.LITTLE_ENDIAN);
            posix.add(new ProcessTimers.PosixTimer(id, Integer.parseInt(t[3]), notify, Integer.parseInt(sig[0]),
                    Long.parseUnsignedLong(sig[1], 16), b.getLong(16) * 1_000_000_000L + b.getLong(24),
                    b.getLong(0) * 1_000_000_000L + b.getLong(8)));
        }
        return new ProcessTimers(itimers, posix);
    }

    /** /proc/PID/timers: blocks of "ID:", "signal: N/value", "notify: how/pid.N", "ClockID:". */
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
