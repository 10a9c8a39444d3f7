// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.cryostash.agent.linux.ProcessMemory;

/**
 * The restorer's own pages inside the husk: a {@code syscall; int3} stub that every remote
 * system call runs from once the husk's own code is gone, and scratch space for arguments.
 * It sits at an address free in both the husk's and the image's layout, and is unmapped last.
 */
record RestorerPage(long address, ProcessMemory mem) {
    static final int SIZE = 4 * 4096;
    static final byte[] STUB = {0x0f, 0x05, (byte) 0xcc};

    long syscallInsn() {
        return address;
    }

    /** Start of the scratch area, after the stub's page. */
    long scratch() {
        return address + 4096;
    }


    long string(long offset, String s) {
        long a = scratch() + offset;
        mem.writeString(a, s);
        return a;
    }

    /** Lowest gap of {@code size} bytes (above mmap_min_addr) that none of {@code used} touches. */
    static long findGap(List<long[]> used, long size) {
        List<long[]> sorted = new ArrayList<>(used);
        sorted.sort(Comparator.comparingLong(r -> r[0]));
        long candidate = 0x100000;
        for (long[] r : sorted) {
            if (r[0] >= candidate + size) {
                return candidate;
            }
            candidate = Math.max(candidate, r[1] + 4096); // keep a page of distance: no merging with neighbours
        }
        if (candidate + size < 0x00007ffffffff000L) {
            return candidate;
        }
        throw new RestoreException("no free address range of " + size + " bytes for the restorer");
    }
}
