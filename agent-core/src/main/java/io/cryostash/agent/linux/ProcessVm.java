// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.nio.ByteBuffer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * process_vm_readv(2): copies another process's memory straight into a direct buffer, about
 * twice as fast as /proc/PID/mem (no bounce page in the kernel), but only for pages the target
 * may read; it stops short at the first page it cannot.
 */
public final class ProcessVm {
    private ProcessVm() {
    }

    /**
     * Reads {@code dst.remaining()} bytes from {@code address} into the direct buffer {@code dst}.
     *
     * @return the bytes read (short when a page in the range is not readable); dst's position advances
     */
    public static long read(int pid, long address, ByteBuffer dst) {
        if (!dst.isDirect()) {
            throw new IllegalArgumentException("process_vm_readv needs a direct buffer");
        }
        Pointer base = Native.getDirectBufferPointer(dst);
        Iovec[] local = (Iovec[]) new Iovec().toArray(1);
        Iovec[] remote = (Iovec[]) new Iovec().toArray(1);
        local[0].base = Pointer.nativeValue(base) + dst.position();
        local[0].len = dst.remaining();
        remote[0].base = address;
        remote[0].len = dst.remaining();
        local[0].write();
        remote[0].write();
        try {
            long n = LibC.INSTANCE.process_vm_readv(pid, local, 1, remote, 1, 0);
            dst.position(dst.position() + (int) n);
            return n;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == 14) { // EFAULT: the first page is not readable
                return 0;
            }
            throw new TraceeException(pid, "process_vm_readv at 0x" + Long.toHexString(address), e.getErrorCode());
        }
    }

    /** Most iovecs one process_vm_readv call takes (IOV_MAX). */
    public static final int MAX_IOVECS = 1024;
    private static final int IOVEC_SIZE = 16;

    /**
     * Reads scattered pieces with as few system calls as possible: up to {@link #MAX_IOVECS}
     * pieces per call instead of one call per piece, which is what scattered dirty pages cost
     * otherwise. A piece the target cannot read (e.g. PROT_NONE) is left short — its buffer keeps
     * bytes remaining — and reading goes on with the next piece; the caller reads what is left
     * some other way.
     *
     * @param addresses where each piece starts in the target
     * @param dsts      direct buffers, one per piece, filled from their position; positions advance
     */
    public static void readScattered(int pid, long[] addresses, ByteBuffer[] dsts) {
        int count = addresses.length;
        try (Memory local = new Memory((long) IOVEC_SIZE * Math.min(count, MAX_IOVECS) + 1);
             Memory remote = new Memory((long) IOVEC_SIZE * Math.min(count, MAX_IOVECS) + 1)) {
            int first = 0;
            while (first < count) {
                int n = Math.min(count - first, MAX_IOVECS);
                for (int i = 0; i < n; i++) {
                    ByteBuffer d = dsts[first + i];
                    if (!d.isDirect()) {
                        throw new IllegalArgumentException("process_vm_readv needs direct buffers");
                    }
                    long off = (long) i * IOVEC_SIZE;
                    local.setLong(off, Pointer.nativeValue(Native.getDirectBufferPointer(d)) + d.position());
                    local.setLong(off + 8, d.remaining());
                    remote.setLong(off, addresses[first + i]);
                    remote.setLong(off + 8, d.remaining());
                }
                long got;
                try {
                    got = LibC.INSTANCE.process_vm_readv(pid, local, n, remote, n, 0);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != 14) { // EFAULT: the first piece is not readable
                        throw new TraceeException(pid, "process_vm_readv at 0x" + Long.toHexString(addresses[first]),
                                e.getErrorCode());
                    }
                    got = 0;
                }
                // the kernel stops at the first piece it cannot read fully: credit the pieces before
                // it, leave that one short, and go on after it
                int i = 0;
                while (i < n && got >= dsts[first + i].remaining()) {
                    ByteBuffer d = dsts[first + i];
                    got -= d.remaining();
                    d.position(d.limit());
                    i++;
                }
                if (i < n) {
                    ByteBuffer d = dsts[first + i];
                    d.position(d.position() + (int) got);
                    i++;
                }
                first += i;
            }
        }
    }

    /**
     * Writes {@code src.remaining()} bytes to {@code address} in the target (pages must be
     * writable there).
     *
     * @return the bytes written (short at the first page that is not writable); src's position advances
     */
    public static long write(int pid, long address, ByteBuffer src) {
        if (!src.isDirect()) {
            throw new IllegalArgumentException("process_vm_writev needs a direct buffer");
        }
        Iovec[] local = (Iovec[]) new Iovec().toArray(1);
        Iovec[] remote = (Iovec[]) new Iovec().toArray(1);
        local[0].base = Pointer.nativeValue(Native.getDirectBufferPointer(src)) + src.position();
        local[0].len = src.remaining();
        remote[0].base = address;
        remote[0].len = src.remaining();
        local[0].write();
        remote[0].write();
        try {
            long n = LibC.INSTANCE.process_vm_writev(pid, local, 1, remote, 1, 0);
            src.position(src.position() + (int) n);
            return n;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == 14) {
                return 0;
            }
            throw new TraceeException(pid, "process_vm_writev at 0x" + Long.toHexString(address), e.getErrorCode());
        }
    }
}
