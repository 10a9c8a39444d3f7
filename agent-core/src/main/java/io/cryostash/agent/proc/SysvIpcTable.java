// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * /proc/sysvipc/shm, sem and msg: every SysV object of the reader's IPC namespace, one line
 * each under a header naming the columns (read by name, so added columns do not shift them).
 * Keys are printed as signed decimals, permissions in octal (with SHM_DEST, 01000, set on a
 * segment removed while still attached), times in seconds since the epoch.
 */
public final class SysvIpcTable {
    /** Set in a segment's mode once IPC_RMID was asked while processes still had it attached. */
    public static final int SHM_DEST = 01000;

    /** A shared memory segment. */
    public record Segment(int key, int id, int mode, long size, int creatorPid, int lastPid, long attaches,
                          int uid, int gid, long attachTime, long detachTime, long changeTime) {
    }

    /** A semaphore set. */
    public record SemaphoreSet(int key, int id, int mode, int count, int uid, int gid, long operationTime,
                               long changeTime) {
    }

    /** A message queue. */
    public record Queue(int key, int id, int mode, long bytes, long messages, int lastSender, int lastReceiver,
                        int uid, int gid, long sendTime, long receiveTime, long changeTime) {
    }

    private SysvIpcTable() {
    }

    public static List<Segment> segments() {
        return rows("shm").stream().map(r -> new Segment(key(r), i(r, "shmid"), octal(r), l(r, "size"), i(r, "cpid"),
                i(r, "lpid"), l(r, "nattch"), i(r, "uid"), i(r, "gid"), l(r, "atime"), l(r, "dtime"), l(r, "ctime")))
                .toList();
    }

    public static List<SemaphoreSet> semaphoreSets() {
        return rows("sem").stream().map(r -> new SemaphoreSet(key(r), i(r, "semid"), octal(r), i(r, "nsems"),
                i(r, "uid"), i(r, "gid"), l(r, "otime"), l(r, "ctime"))).toList();
    }

    public static List<Queue> queues() {
        return rows("msg").stream().map(r -> new Queue(key(r), i(r, "msqid"), octal(r), l(r, "cbytes"), l(r, "qnum"),
                i(r, "lspid"), i(r, "lrpid"), i(r, "uid"), i(r, "gid"), l(r, "stime"), l(r, "rtime"), l(r, "ctime")))
                .toList();
    }

    /** The lines of /proc/sysvipc/{name} as column name to value; none when SysV IPC is not built in. */
    static List<Map<String, String>> rows(String name) {
        Path p = Path.of("/proc/sysvipc/" + name);
        List<String> lines;
        try {
            lines = Files.readAllLines(p);
        } catch (NoSuchFileException absent) { // a kernel without CONFIG_SYSVIPC has no objects to save
            return List.of();
        } catch (IOException e) {
            throw new ProcReadException("cannot read " + p + ": " + e.getMessage(), e);
        }
        return parse(lines);
    }

    static List<Map<String, String>> parse(List<String> lines) {
        List<Map<String, String>> out = new ArrayList<>();
        if (lines.isEmpty()) {
            return out;
        }
        String[] header = lines.get(0).trim().split("\\s+");
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            if (f.length < header.length) {
                continue;
            }
            Map<String, String> row = new HashMap<>();
            for (int c = 0; c < header.length; c++) {
                row.put(header[c], f[c]);
            }
            out.add(row);
        }
        return out;
    }

    private static int key(Map<String, String> r) {
        return (int) Long.parseLong(r.get("key"));
    }

    private static int octal(Map<String, String> r) {
        return Integer.parseInt(r.get("perms"), 8);
    }

    private static int i(Map<String, String> r, String column) {
        return (int) Long.parseLong(r.get(column));
    }

    private static long l(Map<String, String> r, String column) {
        return Long.parseLong(r.get(column));
    }
}
