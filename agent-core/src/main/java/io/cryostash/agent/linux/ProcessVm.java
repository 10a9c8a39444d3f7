package io.cryostash.agent.linux;

import java.nio.ByteBuffer;

import com.sun.jna.LastErrorException;
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
