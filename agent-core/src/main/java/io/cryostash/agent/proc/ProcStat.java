// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

/**
 * The fields of /proc/PID/stat that capture needs. Field numbers follow proc(5), counted from 1;
 * the comm field may contain spaces and parentheses, so parsing starts after the last ')'.
 */
public record ProcStat(int pid, String comm, char state, int ppid, int pgrp, int session, long flags,
                       int numThreads, long startTime, long startCode, long endCode, long startStack, long startData,
                       long endData, long startBrk, long argStart, long argEnd, long envStart, long envEnd) {

    /** PF_KTHREAD in the flags field. */
    public static final long PF_KTHREAD = 0x00200000;

    public static ProcStat read(int pid) {
        return parse(ProcPath.readString(pid, "stat"));
    }

    public static ProcStat parse(String text) {
        int open = text.indexOf('(');
        int close = text.lastIndexOf(')');
        int pid = Integer.parseInt(text.substring(0, open).trim());
        String comm = text.substring(open + 1, close);
        String[] f = text.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state)
        return new ProcStat(pid, comm, f[0].charAt(0), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                Integer.parseInt(f[3]), Long.parseUnsignedLong(f[6]), Integer.parseInt(f[17]), field(f, 22),
                field(f, 26), field(f, 27), field(f, 28), field(f, 45), field(f, 46), field(f, 47),
                field(f, 48), field(f, 49), field(f, 50), field(f, 51));
    }

    private static long field(String[] f, int number) {
        int idx = number - 3;
        return idx < f.length ? Long.parseUnsignedLong(f[idx]) : 0;
    }

    public boolean isKernelThread() {
        return (flags & PF_KTHREAD) != 0;
    }
}
