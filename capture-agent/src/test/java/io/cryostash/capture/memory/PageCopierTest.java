// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

class PageCopierTest {

    @Test
    void manySmallPiecesBeforeLargeOnesAreSplitByBytesNotByCount() {
        PageCopier c = new PageCopier();
        // 100 thread stacks of a page, then 4 pieces of 1 MiB: by count the first part would hold
        // 52 stacks and the second the other 48 and all 4 MiB
        for (int i = 0; i < 100; i++) {
            c.add(0x1000L * i, ByteBuffer.allocateDirect(4096), true);
        }
        for (int i = 0; i < 4; i++) {
            c.add(0x10000000L + (1L << 20) * i, ByteBuffer.allocateDirect(1 << 20), true);
        }
        assertArrayEquals(new int[] {0, 102, 104}, c.splitByBytes(2));
    }

    @Test
    void stacksDoNotTakeACoreOfTheirOwn() {
        PageCopier c = new PageCopier();
        for (int i = 0; i < 128; i++) { // two pages of stack per thread, then one large area
            c.add(0x1000L * i, ByteBuffer.allocateDirect(8192), true);
        }
        for (int i = 0; i < 64; i++) {
            c.add(0x10000000L + (1L << 16) * i, ByteBuffer.allocateDirect(1 << 16), true);
        }
        int[] b = c.splitByBytes(2);
        // by count the split would be at piece 96, leaving every large piece to the second part
        assertArrayEquals(new int[] {0, 128 + 24, 192}, b);
    }

    @Test
    void morePartsThanPiecesLeavesTheLastPartsEmpty() {
        PageCopier c = new PageCopier();
        c.add(0, ByteBuffer.allocateDirect(4096), true);
        assertArrayEquals(new int[] {0, 1, 1}, c.splitByBytes(2));
        assertArrayEquals(new int[] {0, 1}, c.splitByBytes(1));
    }
}
