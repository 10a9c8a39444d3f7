// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The spool's {@code pages} file, written straight from the copy buffers to the disk with
 * O_DIRECT wherever a buffer is page-aligned (the copy buffers' runs are), through the page
 * cache elsewhere (descriptor contents, SysV segments, and every buffer when the file system
 * refuses O_DIRECT).
 *
 * <p>Why not the page cache: the write is inside the freeze, and filling a gigabyte of fresh
 * page-cache pages took 0.18–2.78 s on this project's VMs, which hand freed memory back to
 * their host (the same {@code dd}, minutes apart); O_DIRECT touches no new memory (the copy
 * buffers were faulted in before the freeze) and writes at the disk's pace, 0.52–0.65 s per
 * GiB here, every time, with the data durable when it returns.
 */
final class SpoolPagesFile implements AutoCloseable {
    /** Buffers, offsets and lengths of O_DIRECT writes are aligned to this. */
    static final int ALIGNMENT = 4096;
    /** Bytes gathered into one O_DIRECT write: long writes for the disk. */
    private static final long GATHER_BYTES = 8 << 20;

    private final FileChannel buffered;
    private final FileChannel direct;
    private final List<ByteBuffer> batch = new ArrayList<>();
    private long batchBytes;
    private long offset;
    private boolean anyBuffered;

    SpoolPagesFile(Path file) throws IOException {
        this.buffered = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.direct = openDirect(file);
    }

    private static FileChannel openDirect(Path file) {
        try {
            long block = Files.getFileStore(file).getBlockSize();
            if (block <= 0 || ALIGNMENT % block != 0) {
                return null;
            }
            return FileChannel.open(file, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException refused) { // tmpfs before 6.6, some FUSE file systems
            return null;
        }
    }

    /** Whether every page went to the disk with O_DIRECT (what is left for an fsync is metadata and a few buffered bytes). */
    boolean allPagesDirect() {
        return direct != null && !anyBuffered;
    }

    /** Bytes appended so far: where the next buffer goes. */
    long offset() {
        return offset;
    }

    /** Appends {@code b}'s remaining bytes, which must stay unchanged until {@link #flush}. */
    void append(ByteBuffer b, boolean page) throws IOException {
        int len = b.remaining();
        if (direct != null && b.isDirect() && len % ALIGNMENT == 0 && offset % ALIGNMENT == 0
                && b.alignmentOffset(b.position(), ALIGNMENT) == 0) {
            batch.add(b);
            batchBytes += len;
            offset += len;
            if (batchBytes >= GATHER_BYTES || batch.size() >= 1024) {
                flush();
            }
            return;
        }
        flush();
        long at = offset;
        ByteBuffer d = b.duplicate();
        while (d.hasRemaining()) {
            at += buffered.write(d, at);
        }
        offset += len;
        anyBuffered |= page;
    }

    /**
     * Writes what is gathered, in the real-time I/O class where the kernel allows: the freeze
     * waits for these writes, while other writers (another capture's packs) can wait.
     */
    void flush() throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        ByteBuffer[] bs = batch.toArray(new ByteBuffer[0]);
        direct.position(offset - batchBytes);
        int priority = io.cryostash.agent.linux.Syscalls.ioPriority();
        boolean raised = io.cryostash.agent.linux.Syscalls.setIoPriority(io.cryostash.agent.linux.Syscalls.IOPRIO_REALTIME);
        try {
            int first = 0;
            while (first < bs.length) {
                direct.write(bs, first, bs.length - first);
                while (first < bs.length && !bs[first].hasRemaining()) {
                    first++;
                }
            }
        } finally {
            if (raised) {
                io.cryostash.agent.linux.Syscalls.setIoPriority(priority);
            }
        }
        batch.clear();
        batchBytes = 0;
    }

    @Override
    public void close() throws IOException {
        try (buffered) {
            if (direct != null) {
                direct.close();
            }
        }
    }
}
