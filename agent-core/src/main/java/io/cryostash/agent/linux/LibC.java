// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few glibc entry points Cryostash calls. Nothing outside this package imports JNA:
 * callers go through {@link Ptrace}, {@link ProcessVm} and {@link Syscalls}.
 */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    long ptrace(int request, int pid, long addr, long data) throws LastErrorException;

    long ptrace(int request, int pid, long addr, Pointer data) throws LastErrorException;

    int waitpid(int pid, int[] status, int options) throws LastErrorException;

    int kill(int pid, int sig) throws LastErrorException;

    long process_vm_readv(int pid, Iovec[] local, long liovcnt, Iovec[] remote, long riovcnt, long flags)
            throws LastErrorException;

    /** The same with iovec arrays laid out by the caller (many iovecs without one Structure each). */
    long process_vm_readv(int pid, Pointer local, long liovcnt, Pointer remote, long riovcnt, long flags)
            throws LastErrorException;

    long process_vm_writev(int pid, Iovec[] local, long liovcnt, Iovec[] remote, long riovcnt, long flags)
            throws LastErrorException;

    long syscall(long number, Object... args) throws LastErrorException;

    int geteuid();

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    int pipe2(int[] fds, int flags) throws LastErrorException;

    long read(int fd, byte[] buf, long count) throws LastErrorException;

    long write(int fd, byte[] buf, long count) throws LastErrorException;

    int fcntl(int fd, int cmd, long arg) throws LastErrorException;

    int getsockopt(int fd, int level, int name, byte[] value, int[] length) throws LastErrorException;

    int setsockopt(int fd, int level, int name, byte[] value, int length) throws LastErrorException;

    int getsockname(int fd, byte[] addr, int[] length) throws LastErrorException;

    int getpeername(int fd, byte[] addr, int[] length) throws LastErrorException;

    long recv(int fd, byte[] buf, long length, int flags) throws LastErrorException;

    long send(int fd, byte[] buf, long length, int flags) throws LastErrorException;

    int timerfd_settime(int fd, int flags, long[] newValue, long[] oldValue) throws LastErrorException;

    long recvfrom(int fd, byte[] buf, long length, int flags, byte[] addr, int[] addrLength) throws LastErrorException;

    long sendto(int fd, byte[] buf, long length, int flags, byte[] addr, int addrLength) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int connect(int fd, byte[] addr, int length) throws LastErrorException;

    int bind(int fd, byte[] addr, int length) throws LastErrorException;

    int listen(int fd, int backlog) throws LastErrorException;
}
