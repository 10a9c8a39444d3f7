// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

/**
 * One look at the soak, every ~30 s: the agent's memory, the job's images in the catalog, the bytes
 * the S3 server holds on disk, the catalog's GC runs so far and the snapshot requests so far by state.
 */
record SoakSample(double minutes, AgentMemory agent, long completeImages, long expiredImages, long storeBytes, int gcRuns,
                  int gcFailed, long gcBytesFreed, int gcManifestsDeleted, int snapshotsCompleted, int snapshotsFailed,
                  int snapshotsOther, String loadAverage) {

    static String header() {
        return String.format("%6s %9s %9s %9s %8s %4s %4s %5s %9s %4s %10s %5s %5s %5s  %s", "min", "heap MiB", "committed", "RSS MiB",
                "meta MiB", "thr", "fds", "imgs", "store MiB", "gc", "freed MiB", "snaps", "fail", "other", "load");
    }

    String line() {
        return String.format("%6.1f %9.1f %9.1f %9.1f %8.1f %4d %4d %2d/%-2d %9.1f %4d %10.1f %5d %5d %5d  %s", minutes,
                mib(agent.heapUsedBytes()), mib(agent.heapCommittedBytes()), mib(agent.rssBytes()), mib(agent.metaspaceBytes()),
                agent.threads(), agent.fds(), completeImages, expiredImages, mib(storeBytes), gcRuns, mib(gcBytesFreed),
                snapshotsCompleted, snapshotsFailed, snapshotsOther, loadAverage);
    }

    static double mib(long bytes) {
        return bytes / 1048576.0;
    }
}
