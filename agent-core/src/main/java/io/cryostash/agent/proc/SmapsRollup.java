// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

/** /proc/PID/smaps_rollup totals, used to size capture buffers before the freeze. */
public record SmapsRollup(long anonymousBytes, long swapBytes, long rssBytes) {

    public static SmapsRollup read(int pid) {
        return parse(ProcPath.readString(pid, "smaps_rollup"));
    }

    public static SmapsRollup parse(String text) {
        long anon = 0;
        long swap = 0;
        long rss = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("Anonymous:")) {
                anon = kib(line);
            } else if (line.startsWith("Swap:")) {
                swap = kib(line);
            } else if (line.startsWith("Rss:")) {
                rss = kib(line);
            }
        }
        return new SmapsRollup(anon, swap, rss);
    }

    /** Pages only the process has: what an image stores, give or take shared anonymous memory. */
    public long privateBytes() {
        return anonymousBytes + swapBytes;
    }

    private static long kib(String line) {
        String[] f = line.split("\\s+");
        return Long.parseLong(f[1]) * 1024;
    }
}
