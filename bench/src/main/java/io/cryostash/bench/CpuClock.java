// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.lang.management.ManagementFactory;

/** Wall and process CPU time of a stretch of work: CPU / wall / cores is how busy the machine's cores were for it. */
record CpuClock(long wallNanos, long cpuNanos) {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    static final int CORES = Runtime.getRuntime().availableProcessors();

    static CpuClock now() {
        return new CpuClock(System.nanoTime(), OS.getProcessCpuTime());
    }

    CpuClock since(CpuClock start) {
        return new CpuClock(wallNanos - start.wallNanos, cpuNanos - start.cpuNanos);
    }

    /** Share of all cores used, 0..1. */
    double utilisation() {
        return cpuNanos / (double) wallNanos / CORES;
    }

    double mbPerSecond(long bytes) {
        return bytes / 1e6 / (wallNanos / 1e9);
    }
}
