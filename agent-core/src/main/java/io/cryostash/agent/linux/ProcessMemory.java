// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Another process's memory through /proc/PID/mem: positional reads and writes that, unlike
 * process_vm_readv/writev, also reach pages mapped without read or write permission
 * (the kernel uses FOLL_FORCE for this file).
 */
public final class ProcessMemory implements AutoCloseable {
    private final int pid;
    private final FileChannel channel;

    public ProcessMemory(int pid, boolean writable) {
        this.pid = pid;
        try {
            this.channel = writable
                    ? FileChannel.open(Path.of("/proc", Integer.toString(pid), "mem"), StandardOpenOption.READ,
                            StandardOpenOption.WRITE)
                    : FileChannel.open(Path.of("/proc", Integer.toString(pid), "mem"), StandardOpenOption.READ);
        } catch (IOException e) {
            throw new TraceeException(pid, "cannot open /proc/" + pid + "/mem: " + e.getMessage());
        }
    }

    /** Fills {@code dst} from {@code address} on; throws when any byte of the range cannot be read. */
    public void read(long address, ByteBuffer dst) {
        long pos = address;
        try {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, pos);
                if (n <= 0) {
                    throw new TraceeException(pid, "short read of memory at 0x" + Long.toHexString(pos));
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new TraceeException(pid, "reading memory at 0x" + Long.toHexString(pos) + ": " + e.getMessage());
        }
    }

    public byte[] read(long address, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        read(address, b);
        return b.array();
    }

    public void write(long address, ByteBuffer src) {
        long pos = address;
        try {
            while (src.hasRemaining()) {
                int n = channel.write(src, pos);
                if (n <= 0) {
                    throw new TraceeException(pid, "short write of memory at 0x" + Long.toHexString(pos));
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new TraceeException(pid, "writing memory at 0x" + Long.toHexString(pos) + ": " + e.getMessage());
        }
    }

    public void write(long address, byte[] bytes) {
        write(address, ByteBuffer.wrap(bytes));
    }

    public void writeString(long address, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        write(address, z);
    }

    public long readLong(long address) {
        return ByteBuffer.wrap(read(address, 8)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
