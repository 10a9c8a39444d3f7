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

    private final List<ByteBuffer> slabs = new ArrayList<>();
    private int current = -1;

    public PageBuffers(long expectedBytes) {
        long remaining = Math.max(expectedBytes, 0);
        while (remaining > 0) {
            int size = (int) Math.min(SLAB, remaining);
            slabs.add(ByteBuffer.allocateDirect(size));
            remaining -= size;
        }
        current = slabs.isEmpty() ? -1 : 0;
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
        current = slabs.isEmpty() ? -1 : 0;
        long missing = expectedBytes - capacity();
        while (missing > 0) {
            int size = (int) Math.min(SLAB, missing);
            slabs.add(ByteBuffer.allocateDirect(size));
            missing -= size;
        }
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
        ByteBuffer s = ByteBuffer.allocateDirect(Math.max(SLAB, length));
        slabs.add(s);
        current = slabs.size() - 1;
        return slice(s, length);
    }

    private static ByteBuffer slice(ByteBuffer slab, int length) {
        ByteBuffer b = slab.slice(slab.position(), length);
        slab.position(slab.position() + length);
        return b;
    }
}
