// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.List;

import io.cryostash.store.memory.AreaChunker;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.store.AreaChunks;

/**
 * An area as the freeze left it: its description (without stored content yet) and the runs of
 * pages copied out of the process, which the store cuts into chunks after the process runs again.
 * An incremental capture also knows the area's content in the parent image, every page present
 * now, and the pages that changed ({@code reread}: written, or in a chunk whose present pages
 * changed); unchanged chunks are the parent's.
 */
public record CapturedArea(MemoryArea area, List<Run> runs, AreaChunks parent, BitSet present, BitSet reread) {

    public CapturedArea(MemoryArea area, List<Run> runs) {
        this(area, runs, null, pagesOf(runs), null);
    }

    /** {@code count} pages from page {@code firstPage} of the area, copied into {@code data}. */
    public record Run(long firstPage, int count, ByteBuffer data) {
    }

    private static BitSet pagesOf(List<Run> runs) {
        BitSet bits = new BitSet();
        for (Run r : runs) {
            bits.set((int) r.firstPage(), (int) (r.firstPage() + r.count()));
        }
        return bits;
    }

    public AreaChunker.PagePresence presence() {
        return AreaChunker.PagePresence.of(present);
    }

    /**
     * Reads captured bytes as if from the process; reads may span consecutive runs. Ranges that
     * lie in one run are also offered as views of the copy (the chunker hands those to the store
     * without copying them again).
     */
    public AreaChunker.MemoryReader reader() {
        return new AreaChunker.MemoryReader() {
            @Override
            public void read(long address, ByteBuffer dst) throws IOException {
                readInto(address, dst);
            }

            @Override
            public ByteBuffer view(long address, int length) {
                long page = (address - area.start()) >> 12;
                Run r = find(page);
                if (r == null) {
                    return null;
                }
                int off = (int) (address - area.start() - (r.firstPage() << 12));
                if (off < 0 || off + length > r.data().capacity()) {
                    return null;
                }
                return r.data().slice(off, length);
            }
        };
    }

    private void readInto(long address, ByteBuffer dst) throws IOException {
        long at = address;
        while (dst.hasRemaining()) {
            long page = (at - area.start()) >> 12;
            Run r = find(page);
            if (r == null) {
                throw new IOException("page 0x" + Long.toHexString(at) + " was not captured");
            }
            int off = (int) (at - area.start() - (r.firstPage() << 12));
            int n = Math.min(dst.remaining(), r.data().capacity() - off);
            dst.put(dst.position(), r.data(), off, n);
            dst.position(dst.position() + n);
            at += n;
        }
    }

    private Run find(long page) {
        int lo = 0;
        int hi = runs.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Run r = runs.get(mid);
            if (page < r.firstPage()) {
                hi = mid - 1;
            } else if (page >= r.firstPage() + r.count()) {
                lo = mid + 1;
            } else {
                return r;
            }
        }
        return null;
    }

    public long bytes() {
        return runs.stream().mapToLong(r -> (long) r.count() << 12).sum();
    }
}
