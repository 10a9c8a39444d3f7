// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.lang.management.ManagementFactory;

/** Bytes the current thread allocated while running a piece of code (HotSpot's per-thread counter). */
final class AllocationMeter {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private AllocationMeter() {
    }

    static long bytesAllocatedBy(Runnable work) {
        long id = Thread.currentThread().getId();
        long before = THREADS.getThreadAllocatedBytes(id);
        work.run();
        return THREADS.getThreadAllocatedBytes(id) - before;
    }
}
