// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.nio.file.Path;
import java.util.List;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.Credentials;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.FsState;

/**
 * Files opened by path, redirected standard streams, working directory and root. Files are
 * reopened by path at the same descriptor number with the same flags and offset. Standard
 * streams whose terminal or pipe is gone (capture recorded them as redirected, and said so) are
 * bound to /dev/null for reading and to a log file for writing, so the program's output is kept
 * and its reads see end of file. Other kinds: {@link DescriptorRestore}.
 */
public final class FileRestore {
    static final int O_ACCMODE = 3;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int O_CLOEXEC = 02000000;

    private final RemoteSyscalls remote;
    private final ProcessMemory mem;
    private final long scratch;

    public FileRestore(RemoteSyscalls remote, ProcessMemory mem, long scratch) {
        this.remote = remote;
        this.mem = mem;
        this.scratch = scratch;
    }

    public void closeHuskDescriptors(int pid) {
        for (FdInfo fd : FdInfo.read(pid)) {
            remote.raw(SyscallNumbers.CLOSE, fd.fd());
        }
    }

    /**
     * Where the output log will be, when some descriptor needs it: checked and named here, created
     * later by the restored process itself ({@link OutputLog}).
     */
    public static Path prepareLog(List<FdEntry> fds, Path logDir, String imageId, Credentials creds) {
        boolean needed = fds.stream().anyMatch(f -> f.redirected() && goesToLog(f));
        if (!needed) {
            return null;
        }
        return OutputLog.plan(logDir, imageId, creds);
    }

    /**
     * Whether an unreopenable descriptor's output goes to the log. Standard input stays on
     * /dev/null even when it was a read-write terminal: bound to the write-only log, its reads
     * would fail with EBADF instead of seeing end of file.
     */
    static boolean goesToLog(FdEntry f) {
        int mode = f.flags() & O_ACCMODE;
        return mode == O_WRONLY || (mode == O_RDWR && f.fd() != 0);
    }

    /**
     * Binds redirected descriptors to /dev/null or the log, which is created once, here, with the
     * image's credentials: runs after the file-system ids became the image's.
     */
    public void openRedirected(List<FdEntry> fds, Path log) {
        int logFd = -1;
        for (FdEntry f : fds) {
            if (!f.redirected()) {
                continue;
            }
            boolean writes = goesToLog(f);
            if (writes) {
                if (logFd < 0) {
                    int above = fds.stream().mapToInt(FdEntry::fd).max().orElse(2) + 1;
                    logFd = OutputLog.openInHusk(remote, mem, scratch, log, above);
                }
                remote.call("dup3 the output log to " + f.fd(), SyscallNumbers.DUP3, logFd, f.fd(), f.flags() & O_CLOEXEC);
                continue;
            }
            place(f.fd(), "/dev/null", (f.flags() & O_ACCMODE) | (f.flags() & O_CLOEXEC), 0);
        }
        if (logFd >= 0) {
            remote.raw(SyscallNumbers.CLOSE, logFd);
        }
    }

    /** Reopens files by path (duplicates are made from their originals later). */
    public void openFiles(List<FdEntry> fds) {
        for (FdEntry f : fds) {
            if (!f.reopenable() || f.dupOf() != null) {
                continue;
            }
            int flags = f.flags() & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
            place(f.fd(), f.target(), flags, 0);
            if (f.kind() == FdEntry.Kind.REGULAR && f.position() != 0) {
                remote.call("lseek fd " + f.fd(), SyscallNumbers.LSEEK, f.fd(), f.position(), 0);
            }
        }
    }

    public void fs(FsState fs) {
        if (!"/".equals(fs.root())) {
            mem.writeString(scratch, fs.root());
            remote.call("chroot " + fs.root(), SyscallNumbers.CHROOT, scratch);
        }
        mem.writeString(scratch, fs.cwd());
        remote.call("chdir " + fs.cwd(), SyscallNumbers.CHDIR, scratch);
    }

    private void place(int fd, String path, int flags, int mode) {
        mem.writeString(scratch, path);
        long got = remote.raw(SyscallNumbers.OPEN, scratch, flags, mode);
        if (got < 0) {
            throw new RestoreException("cannot reopen " + path + " as descriptor " + fd + " (errno " + -got + ")");
        }
        if (got != fd) {
            remote.call("dup3 to " + fd, SyscallNumbers.DUP3, got, fd, flags & O_CLOEXEC);
            remote.raw(SyscallNumbers.CLOSE, got);
        }
    }
}
