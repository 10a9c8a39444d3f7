package io.cryostash.agent.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.PageRun;

/** Pages of a plain-directory image, read from its memory.bin through one reused direct buffer. */
final class MemoryFilePages implements PageSource {
    private static final int MAX_READ = 64 << 20;

    private final FileChannel file;
    private final String imageId;
    private ByteBuffer buffer;

    MemoryFilePages(FileChannel file, String imageId) {
        this.file = file;
        this.imageId = imageId;
    }

    @Override
    public void forEachRun(MemoryArea area, RunSink sink) {
        try {
            long size = file.size();
            for (PageRun run : area.pages()) {
                long len = run.count() * 4096;
                if (run.dataOffset() + len > size) {
                    throw new CorruptImageException(imageId, "memory.bin is truncated: the area at 0x"
                            + Long.toHexString(area.start()) + " needs bytes up to " + (run.dataOffset() + len)
                            + " but the file has " + size);
                }
                for (long done = 0; done < len; done += MAX_READ) {
                    int n = (int) Math.min(MAX_READ, len - done);
                    ByteBuffer b = buffer(n);
                    while (b.hasRemaining()) {
                        if (file.read(b, run.dataOffset() + done + b.position()) < 0) {
                            throw new CorruptImageException(imageId, "memory.bin ended early");
                        }
                    }
                    b.flip();
                    sink.accept(run.firstPage() + done / 4096, b);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read memory of image " + imageId + ": " + e.getMessage(), e);
        }
    }

    private ByteBuffer buffer(int n) {
        if (buffer == null || buffer.capacity() < n) {
            buffer = ByteBuffer.allocateDirect(Math.max(n, 1 << 20));
        }
        buffer.clear().limit(n);
        return buffer;
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException ignored) {
            // read-only
        }
    }
}
