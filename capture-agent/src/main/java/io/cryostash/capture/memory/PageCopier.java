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

    /**
     * Piece indices splitting the readable pieces into {@code parts} runs of about equal bytes.
     * Splitting by count would not do: a process with many threads has a small piece or two of
     * stack per thread, all at lower addresses than its large areas, and one core would be left
     * the stacks while the other copied everything else.
     */
    int[] splitByBytes(int parts) {
        int n = buffers.size();
        long total = 0;
        for (ByteBuffer b : buffers) {
            total += b.remaining();
        }
        int[] bounds = new int[parts + 1];
        bounds[parts] = n;
        long seen = 0;
        int part = 1;
        for (int i = 0; i < n && part < parts; i++) {
            seen += buffers.get(i).remaining();
            while (part < parts && seen >= total * part / parts) {
                bounds[part++] = i + 1;
            }
        }
        while (part < parts) {
            bounds[part++] = n;
        }
        return bounds;
    }

    long bytes() {
        return bytes;
    }

    void copy(int pid, ProcessMemory mem) {
        int n = addresses.size();
        // one part per core once there is enough to copy (a few MiB): below that, waking threads costs more
        int parts = (int) Math.max(1, Math.min(Math.min(Runtime.getRuntime().availableProcessors(), n),
                bytes / PARALLEL_FROM));
        int[] bounds = splitByBytes(parts);
        IntStream.range(0, parts).parallel().forEach(part -> {
            int from = bounds[part];
            int to = bounds[part + 1];
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
