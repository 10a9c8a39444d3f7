// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.util.ArrayList;
import java.util.List;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * The PAGEMAP_SCAN ioctl on /proc/PID/pagemap (Linux 6.7+): which pages of a range were
 * written since they were last write-protected through userfaultfd (async mode), optionally
 * write-protecting them again in the same walk, so nothing written in between is lost.
 */
public final class PagemapScan implements AutoCloseable {
    static final long PAGEMAP_SCAN = 0xC0606610L;
    static final long PM_SCAN_WP_MATCHING = 1;
    /** Fail with EPERM instead of skipping areas that are not registered for async write-protect. */
    static final long PM_SCAN_CHECK_WPASYNC = 2;
    public static final long PAGE_IS_WPALLOWED = 1;
    public static final long PAGE_IS_WRITTEN = 1 << 1;
    public static final long PAGE_IS_FILE = 1 << 2;
    public static final long PAGE_IS_PRESENT = 1 << 3;
    /** Also set for userfaultfd write-protect markers on empty page table entries: not data. */
    public static final long PAGE_IS_SWAPPED = 1 << 4;
    private static final int EPERM = 1;
    private static final int ARG_SIZE = 96;
    private static final int REGION_SIZE = 24;
    private static final int MAX_REGIONS = 4096;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;

    private final int pid;
    private final int fd;
    private final Memory arg = new Memory(ARG_SIZE);
    private final Memory regions = new Memory((long) REGION_SIZE * MAX_REGIONS);

    public PagemapScan(int pid) {
        this.pid = pid;
        try {
            this.fd = LibC.INSTANCE.open("/proc/" + pid + "/pagemap", O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new TraceeException(pid, "open /proc/" + pid + "/pagemap", e.getErrorCode());
        }
    }

    /**
     * Page ranges [start, end) of {@code [start, end)} having every category in {@code categories}.
     *
     * @param protect write-protect the matching pages again (PM_SCAN_WP_MATCHING)
     */
    public List<long[]> scan(long start, long end, long categories, boolean protect) {
        List<long[]> out = new ArrayList<>();
        for (PageRegion r : regions(start, end, protect ? PM_SCAN_WP_MATCHING : 0, categories, 0, categories)) {
            out.add(new long[] {r.start(), r.end()});
        }
        return out;
    }

    /**
     * Reports the written pages of a tracked area and write-protects them again in the same walk,
     * so a write landing between asking and protecting cannot be lost.
     *
     * @return the written ranges, or null when the area is not (wholly) registered for async
     *         write-protect with a userfaultfd
     */
    public List<PageRegion> takeWritten(long start, long end) {
        try {
            return regions(start, end, PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC, PAGE_IS_WRITTEN, 0,
                    PAGE_IS_WRITTEN);
        } catch (TraceeException e) {
            if (e.errno() == EPERM) {
                return null;
            }
            throw e;
        }
    }

    /**
     * Pages holding data or swapped out, with their present/swapped/written (and, with
     * {@code fileInterest}, file-page) categories. One walk over page tables, not a pagemap entry
     * per page: empty stretches cost nothing to report.
     */
    public List<PageRegion> resident(long start, long end, boolean fileInterest) {
        long returned = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_WRITTEN | (fileInterest ? PAGE_IS_FILE : 0);
        return regions(start, end, 0, 0, PAGE_IS_PRESENT | PAGE_IS_SWAPPED, returned);
    }

    private List<PageRegion> regions(long start, long end, long flags, long allOf, long anyOf, long returned) {
        List<PageRegion> out = new ArrayList<>();
        long from = start;
        while (from < end) {
            arg.clear();
            arg.setLong(0, ARG_SIZE);
            arg.setLong(8, flags);
            arg.setLong(16, from);
            arg.setLong(24, end);
            arg.setLong(40, Pointer.nativeValue(regions));
            arg.setLong(48, MAX_REGIONS);
            arg.setLong(72, allOf); // category_mask
            arg.setLong(80, anyOf); // category_anyof_mask
            arg.setLong(88, returned); // return_mask
            int n;
            try {
                n = LibC.INSTANCE.ioctl(fd, PAGEMAP_SCAN, arg);
            } catch (LastErrorException e) {
                throw new TraceeException(pid, "PAGEMAP_SCAN", e.getErrorCode());
            }
            for (int i = 0; i < n; i++) {
                long at = (long) i * REGION_SIZE;
                out.add(new PageRegion(regions.getLong(at), regions.getLong(at + 8), regions.getLong(at + 16)));
            }
            long walkEnd = arg.getLong(32);
            if (walkEnd <= from || walkEnd >= end) {
                break;
            }
            from = walkEnd;
        }
        return out;
    }

    /** Whether the kernel has PAGEMAP_SCAN (asks about this JVM's own, empty range). */
    public static boolean supported() {
        try (PagemapScan s = new PagemapScan((int) ProcessHandle.current().pid())) {
            s.scan(0x10000, 0x10000 + 4096, PAGE_IS_WRITTEN, false);
            return true;
        } catch (TraceeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            LibC.INSTANCE.close(fd);
        } catch (LastErrorException ignored) {
            // nothing to lose on a read-only descriptor
        }
        arg.close();
        regions.close();
    }
}
