// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.nio.ByteBuffer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * This agent's end of a userfaultfd created inside another process (missing mode): taken over
 * with pidfd_getfd, it reports the process's faults on registered pages, which
 * {@link #copy}/{@link #zeroPage} resolve (waking the faulting thread). Closing it ends the
 * registration: pages not filled by then fault in as zeros, so the owner must close it only
 * once every saved page is in, or kill the process first. Thread-safe for copy and zeroPage;
 * {@link #nextFault} from one thread.
 */
public final class UserfaultfdPager implements AutoCloseable {
    public static final long REGISTER_MODE_MISSING = 1;
    static final long UFFDIO_COPY = 0xC028AA03L;
    static final long UFFDIO_ZEROPAGE = 0xC020AA04L;
    static final int UFFD_EVENT_PAGEFAULT = 0x12;
    static final int MSG_SIZE = 32;
    private static final int EEXIST = 17;
    private static final int EAGAIN = 11;
    private static final int ENOENT = 2;
    private static final int ESRCH = 3;
    private static final short POLLIN = 1;
    private static final int SYS_POLL = 7;

    private final int pid;
    private final int fd;
    private final Memory msg = new Memory(MSG_SIZE);
    private final Memory pollfd = new Memory(8);
    private volatile boolean closed;

    private UserfaultfdPager(int pid, int fd) {
        this.pid = pid;
        this.fd = fd;
    }

    /** Duplicates descriptor {@code remoteFd} of {@code pid} (a userfaultfd) into this process. */
    public static UserfaultfdPager takeOver(int pid, int remoteFd) {
        int pidfd;
        try {
            pidfd = (int) LibC.INSTANCE.syscall(SyscallNumbers.PIDFD_OPEN, pid, 0);
        } catch (LastErrorException e) {
            throw new TraceeException(pid, "pidfd_open", e.getErrorCode());
        }
        try {
            int fd = (int) LibC.INSTANCE.syscall(SyscallNumbers.PIDFD_GETFD, pidfd, remoteFd, 0);
            return new UserfaultfdPager(pid, fd);
        } catch (LastErrorException e) {
            throw new TraceeException(pid, "pidfd_getfd of the userfaultfd", e.getErrorCode());
        } finally {
            LibC.INSTANCE.close(pidfd);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for the next page fault and returns its address, or -1
     * when none came (or another kind of event, which missing mode does not send).
     */
    public long nextFault(int timeoutMillis) {
        pollfd.setInt(0, fd);
        pollfd.setShort(4, POLLIN);
        pollfd.setShort(6, (short) 0);
        try {
            long n = LibC.INSTANCE.syscall(SYS_POLL, pollfd, 1, timeoutMillis);
            if (n <= 0) {
                return -1;
            }
            long got = LibC.INSTANCE.syscall(SyscallNumbers.READ, fd, msg, MSG_SIZE);
            if (got != MSG_SIZE || (msg.getByte(0) & 0xff) != UFFD_EVENT_PAGEFAULT) {
                return -1;
            }
            return msg.getLong(16);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == EAGAIN) {
                return -1; // another reader took it, or the fault was resolved meanwhile
            }
            throw new TraceeException(pid, "reading the userfaultfd", e.getErrorCode());
        }
    }

    /**
     * Fills {@code src.remaining()} bytes at {@code address} (page-aligned, whole pages) from a
     * direct buffer and wakes threads waiting on them. Pages already filled are left alone.
     *
     * @return the bytes this call filled (pages another call filled first do not count), or -1
     *         when the process is gone
     */
    public long copy(long address, ByteBuffer src) {
        if (!src.isDirect()) {
            throw new IllegalArgumentException("userfaultfd copies from direct buffers");
        }
        long from = Pointer.nativeValue(Native.getDirectBufferPointer(src)) + src.position();
        long len = src.remaining();
        long filled = 0;
        try (Memory arg = new Memory(40)) {
            long done = 0;
            while (done < len) {
                arg.setLong(0, address + done);
                arg.setLong(8, from + done);
                arg.setLong(16, len - done);
                arg.setLong(24, 0);
                arg.setLong(32, 0);
                try {
                    LibC.INSTANCE.ioctl(fd, UFFDIO_COPY, arg);
                    return filled + (len - done);
                } catch (LastErrorException e) {
                    long copied = arg.getLong(32);
                    if (copied > 0) {
                        done += copied;
                        filled += copied;
                        continue;
                    }
                    if (e.getErrorCode() == EEXIST || -copied == EEXIST) {
                        done += 4096; // that page is in already (a fault beat us to it)
                        continue;
                    }
                    if (e.getErrorCode() == EAGAIN) {
                        continue;
                    }
                    if (e.getErrorCode() == ESRCH || e.getErrorCode() == ENOENT) {
                        return -1;
                    }
                    throw new TraceeException(pid, "UFFDIO_COPY at 0x" + Long.toHexString(address + done),
                            e.getErrorCode());
                }
            }
            return filled;
        }
    }

    /** Maps zeros at {@code [address, address + length)} (pages no image holds) and wakes waiters. */
    public boolean zeroPage(long address, long length) {
        try (Memory arg = new Memory(32)) {
            arg.setLong(0, address);
            arg.setLong(8, length);
            arg.setLong(16, 0);
            arg.setLong(24, 0);
            try {
                LibC.INSTANCE.ioctl(fd, UFFDIO_ZEROPAGE, arg);
                return true;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EEXIST || e.getErrorCode() == EAGAIN) {
                    return true;
                }
                if (e.getErrorCode() == ESRCH || e.getErrorCode() == ENOENT) {
                    return false;
                }
                throw new TraceeException(pid, "UFFDIO_ZEROPAGE at 0x" + Long.toHexString(address), e.getErrorCode());
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.INSTANCE.close(fd);
        }
    }
}
