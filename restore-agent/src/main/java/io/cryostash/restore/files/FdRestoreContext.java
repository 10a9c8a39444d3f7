// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.nio.file.Path;
import java.util.function.Function;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.Pidfd;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.store.FileRef;

/**
 * What per-kind restorers share: remote system calls in the husk, scratch memory for their
 * arguments, a way to put a new descriptor at its number without clobbering another one, and
 * the agent's own handles on the husk's descriptors (to write queued bytes into a pipe, say).
 */
public final class FdRestoreContext implements AutoCloseable {
    static final int F_DUPFD = 0;
    static final int F_SETFD = 2;
    static final int FD_CLOEXEC = 1;
    public static final int O_CLOEXEC = 02000000;

    private final RemoteSyscalls remote;
    private final ProcessMemory mem;
    private final long scratch;
    private final int parkBase;
    private final Function<FileRef, Path> contents;
    private final boolean closeTcpConnections;
    private final Path tty;
    private final TreeFds tree;
    private Pidfd pidfd;

    FdRestoreContext(RemoteSyscalls remote, ProcessMemory mem, long scratch, int parkBase,
                     Function<FileRef, Path> contents, boolean closeTcpConnections, Path tty, TreeFds tree) {
        this.tree = tree;
        this.closeTcpConnections = closeTcpConnections;
        this.tty = tty;
        this.remote = remote;
        this.mem = mem;
        this.scratch = scratch;
        this.parkBase = parkBase;
        this.contents = contents;
    }

    public RemoteSyscalls remote() {
        return remote;
    }

    public ProcessMemory memory() {
        return mem;
    }

    /** Start of scratch memory in the husk (3 pages) for system call arguments. */
    public long scratch() {
        return scratch;
    }

    /** Whether established TCP connections come back closed ({@code --tcp-close}) rather than repaired. */
    public boolean closeTcpConnections() {
        return closeTcpConnections;
    }

    /** The terminal the process's terminal descriptors go on ({@code --tty}), or null. */
    public Path tty() {
        return tty;
    }

    /** The lowest number above every descriptor of the image. */
    public int parkBase() {
        return parkBase;
    }

    public int pid() {
        return remote.pid();
    }

    /**
     * Moves a descriptor just made (at the lowest free number, which may be a number another
     * descriptor of the image still needs) above every number of the image; returns its new number.
     */
    public int park(long fd) {
        long high = remote.call("park descriptor " + fd, SyscallNumbers.FCNTL, fd, F_DUPFD, parkBase);
        remote.raw(SyscallNumbers.CLOSE, fd);
        return (int) high;
    }

    /**
     * Puts descriptors just made at their entries' numbers: where a number another one of them
     * sits on is wanted, that one is parked first, so nothing is clobbered; descriptors already at
     * their number stay (the usual case: the husk's table is empty and numbers are handed out in
     * order, so a remote call or two per descriptor are saved).
     */
    public void placeAll(long[] made, FdEntry[] entries) {
        long[] at = made.clone();
        for (int i = 0; i < at.length; i++) {
            for (int j = 0; j < at.length; j++) {
                if (i != j && at[j] == entries[i].fd() && at[j] != entries[j].fd()) {
                    at[j] = park(at[j]);
                }
            }
        }
        for (int i = 0; i < at.length; i++) {
            install(at[i], entries[i]);
        }
    }

    /** Puts descriptor {@code made} (parked or just made) at the entry's number with its close-on-exec flag. */
    public void install(long made, FdEntry e) {
        boolean cloexec = (e.flags() & O_CLOEXEC) != 0;
        if (made == e.fd()) {
            if (cloexec) { // new descriptors are made without it
                remote.call("fcntl(F_SETFD) on " + e.fd(), SyscallNumbers.FCNTL, made, F_SETFD, FD_CLOEXEC);
            }
            return;
        }
        remote.call("dup3 to " + e.fd(), SyscallNumbers.DUP3, made, e.fd(), cloexec ? O_CLOEXEC : 0);
        remote.raw(SyscallNumbers.CLOSE, made);
    }

    /** Sets status flags (O_NONBLOCK, O_APPEND, …) the entry had among {@code kept}; none set means no call. */
    public void statusFlags(FdEntry e, int kept) {
        int flags = e.flags() & kept;
        if (flags != 0) {
            check(e, "fcntl(F_SETFL)", remote.raw(SyscallNumbers.FCNTL, e.fd(), 4, flags));
        }
    }

    /** Fails the restore naming the descriptor when a remote call returned an error. */
    public long check(FdEntry e, String step, long result) {
        if (result < 0 && result > -4096) {
            throw new RestoreException("cannot restore descriptor " + e.fd() + " (" + e.target() + "): " + step
                    + " failed (errno " + -result + ")");
        }
        return result;
    }

    /** The husk's descriptor opened anew by the agent (/proc/PID/fd/N): the same pipe or file. */
    public LocalFd reopen(int fd, int flags) {
        return LocalFd.open("/proc/" + pid() + "/fd/" + fd, flags);
    }

    /** A copy of the husk's descriptor in the agent: the same open file (pidfd_getfd). */
    public LocalFd take(int fd) {
        if (pidfd == null) {
            pidfd = new Pidfd(pid());
        }
        return pidfd.take(fd);
    }

    /** What the earlier processes of a tree made, or null for a process restored alone. */
    public TreeFds tree() {
        return tree;
    }

    /**
     * A copy, in the process being built, of descriptor {@code fd} of another process of its
     * tree ({@code pid} as this process sees it): the same open file description (pidfd_open and
     * pidfd_getfd run here, as root still), parked above the image's numbers.
     */
    public int takeFrom(int pid, int fd, FdEntry e) {
        long pidfd = check(e, "pidfd_open(" + pid + ")", remote.raw(SyscallNumbers.PIDFD_OPEN, pid, 0));
        long got = remote.raw(SyscallNumbers.PIDFD_GETFD, pidfd, fd, 0);
        remote.raw(SyscallNumbers.CLOSE, pidfd);
        // pidfd_getfd sets close-on-exec: parked above the image's numbers, install's dup3 sets it as it was
        return park(check(e, "pidfd_getfd of descriptor " + fd + " of process " + pid, got));
    }

    /** A local path holding a stored file's bytes (verified against its hash). */
    public Path contents(FileRef ref) {
        return contents.apply(ref);
    }

    @Override
    public void close() {
        if (pidfd != null) {
            pidfd.close();
        }
    }
}
