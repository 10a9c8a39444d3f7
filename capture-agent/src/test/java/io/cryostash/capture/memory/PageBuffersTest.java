// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.cryostash.agent.proc.MapsEntry;

/**
 * The copy buffers are made before the freeze so that the freeze only copies: a process's
 * pages, queued as runs the way a capture queues them, must fit the buffers sized from its
 * anonymous memory, whatever order its small and large areas come in.
 */
class PageBuffersTest {
    private static final int PAGE = 4096;

    @Test
    void aProcessOfOneLargeAreaAndSomeSmallOnesFitsWithoutASpillDuringTheFreeze() {
        // memfill's 64 MiB: the estimate is its anonymous memory, the copy also takes the small
        // areas below it (heap, data, stack), 26 pages more than a slab
        long expected = (64L << 20) + 26 * PAGE;
        PageBuffers buffers = new PageBuffers(expected);
        long made = buffers.capacity();
        PageCopier copier = new PageCopier();
        MemoryCapture.queue(area(0x1000_0000L, 3), all(3), buffers, copier);
        MemoryCapture.queue(area(0x2000_0000L, 7), all(7), buffers, copier);
        MemoryCapture.queue(area(0x7f00_0000_0000L, 64 * 256), all(64 * 256), buffers, copier);
        MemoryCapture.queue(area(0x7ffd_0000_0000L, 16), all(16), buffers, copier);
        assertThat(copier.bytes()).isEqualTo(expected);
        assertThat(buffers.capacity()).as("no buffer made while frozen").isEqualTo(made);
        // kept for the next capture, the same again fits too
        buffers.reuse(expected);
        MemoryCapture.queue(area(0x1000_0000L, 10), all(10), buffers, new PageCopier());
        MemoryCapture.queue(area(0x7f00_0000_0000L, 64 * 256 + 16), all(64 * 256 + 16), buffers, new PageCopier());
        assertThat(buffers.capacity()).isEqualTo(made);
    }

    @Test
    void runsEndAtWholeMebibytesOfTheirArea() {
        PageBuffers buffers = new PageBuffers(8L << 20);
        BitSet pages = new BitSet();
        pages.set(5, 700); // starts inside the first MiB, crosses two boundaries
        pages.set(900, 901);
        List<CapturedArea.Run> runs = MemoryCapture.queue(area(0x4000_0000L, 1024), pages, buffers, new PageCopier());
        assertThat(runs).extracting(CapturedArea.Run::firstPage).containsExactly(5L, 256L, 512L, 900L);
        assertThat(runs).extracting(CapturedArea.Run::count).containsExactly(251, 256, 188, 1);
        assertThat(runs).allSatisfy(r -> assertThat(r.data().capacity()).isEqualTo(r.count() * PAGE));
    }

    private static MapsEntry area(long start, int pages) {
        return new MapsEntry(start, start + (long) pages * PAGE, "rw-p", 0, 0, 0, 0, null);
    }

    private static BitSet all(int pages) {
        BitSet b = new BitSet();
        b.set(0, pages);
        return b;
    }
}
