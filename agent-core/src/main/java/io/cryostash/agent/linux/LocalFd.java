// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import com.sun.jna.LastErrorException;

/**
 * A descriptor of the agent itself: a pipe it made, a file it opened, or a tracee's descriptor
 * taken over with {@link Pidfd#take} (the same open file, so what is done to it is done to the
 * tracee's too). Exists so that nothing above this package needs JNA to read a pipe or peek at a
 * socket queue.
 */
public final class LocalFd implements AutoCloseable {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_SETPIPE_SZ = 1031;
    public static final int F_GETPIPE_SZ = 1032;
    public static final int F_GET_SEALS = 1034;
    public static final int SPLICE_F_NONBLOCK = 2;
    public static final int MSG_PEEK = 2;
    public static final int MSG_DONTWAIT = 0x40;
    public static final long FIONREAD = 0x541B;

    private final int fd;
    private boolean closed;

    private LocalFd(int fd) {
        this.fd = fd;
    }

    static LocalFd of(int fd) {
        return new LocalFd(fd);
    }

    /** Opens a path (for example /proc/PID/fd/N, which opens the tracee's file anew). */
    public static LocalFd open(String path, int flags) {
        try {
            return new LocalFd(LibC.INSTANCE.open(path, flags | O_CLOEXEC));
        } catch (LastErrorException e) {
            throw new FdException("open " + path, e.getErrorCode());
        }
    }

    /** A new pipe of this agent: [read end, write end]. */
    public static LocalFd[] pipe(int flags) {
        int[] p = new int[2];
        try {
            LibC.INSTANCE.pipe2(p, flags | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new FdException("pipe2", e.getErrorCode());
        }
        return new LocalFd[] {new LocalFd(p[0]), new LocalFd(p[1])};
    }

    /** A socket of the agent's own. */
    public static LocalFd socket(int domain, int type, int protocol) {
        try {
            return new LocalFd(LibC.INSTANCE.socket(domain, type | O_CLOEXEC, protocol));
        } catch (LastErrorException e) {
            throw new FdException("socket(" + domain + ", " + type + ")", e.getErrorCode());
        }
    }

    /** connect(2) to a raw sockaddr. */
    public void connect(byte[] sockaddr) {
        try {
            LibC.INSTANCE.connect(fd, sockaddr, sockaddr.length);
        } catch (LastErrorException e) {
            throw new FdException("connect", e.getErrorCode());
        }
    }

    /** bind(2) to a raw sockaddr. */
    public void bind(byte[] sockaddr) {
        try {
            LibC.INSTANCE.bind(fd, sockaddr, sockaddr.length);
        } catch (LastErrorException e) {
            throw new FdException("bind", e.getErrorCode());
        }
    }

    /** listen(2). */
    public void listen(int backlog) {
        try {
            LibC.INSTANCE.listen(fd, backlog);
        } catch (LastErrorException e) {
            throw new FdException("listen", e.getErrorCode());
        }
    }

    public int fd() {
        return fd;
    }

    /** @return bytes read, 0 at end of file, -1 when a non-blocking read would block */
    public int read(byte[] buf, int length) {
        try {
            return (int) LibC.INSTANCE.read(fd, buf, length);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.EAGAIN) {
                return -1;
            }
            throw new FdException("read", e.getErrorCode());
        }
    }

    /** Writes all of {@code buf}. */
    public void writeFully(byte[] buf) {
        int off = 0;
        while (off < buf.length) {
            byte[] rest = off == 0 ? buf : java.util.Arrays.copyOfRange(buf, off, buf.length);
            try {
                off += (int) LibC.INSTANCE.write(fd, rest, rest.length);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR) {
                    throw new FdException("write of " + buf.length + " bytes (" + off + " written)", e.getErrorCode());
                }
            }
        }
    }

    /** FIONREAD: bytes a read would get now (a pipe's or socket's queue). */
    public int available() {
        try (com.sun.jna.Memory n = new com.sun.jna.Memory(4)) {
            LibC.INSTANCE.ioctl(fd, FIONREAD, n);
            return n.getInt(0);
        } catch (LastErrorException e) {
            throw new FdException("ioctl(FIONREAD)", e.getErrorCode());
        }
    }

    /** An ioctl that fills one int (SIOCOUTQ, TIOCGPTN, …). */
    public int ioctlInt(long request) {
        try (com.sun.jna.Memory n = new com.sun.jna.Memory(8)) {
            n.setLong(0, 0);
            LibC.INSTANCE.ioctl(fd, request, n);
            return n.getInt(0);
        } catch (LastErrorException e) {
            throw new FdException("ioctl(" + Long.toHexString(request) + ")", e.getErrorCode());
        }
    }

    /** An ioctl that fills a structure of {@code size} bytes (TCGETS, TIOCGWINSZ, …). */
    public byte[] ioctlRead(long request, int size) {
        try (com.sun.jna.Memory m = new com.sun.jna.Memory(size)) {
            m.clear();
            LibC.INSTANCE.ioctl(fd, request, m);
            return m.getByteArray(0, size);
        } catch (LastErrorException e) {
            throw new FdException("ioctl(" + Long.toHexString(request) + ")", e.getErrorCode());
        }
    }

    /** An ioctl that takes a structure (TIOCSWINSZ, TCSETS, …). */
    public void ioctlWrite(long request, byte[] value) {
        try (com.sun.jna.Memory m = new com.sun.jna.Memory(value.length)) {
            m.write(0, value, 0, value.length);
            LibC.INSTANCE.ioctl(fd, request, m);
        } catch (LastErrorException e) {
            throw new FdException("ioctl(" + Long.toHexString(request) + ")", e.getErrorCode());
        }
    }

    /** An ioctl that takes a pointer to one 64-bit value (TFD_IOC_SET_TICKS, …). */
    public void ioctlSetLong(long request, long value) {
        try (com.sun.jna.Memory n = new com.sun.jna.Memory(8)) {
            n.setLong(0, value);
            LibC.INSTANCE.ioctl(fd, request, n);
        } catch (LastErrorException e) {
            throw new FdException("ioctl(" + Long.toHexString(request) + ")", e.getErrorCode());
        }
    }

    /** timerfd_settime(2), relative: interval, then the time to the next expiry, in nanoseconds. */
    public void timerfdSettime(long intervalNanos, long valueNanos) {
        long[] spec = {intervalNanos / 1_000_000_000L, intervalNanos % 1_000_000_000L, valueNanos / 1_000_000_000L,
                valueNanos % 1_000_000_000L};
        try {
            LibC.INSTANCE.timerfd_settime(fd, 0, spec, null);
        } catch (LastErrorException e) {
            throw new FdException("timerfd_settime", e.getErrorCode());
        }
    }

    public int fcntl(int cmd, long arg) {
        try {
            return LibC.INSTANCE.fcntl(fd, cmd, arg);
        } catch (LastErrorException e) {
            throw new FdException("fcntl " + cmd, e.getErrorCode());
        }
    }

    /** tee(2): copies up to {@code length} bytes of this pipe into {@code out} without consuming them. */
    public long teeTo(LocalFd out, long length, int flags) {
        try {
            return (long) LibC.INSTANCE.syscall(SyscallNumbers.TEE, fd, out.fd, length, flags);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.EAGAIN) {
                return 0;
            }
            throw new FdException("tee", e.getErrorCode());
        }
    }

    public int getsockoptInt(int level, int name) {
        byte[] v = getsockopt(level, name, 4);
        return (v[0] & 0xff) | (v[1] & 0xff) << 8 | (v[2] & 0xff) << 16 | (v[3] & 0xff) << 24;
    }

    /** The option's bytes (as many as the kernel filled in). */
    public byte[] getsockopt(int level, int name, int size) {
        byte[] v = new byte[size];
        int[] len = {size};
        try {
            LibC.INSTANCE.getsockopt(fd, level, name, v, len);
        } catch (LastErrorException e) {
            throw new FdException("getsockopt " + level + "/" + name, e.getErrorCode());
        }
        return java.util.Arrays.copyOf(v, len[0]);
    }

    public void setsockoptInt(int level, int name, int value) {
        setsockopt(level, name, new byte[] {(byte) value, (byte) (value >> 8), (byte) (value >> 16), (byte) (value >> 24)});
    }

    public void setsockopt(int level, int name, byte[] value) {
        try {
            LibC.INSTANCE.setsockopt(fd, level, name, value, value.length);
        } catch (LastErrorException e) {
            throw new FdException("setsockopt " + level + "/" + name, e.getErrorCode());
        }
    }

    /** getsockname(2): the raw sockaddr. */
    public byte[] sockname() {
        byte[] a = new byte[128];
        int[] len = {a.length};
        try {
            LibC.INSTANCE.getsockname(fd, a, len);
        } catch (LastErrorException e) {
            throw new FdException("getsockname", e.getErrorCode());
        }
        return java.util.Arrays.copyOf(a, Math.min(len[0], a.length));
    }

    /** getpeername(2): the raw sockaddr, or null when not connected. */
    public byte[] peername() {
        byte[] a = new byte[128];
        int[] len = {a.length};
        try {
            LibC.INSTANCE.getpeername(fd, a, len);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == 107) { // ENOTCONN
                return null;
            }
            throw new FdException("getpeername", e.getErrorCode());
        }
        return java.util.Arrays.copyOf(a, Math.min(len[0], a.length));
    }

    /** @return bytes received, -1 when nothing is queued */
    public int recv(byte[] buf, int length, int flags) {
        try {
            return (int) LibC.INSTANCE.recv(fd, buf, length, flags | MSG_DONTWAIT);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.EAGAIN) {
                return -1;
            }
            throw new FdException("recv", e.getErrorCode());
        }
    }

    /** A datagram and the sockaddr it came from (empty when the kernel gave none). */
    public record Received(int length, byte[] source) {
    }

    /** recvfrom(2) without waiting: @return the datagram's length and source, or null when nothing is queued */
    public Received recvFrom(byte[] buf, int length, int flags) {
        byte[] a = new byte[128];
        int[] len = {a.length};
        try {
            int n = (int) LibC.INSTANCE.recvfrom(fd, buf, length, flags | MSG_DONTWAIT, a, len);
            return new Received(n, java.util.Arrays.copyOf(a, Math.min(len[0], a.length)));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.EAGAIN) {
                return null;
            }
            throw new FdException("recvfrom", e.getErrorCode());
        }
    }

    /** sendto(2) of one datagram or raw packet to {@code sockaddr}. */
    public void sendTo(byte[] buf, int length, byte[] sockaddr) {
        try {
            LibC.INSTANCE.sendto(fd, buf, length, 0, sockaddr, sockaddr.length);
        } catch (LastErrorException e) {
            throw new FdException("sendto of " + length + " bytes", e.getErrorCode());
        }
    }

    /** Sends all of {@code buf} as one message (a datagram) or, for streams, in as many calls as needed. */
    public void send(byte[] buf, int flags) {
        int off = 0;
        do {
            byte[] rest = off == 0 ? buf : java.util.Arrays.copyOfRange(buf, off, buf.length);
            try {
                off += (int) LibC.INSTANCE.send(fd, rest, rest.length, flags);
            } catch (LastErrorException e) {
                throw new FdException("send of " + buf.length + " bytes (" + off + " sent)", e.getErrorCode());
            }
        } while (off < buf.length);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                LibC.INSTANCE.close(fd);
            } catch (LastErrorException ignored) {
                // nothing useful to do: the number is released either way
            }
        }
    }
}
