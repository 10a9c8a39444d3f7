// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory to copy a frozen process's pages into. Allocated (and so faulted in) before the
 * freeze, sized from the process's anonymous memory, so the freeze window is spent copying
 * pages rather than asking the kernel for fresh ones.
 */
public final class PageBuffers {
    static final int SLAB = 64 << 20;
    /**
     * The longest run of pages one buffer holds (MemoryCapture splits longer ones): a run does
     * not fit the end of a slab, so each slab may end with up to this much unused.
     */
    static final int MAX_RUN = 1 << 20;
    /** A buffer made during the freeze, when the estimate fell short: as small as will do (it is faulted in while frozen). */
    private static final int SPILL = 8 << 20;

    private final List<ByteBuffer> slabs = new ArrayList<>();
    private int current = -1;

    public PageBuffers(long expectedBytes) {
        grow(expectedBytes);
        current = slabs.isEmpty() ? -1 : 0;
    }

    /**
     * Adds slabs until they hold {@code expectedBytes} of runs: the bytes themselves, what runs
     * may leave unused at each slab's end, and 2 MiB of slack, since the estimate
     * (smaps_rollup's anonymous memory) misses the few private pages of file mappings a process
     * wrote. When runs could be a whole slab long and there was no slack, a 64 MiB process
     * spilled into a new 64 MiB buffer in the middle of its freeze: 100 ms of zeroing fresh
     * memory, two thirds of its memory copy.
     */
    private void grow(long expectedBytes) {
        if (expectedBytes <= 0) {
            return;
        }
        long needed = expectedBytes + 2L * MAX_RUN;
        List<Integer> sizes = new ArrayList<>();
        long capacity = capacity();
        int count = slabs.size();
        while (capacity - (long) count * MAX_RUN < needed) {
            int size = (int) Math.min(SLAB, needed - capacity + (long) (count + 1) * MAX_RUN);
            sizes.add(size);
            capacity += size;
            count++;
        }
        // zeroing fresh memory is most of making a buffer (0.38 s for 1 GiB on this project's VMs,
        // one core): on every core at once
        slabs.addAll(sizes.size() > 1 ? sizes.parallelStream().map(PageBuffers::aligned).toList()
                : sizes.stream().map(PageBuffers::aligned).toList());
    }

    /** Total bytes of all slabs. */
    public long capacity() {
        return slabs.stream().mapToLong(ByteBuffer::capacity).sum();
    }

    /**
     * Makes every slab free again for another capture, keeping the memory: on some hosts (VMs
     * handing idle memory back to the hypervisor) the first copy into fresh pages costs ten
     * times more than into pages used before, and the freeze pays for it.
     */
    public PageBuffers reuse(long expectedBytes) {
        for (ByteBuffer s : slabs) {
            s.clear();
        }
        grow(expectedBytes);
        current = slabs.isEmpty() ? -1 : 0;
        return this;
    }

    /** A fresh buffer of exactly {@code length} bytes (at most one slab). */
    public ByteBuffer take(int length) {
        if (current >= 0) {
            for (; current < slabs.size(); current++) {
                ByteBuffer s = slabs.get(current);
                if (s.remaining() >= length) {
                    return slice(s, length);
                }
            }
        }
        ByteBuffer s = aligned(Math.max(SPILL, length));
        slabs.add(s);
        current = slabs.size() - 1;
        return slice(s, length);
    }

    /**
     * Direct memory starting on a page boundary: runs are whole pages, so every run starts on one
     * too, and the spool hands them to the disk with O_DIRECT (see {@code SpoolPagesFile}).
     */
    private static ByteBuffer aligned(int size) {
        int whole = (size + PAGE - 1) & -PAGE;
        return ByteBuffer.allocateDirect(whole + PAGE).alignedSlice(PAGE).limit(whole).slice();
    }

    private static final int PAGE = 4096;

    private static ByteBuffer slice(ByteBuffer slab, int length) {
        ByteBuffer b = slab.slice(slab.position(), length);
        slab.position(slab.position() + length);
        return b;
    }
}
