// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

/** x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
public final class SyscallNumbers {
    public static final int READ = 0;
    public static final int IOCTL = 16;
    public static final int OPEN = 2;
    public static final int CLOSE = 3;
    public static final int LSEEK = 8;
    public static final int MMAP = 9;
    public static final int MPROTECT = 10;
    public static final int MUNMAP = 11;
    public static final int BRK = 12;
    public static final int RT_SIGACTION = 13;
    public static final int RT_SIGPROCMASK = 14;
    public static final int MREMAP = 25;
    public static final int MADVISE = 28;
    public static final int DUP2 = 33;
    public static final int NANOSLEEP = 35;
    public static final int GETITIMER = 36;
    public static final int SETITIMER = 38;
    public static final int GETPID = 39;
    public static final int FCNTL = 72;
    public static final int CHDIR = 80;
    public static final int FCHDIR = 81;
    public static final int UMASK = 95;
    public static final int SETPGID = 109;
    public static final int SETSID = 112;
    public static final int SETGROUPS = 116;
    public static final int SETRESUID = 117;
    public static final int SETRESGID = 119;
    public static final int SETFSUID = 122;
    public static final int SETFSGID = 123;
    public static final int SIGALTSTACK = 131;
    public static final int PERSONALITY = 135;
    public static final int PRCTL = 157;
    public static final int CHROOT = 161;
    public static final int GETTID = 186;
    public static final int SET_TID_ADDRESS = 218;
    public static final int CLOCK_NANOSLEEP = 230;
    public static final int SET_ROBUST_LIST = 273;
    public static final int GET_ROBUST_LIST = 274;
    public static final int DUP3 = 292;
    public static final int PRLIMIT64 = 302;
    public static final int RSEQ = 334;
    public static final int PIDFD_OPEN = 434;
    public static final int OPENAT2 = 437;
    public static final int CLONE3 = 435;
    public static final int PIDFD_GETFD = 438;

    private SyscallNumbers() {
    }
}
