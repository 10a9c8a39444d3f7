// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.tracking;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.cryostash.agent.linux.PagemapScan;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Userfaultfd;
import io.cryostash.agent.remote.RemoteSyscalls;

/**
 * Tracks which pages a process writes between two captures, without soft-dirty bits: a
 * userfaultfd in async write-protect mode is created inside the process (remote system calls)
 * and kept there, at a high descriptor number, so that it outlives this agent; each capture then
 * asks PAGEMAP_SCAN which registered pages were written and write-protects them again.
 * Must be used on the tracer thread with the process frozen.
 */
public final class WriteTracker {
    public static final String NAME = "uffd-wp";
    private static final String LINK = "anon_inode:[userfaultfd]";
    private static final int F_DUPFD_CLOEXEC = 1030;

    private final RemoteSyscalls remote;
    private final ProcessMemory mem;
    private final long scratch;
    private final int fd;

    private WriteTracker(RemoteSyscalls remote, ProcessMemory mem, long scratch, int fd) {
        this.remote = remote;
        this.mem = mem;
        this.scratch = scratch;
        this.fd = fd;
    }

    /** The tracker a previous capture left in the process, or null. */
    public static WriteTracker find(RemoteSyscalls remote, ProcessMemory mem, long scratch) {
        int fd = descriptor(remote.pid());
        return fd < 0 ? null : new WriteTracker(remote, mem, scratch, fd);
    }

    /** Creates the userfaultfd inside the process, above the descriptors the program uses. */
    public static WriteTracker start(RemoteSyscalls remote, ProcessMemory mem, long scratch, long nofileSoftLimit) {
        long fd = remote.call("userfaultfd", Userfaultfd.SYS_USERFAULTFD, Userfaultfd.O_CLOEXEC | Userfaultfd.O_NONBLOCK);
        ByteBuffer api = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        api.putLong(Userfaultfd.UFFD_API).putLong(Userfaultfd.FEATURE_WP_ASYNC | Userfaultfd.FEATURE_WP_UNPOPULATED)
                .putLong(0);
        mem.write(scratch, api.array());
        long r = remote.raw(SyscallNumbers.IOCTL, fd, Userfaultfd.UFFDIO_API, scratch);
        if (r < 0) {
            remote.raw(SyscallNumbers.CLOSE, fd);
            throw new IllegalStateException("UFFDIO_API with async write-protect failed (errno " + -r + ")");
        }
        long min = Math.max(3, Math.min(nofileSoftLimit, 1 << 20) - 64);
        long high = remote.raw(SyscallNumbers.FCNTL, fd, F_DUPFD_CLOEXEC, min);
        if (high >= 0) {
            remote.raw(SyscallNumbers.CLOSE, fd);
            fd = high;
        }
        return new WriteTracker(remote, mem, scratch, (int) fd);
    }

    /**
     * Our userfaultfd among descriptors already read ({@code targets}: link targets by number),
     * or -1: the highest userfaultfd, as {@link #descriptor(int)} finds it without a scan of its own.
     */
    public static int descriptor(java.util.Map<Integer, String> targets) {
        int found = -1;
        for (java.util.Map.Entry<Integer, String> e : targets.entrySet()) {
            if (LINK.equals(e.getValue())) {
                found = Math.max(found, e.getKey());
            }
        }
        return found;
    }

    /** Our userfaultfd in the process's descriptor table, or -1. */
    public static int descriptor(int pid) {
        int found = -1;
        try (var ds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : ds) {
                try {
                    if (LINK.equals(Files.readSymbolicLink(p).toString())) {
                        found = Math.max(found, Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (IOException closedMeanwhile) {
                    // not ours to worry about
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return found;
    }

    public int fd() {
        return fd;
    }

    /** Registers an area for write-protect tracking; false when the kernel refuses this kind of area. */
    public boolean register(long start, long length) {
        ByteBuffer reg = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        reg.putLong(start).putLong(length).putLong(Userfaultfd.REGISTER_MODE_WP).putLong(0);
        mem.write(scratch, reg.array());
        return remote.raw(SyscallNumbers.IOCTL, fd, Userfaultfd.UFFDIO_REGISTER, scratch) == 0;
    }

    /** Whether every page of the area is registered (areas created since the last capture are not). */
    public static boolean covers(PagemapScan scan, long start, long end) {
        List<long[]> r = scan.scan(start, end, PagemapScan.PAGE_IS_WPALLOWED, false);
        return r.size() == 1 && r.get(0)[0] == start && r.get(0)[1] == end;
    }

    /** Ranges written since the last protection; with {@code protect}, protects them again. */
    public static List<long[]> written(PagemapScan scan, long start, long end, boolean protect) {
        return scan.scan(start, end, PagemapScan.PAGE_IS_WRITTEN, protect);
    }
}
