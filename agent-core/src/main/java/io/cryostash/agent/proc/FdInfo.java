// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.agent.linux.FdDirectory;
import io.cryostash.agent.linux.FdException;

/**
 * /proc/PID/fd links and /proc/PID/fdinfo: position, flags, inode and the lines each kind of
 * file adds (an eventfd's counter, a timerfd's clock and timer, an epoll set's targets, an
 * inotify instance's watches, the locks held on a file).
 */
public record FdInfo(int fd, String target, long pos, int flags, long ino, List<String> extra) {

    public FdInfo {
        extra = List.copyOf(extra);
    }

    public FdInfo(int fd, String target, long pos, int flags) {
        this(fd, target, pos, flags, 0, List.of());
    }

    /** The value after {@code key} on the first extra line starting with it, trimmed; null when absent. */
    public String value(String key) {
        for (String line : extra) {
            if (line.startsWith(key)) {
                return line.substring(key.length()).trim();
            }
        }
        return null;
    }

    /** Extra lines starting with {@code prefix}. */
    public List<String> lines(String prefix) {
        return extra.stream().filter(l -> l.startsWith(prefix)).toList();
    }

    /**
     * Every descriptor of the process, in number order: one pass over /proc/PID/fd and fdinfo
     * with raw reads into reused buffers ({@link FdDirectory}).
     */
    public static List<FdInfo> read(int pid) {
        FdDirectory dir;
        try {
            dir = new FdDirectory(pid);
        } catch (FdException e) {
            throw gone(pid, "fd", e);
        }
        try (dir) {
            int[] fds = dir.numbers();
            List<FdInfo> out = new ArrayList<>(fds.length);
            FdDirectory.Visitor v = (fd, target, info, length) -> out.add(parse(fd, target, info, length));
            for (int fd : fds) {
                dir.read(fd, v);
            }
            return out;
        } catch (FdException e) {
            throw gone(pid, "fd", e);
        }
    }

    /** One descriptor's entry, or null when it is not open (any more). */
    public static FdInfo read(int pid, int fd) {
        FdInfo[] one = new FdInfo[1];
        try (FdDirectory dir = new FdDirectory(pid)) {
            dir.read(fd, (n, target, info, length) -> one[0] = parse(n, target, info, length));
        } catch (FdException e) {
            throw new ProcReadException(pid, "fdinfo/" + fd, new IOException(e.getMessage(), e));
        }
        return one[0];
    }

    private static RuntimeException gone(int pid, String file, FdException e) {
        if (e.errno() == 2 && !Files.exists(Path.of("/proc/" + pid))) {
            return new NoSuchProcessException(pid);
        }
        return new ProcReadException(pid, file, new IOException(e.getMessage(), e));
    }

    /**
     * fdinfo text: "pos:", "flags:" (octal), "mnt_id:", "ino:" and the lines each kind adds;
     * parsed in place, a String made only for those added lines.
     */
    static FdInfo parse(int fd, String target, byte[] b, int length) {
        long pos = 0;
        int flags = 0;
        long ino = 0;
        List<String> extra = List.of();
        int i = 0;
        while (i < length) {
            int end = i;
            while (end < length && b[end] != '\n') {
                end++;
            }
            if (end > i) {
                if (startsWith(b, i, end, "pos:")) {
                    pos = number(b, i + 4, end, 10);
                } else if (startsWith(b, i, end, "flags:")) {
                    flags = (int) number(b, i + 6, end, 8);
                } else if (startsWith(b, i, end, "ino:")) {
                    ino = number(b, i + 4, end, 10);
                } else if (!startsWith(b, i, end, "mnt_id:")) {
                    if (extra.isEmpty()) {
                        extra = new ArrayList<>();
                    }
                    extra.add(new String(b, i, end - i, StandardCharsets.UTF_8));
                }
            }
            i = end + 1;
        }
        return new FdInfo(fd, target, pos, flags, ino, extra);
    }

    private static boolean startsWith(byte[] b, int from, int end, String prefix) {
        if (end - from < prefix.length()) {
            return false;
        }
        for (int k = 0; k < prefix.length(); k++) {
            if (b[from + k] != prefix.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private static long number(byte[] b, int from, int end, int radix) {
        long v = 0;
        boolean negative = false;
        for (int k = from; k < end; k++) {
            byte c = b[k];
            if (c == '-') {
                negative = true;
            } else if (c >= '0' && c < '0' + radix) {
                v = v * radix + (c - '0');
            } else if (c != ' ' && c != '\t') {
                break;
            }
        }
        return negative ? -v : v;
    }
}
