// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

    /** Creates the log file (owned by the image's user) when some descriptor needs it. */
    public static Path prepareLog(List<FdEntry> fds, Path logDir, String imageId, Credentials creds) {
        boolean needed = fds.stream().anyMatch(f -> f.redirected() && goesToLog(f));
        if (!needed) {
            return null;
        }
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve("cryostash-" + imageId + "-" + System.currentTimeMillis() + ".log");
            Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.setAttribute(log, "unix:uid", creds.uid());
            Files.setAttribute(log, "unix:gid", creds.gid());
            return log;
        } catch (IOException e) {
            throw new RestoreException("cannot create the output log in " + logDir + ": " + e.getMessage(), e);
        }
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

    /** Binds redirected descriptors to /dev/null or the log; runs before the file-system ids drop. */
    public void openRedirected(List<FdEntry> fds, Path log) {
        for (FdEntry f : fds) {
            if (!f.redirected()) {
                continue;
            }
            boolean writes = goesToLog(f);
            String path = writes ? log.toString() : "/dev/null";
            int flags = writes ? (O_WRONLY | O_APPEND | O_CREAT) : (f.flags() & O_ACCMODE);
            place(f.fd(), path, flags | (f.flags() & O_CLOEXEC), 0600);
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
