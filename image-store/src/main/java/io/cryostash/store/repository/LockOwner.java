// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Who holds a store lock, written into the lock object: enough for another process to prove
 * that the holder is dead. A process is known by its host, the machine id, the boot id and pid
 * namespace of the kernel it ran on, its pid and its start time (clock ticks after boot, field
 * 22 of /proc/PID/stat), which together never name two processes. A reader on the same kernel
 * and pid namespace can then tell a dead holder at once: no such pid, or a pid reused by a
 * process started at another time. A reader elsewhere cannot, and waits for the lock to go
 * stale ({@link StoreLock#STALE}).
 *
 *
 * <p>Written into the lock object by {@link LockContent}.
 */
record LockOwner(String host, String machine, String boot, String pidNamespace, long pid, long startTicks,
                 Instant since) {
    /** This process. */
    static LockOwner current(String host) {
        long pid = ProcessHandle.current().pid();
        return new LockOwner(host, machineId(), read("/proc/sys/kernel/random/boot_id"), pidNamespace("self"), pid,
                startTicks("self"), Instant.now());
    }

    /**
     * True only when this process can prove the owner is gone: it ran under this kernel boot and
     * pid namespace and its pid is free or belongs to a process started at another time, or it
     * ran on this machine (same machine id and host name: a cloned machine may share the id)
     * before its last reboot. {@code readerHost}: the host name this process writes in its own locks.
     */
    boolean provablyDead(String readerHost) {
        LockOwner me = current(readerHost);
        if (!boot.isEmpty() && boot.equals(me.boot) && !pidNamespace.isEmpty() && pidNamespace.equals(me.pidNamespace)) {
            long now = startTicks(Long.toString(pid));
            return now < 0 || now != startTicks;
        }
        return !machine.isEmpty() && machine.equals(me.machine) && host.equals(me.host) && !boot.isEmpty()
                && !me.boot.isEmpty() && !boot.equals(me.boot);
    }

    private static String machineId() {
        for (String p : new String[] {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
            String id = read(p);
            if (!id.isEmpty()) {
                return id;
            }
        }
        return "";
    }

    private static String pidNamespace(String pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", pid, "ns", "pid")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    /** Start time of a process in clock ticks after boot, or -1 when there is no such process. */
    static long startTicks(String pid) {
        String stat = read("/proc/" + pid + "/stat");
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return -1;
        }
        String[] f = stat.substring(close + 2).split(" ");
        try {
            return Long.parseLong(f[19]); // field 22 overall; f[0] is field 3 (state)
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
