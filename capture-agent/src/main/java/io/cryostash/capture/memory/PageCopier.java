// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.ProcessVm;

/**
 * Pieces of another process's memory to copy, gathered first and then read together: readable
 * pieces through process_vm_readv, many per system call (dirty pages are scattered, and one call
 * plus one JNA structure per page is what made freezes slow), spread over the cores; what
 * process_vm_readv cannot reach (PROT_NONE pages) through /proc/PID/mem.
 */
final class PageCopier {
    private final List<Long> addresses = new ArrayList<>();
    private final List<ByteBuffer> buffers = new ArrayList<>();
    private final List<Long> unreadableAt = new ArrayList<>();
    private final List<ByteBuffer> unreadable = new ArrayList<>();
    private long bytes;
    private static final long PARALLEL_FROM = 4 << 20;

    /** @param readable whether the process itself may read the piece (its mapping has 'r') */
    void add(long address, ByteBuffer into, boolean readable) {
        (readable ? addresses : unreadableAt).add(address);
        (readable ? buffers : unreadable).add(into);
        bytes += into.remaining();
    }

    long bytes() {
        return bytes;
    }

    void copy(int pid, ProcessMemory mem) {
        int n = addresses.size();
        // one part per core once there is enough to copy (a few MiB): below that, waking threads costs more
        int parts = (int) Math.max(1, Math.min(Math.min(Runtime.getRuntime().availableProcessors(), n),
                bytes / PARALLEL_FROM));
        IntStream.range(0, parts).parallel().forEach(part -> {
            int from = (int) ((long) n * part / parts);
            int to = (int) ((long) n * (part + 1) / parts);
            long[] at = new long[to - from];
            for (int i = from; i < to; i++) {
                at[i - from] = addresses.get(i);
            }
            ProcessVm.readScattered(pid, at, buffers.subList(from, to).toArray(new ByteBuffer[0]));
        });
        for (int i = 0; i < n; i++) { // short pieces: a page the process cannot read after all
            ByteBuffer b = buffers.get(i);
            if (b.hasRemaining()) {
                mem.read(addresses.get(i) + b.position(), b);
            }
        }
        for (int i = 0; i < unreadable.size(); i++) {
            mem.read(unreadableAt.get(i), unreadable.get(i));
        }
    }
}
