// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    public static List<FdInfo> read(int pid) {
        List<FdInfo> out = new ArrayList<>();
        Path dir = ProcPath.of(pid, "fd");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                int fd = Integer.parseInt(p.getFileName().toString());
                FdInfo info = readOne(pid, fd, p);
                if (info != null) {
                    out.add(info);
                }
            }
        } catch (NoSuchFileException e) {
            throw new NoSuchProcessException(pid);
        } catch (IOException e) {
            throw new ProcReadException(pid, "fd", e);
        }
        out.sort((a, b) -> Integer.compare(a.fd(), b.fd()));
        return out;
    }

    /** One descriptor's entry, or null when it is not open (any more). */
    public static FdInfo read(int pid, int fd) {
        try {
            return readOne(pid, fd, ProcPath.of(pid, "fd", Integer.toString(fd)));
        } catch (IOException e) {
            throw new ProcReadException(pid, "fdinfo/" + fd, e);
        }
    }

    private static FdInfo readOne(int pid, int fd, Path link) throws IOException {
        String target;
        String info;
        try {
            target = Files.readSymbolicLink(link).toString();
            info = Files.readString(ProcPath.of(pid, "fdinfo", Integer.toString(fd)));
        } catch (NoSuchFileException closedMeanwhile) {
            return null;
        }
        long pos = 0;
        int flags = 0;
        long ino = 0;
        List<String> extra = new ArrayList<>();
        for (String line : info.split("\n")) {
            if (line.startsWith("pos:")) {
                pos = Long.parseLong(line.substring(4).trim());
            } else if (line.startsWith("flags:")) {
                flags = Integer.parseInt(line.substring(6).trim(), 8);
            } else if (line.startsWith("ino:")) {
                ino = Long.parseLong(line.substring(4).trim());
            } else if (!line.startsWith("mnt_id:") && !line.isEmpty()) {
                extra.add(line);
            }
        }
        return new FdInfo(fd, target, pos, flags, ino, extra);
    }
}
