// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Every descriptor of a process as /proc shows it (link target and fdinfo text), read with raw
 * system calls relative to the two directories, into buffers reused for every descriptor: a
 * process with ten thousand descriptors costs a readlinkat and an openat, read and close each,
 * and no Path, attribute map or stream per descriptor. The calls are bound by JNA's direct
 * mapping, a fraction of the cost of an interface call.
 */
public final class FdDirectory implements AutoCloseable {
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;
    private static final int ENOENT = 2;
    private static final int BUFFER = 64 << 10;

    static {
        Native.register(FdDirectory.class, NativeLibrary.getInstance("c"));
    }

    private static native int openat(int dirfd, byte[] path, int flags) throws LastErrorException;

    private static native long readlinkat(int dirfd, byte[] path, Pointer buf, long size) throws LastErrorException;

    private static native long read(int fd, Pointer buf, long count) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    /** What one descriptor's entry holds, handed over without copies: valid during the call only. */
    @FunctionalInterface
    public interface Visitor {
        /**
         * @param info the fdinfo text, {@code infoLength} bytes (ASCII)
         */
        void descriptor(int fd, String target, byte[] info, int infoLength);
    }

    private final int pid;
    private final int fdDir;
    private final int infoDir;
    private final Memory buffer = new Memory(BUFFER);
    private byte[] bytes = new byte[BUFFER];
    private final byte[] name = new byte[16];

    /** Opens /proc/PID/fd and /proc/PID/fdinfo. */
    public FdDirectory(int pid) {
        this.pid = pid;
        this.fdDir = openDir(pid, "fd");
        int info;
        try {
            info = openDir(pid, "fdinfo");
        } catch (RuntimeException e) {
            close(fdDir);
            throw e;
        }
        this.infoDir = info;
    }

    private static int openDir(int pid, String which) {
        try {
            return openat(-100, ("/proc/" + pid + "/" + which + "\0").getBytes(StandardCharsets.US_ASCII),
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new FdException("open /proc/" + pid + "/" + which, e.getErrorCode());
        }
    }

    /** The process's descriptor numbers, sorted. */
    public int[] numbers() {
        int[] out = new int[256];
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : ds) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, n * 2);
                }
                out[n++] = Integer.parseInt(p.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            throw new FdException("list /proc/" + pid + "/fd", ENOENT);
        } catch (IOException e) {
            throw new FdException("list /proc/" + pid + "/fd (" + e.getMessage() + ")", 5); // EIO
        }
        out = Arrays.copyOf(out, n);
        Arrays.sort(out);
        return out;
    }

    /**
     * Reads descriptor {@code fd}'s link and fdinfo and hands them to {@code visitor}.
     *
     * @return false when the descriptor is not open (any more)
     */
    public boolean read(int fd, Visitor visitor) {
        byte[] n = name(fd);
        String target;
        try {
            long len = readlinkat(fdDir, n, buffer, BUFFER);
            buffer.read(0, bytes, 0, (int) len);
            target = new String(bytes, 0, (int) len, StandardCharsets.UTF_8);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENOENT) {
                return false;
            }
            throw new FdException("readlink /proc/" + pid + "/fd/" + fd, e.getErrorCode());
        }
        int info;
        try {
            info = openat(infoDir, n, O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENOENT) {
                return false;
            }
            throw new FdException("open /proc/" + pid + "/fdinfo/" + fd, e.getErrorCode());
        }
        int length = 0;
        try {
            for (;;) {
                long r = read(info, buffer, BUFFER);
                if (r <= 0) {
                    break;
                }
                if (length + r > bytes.length) {
                    bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + (int) r));
                }
                buffer.read(0, bytes, length, (int) r);
                length += (int) r;
            }
        } catch (LastErrorException e) {
            throw new FdException("read /proc/" + pid + "/fdinfo/" + fd, e.getErrorCode());
        } finally {
            close(info);
        }
        visitor.descriptor(fd, target, bytes, length);
        return true;
    }

    /** The number as a NUL-terminated ASCII name, in the one reused array. */
    private byte[] name(int fd) {
        String s = Integer.toString(fd);
        for (int i = 0; i < s.length(); i++) {
            name[i] = (byte) s.charAt(i);
        }
        name[s.length()] = 0;
        return name;
    }

    @Override
    public void close() {
        close(fdDir);
        close(infoDir);
        buffer.close();
    }
}
