// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * /proc/PID/pagemap: one 64-bit entry per virtual page. Bit 63 present, 62 swapped,
 * 61 file-backed or shared-anonymous page, 55 soft-dirty.
 */
public final class Pagemap implements AutoCloseable {
    public static final long PRESENT = 1L << 63;
    public static final long SWAPPED = 1L << 62;
    public static final long FILE_PAGE = 1L << 61;
    public static final long SOFT_DIRTY = 1L << 55;
    public static final int PAGE = 4096;

    private final int pid;
    private final FileChannel channel;

    public Pagemap(int pid) {
        this.pid = pid;
        try {
            this.channel = FileChannel.open(ProcPath.of(pid, "pagemap"), StandardOpenOption.READ);
        } catch (IOException e) {
            throw new ProcReadException(pid, "pagemap", e);
        }
    }

    /** The entries for the pages of [start, end). */
    public long[] entries(long start, long end) {
        int pages = (int) ((end - start) / PAGE);
        ByteBuffer buf = ByteBuffer.allocateDirect(pages * 8).order(ByteOrder.LITTLE_ENDIAN);
        long pos = (start / PAGE) * 8;
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf, pos + buf.position());
                if (n <= 0) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new ProcReadException(pid, "pagemap", e);
        }
        buf.flip();
        long[] out = new long[pages];
        buf.asLongBuffer().get(out, 0, buf.remaining() / 8);
        return out;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only descriptor: nothing to lose
        }
    }
}
