// SPDX-License-Identifier: Apache-2.0
/*
 * cryostash-tracer: the process that holds Cryostash's ptrace attachments.
 *
 * The agent (a JVM) sends it ptrace requests over its stdin and reads the answers on its
 * stdout; this process makes the calls, so it is the tracer the kernel knows. Its one job
 * beyond relaying: when the agent goes away for any reason (kill -9, a crash, Ctrl-C, its
 * shutdown hook closing the pipe), put every process it traces for a capture back exactly as
 * it found it and let it go. The kernel's own cleanup on a tracer's death would leave a
 * tracee with injected registers, the single-step flag and an all-blocked signal mask in the
 * middle of a remote system call, and it would then die of SIGTRAP or run on deaf to signals.
 *
 * What "as it found it" means, per tracee seized without PTRACE_O_EXITKILL (a capture):
 *  - registers and signal mask as they were at the first interrupt stop after the seize
 *    (taken here, before the agent hears of that stop, so nothing the agent does comes first);
 *  - memory the agent registered with GUARD_MEMORY written back, mappings it registered with
 *    GUARD_MAPPING unmapped (the remote system calls' scratch space);
 *  - TCP connections the agent registered with GUARD_REPAIR (read in repair mode, or put in
 *    it just before a --kill) taken out of repair mode again, through the helper's own copy of
 *    the socket (pidfd_getfd), unless the process is dead by then;
 *  - stopped first if it was running (PTRACE_INTERRUPT), and detached with PTRACE_DETACH,
 *    which clears the single-step flag; a signal whose delivery stop the agent had not yet
 *    passed on is delivered, the SIGTRAP of our own single step is not.
 * Tracees seized with PTRACE_O_EXITKILL (restore's half-built processes) are left to the
 * kernel, which kills them when this process exits: a half-built process never runs.
 *
 * This process ignores the terminal's signals and runs in a session of its own, so Ctrl-C on
 * the agent does not reach it, and asks the OOM killer to spare it.
 *
 * Protocol (all integers little-endian). Request: u32 length, u32 op, payload[length].
 * Answer: u32 length, payload[length], always beginning with i64 result, i32 errno.
 *   PTRACE  (1): i32 request, i32 pid, arg addr, arg data
 *                arg := u8 mode; mode 0: i64 value; mode 1 (buffer) or 2 (iovec naming a
 *                buffer): u32 capacity, u32 inLength, bytes[inLength] (the rest zero)
 *                answer: + for each buffer or iovec arg, u32 length, bytes[length] after the
 *                call (an iovec's length is the iov_len the kernel left)
 *   WAIT    (2): i32 pid, i64 timeoutMillis -> result pid or 0 on timeout; + i32 status
 *   SYSCALL (3): i32 pid, i64 syscallInsn, i64 nr, i64 args[6], i64 timeoutMillis, i32 flags
 *                -> result rax; + i32 outcome, i32 status, i32 failedStep (see below), i32 child
 *                flags 1 (SPAWNS): a fork, clone or clone3 run with PTRACE_O_TRACEFORK/CLONE set;
 *                its event stop is passed (child = the new task, traced from birth with its
 *                parent's options) and the call stepped to its end
 *   GUARD_MEMORY  (4): i32 pid, i64 address, u32 length, bytes[length]
 *   GUARD_MAPPING (5): i32 pid, i64 address, i64 length
 *   UNGUARD       (6): i32 pid, i64 address (a GUARD_REPAIR's: REPAIR_KEY | fd; its copy is
 *                closed as it is, so a socket left in repair mode by a kill stays silent)
 *   GUARD_REPAIR  (8): i32 pid, i32 fd: take a copy of the process's socket fd now
 *   GUARD_REPAIRS (16): i32 pid, u32 n, i32 fds[n]: GUARD_REPAIR for many sockets in one request
 *                -> result how many were taken (the first n of them), errno of the one that failed
 *   UNGUARDS      (17): i32 pid, u32 n, i64 addresses[n]: UNGUARD for many in one request
 *   SPAWN   (7): u32 argc, then argc times u32 length, bytes[length] -> result pid
 *                The program runs as our child, in a session of its own, stdio on /dev/null,
 *                default signal handling. Until it is seized, it is ours to clean up: if the
 *                agent goes away first, we kill it (restore's husk never outlives an agent that
 *                died before taking hold of it).
 *
 * Thread batches: one request for what would otherwise be several per thread (each a round trip
 * through the pipes, which made a freeze cost milliseconds per thread).
 *   STOP_THREADS (32): i64 timeoutMillis, u32 count, i32 tids[count]: PTRACE_SEIZE each, then
 *                PTRACE_INTERRUPT each seized one, then wait for each of those (all stop side by
 *                side) -> result 0; + per tid: i32 seizeErrno, i32 interruptErrno, i64 waited
 *                (tid, 0 on timeout, -1: waitErrno), i32 waitErrno, i32 status. The agent judges
 *                each status (a signal stop comes first, an exit, a group stop).
 *   THREAD_STATES (33): i64 syscallInsn, i64 scratch, u32 scratchSize, i64 timeoutMillis, u32 count,
 *                i32 tids[count] (all stopped, one process; the first is the main thread) ->
 *                result 0, or -1 with errno, i32 failedTid, i32 failedStep (see thread_step)
 *                and i32 status; on success, per tid: regs (27 x i64), u32 xlen, xstate[xlen],
 *                i64 sigmask, i32 rseqKnown, i64 rseqAddress, u32 rseqLength, u32 rseqSignature,
 *                i64 robustHead, i64 robustLength, u32 pending, pending x siginfo (128 bytes, the
 *                thread's own queue), then the 32 bytes the thread wrote: its stack_t (i64 ss_sp,
 *                i32 ss_flags, 4 bytes of padding, i64 ss_size), i64 tidAddress.
 *                Everything ptrace tells comes first, while every thread sits in its interrupt
 *                stop; then sigaltstack(NULL, &ss) and prctl(PR_GET_TID_ADDRESS) run in every thread
 *                side by side (only the thread itself can tell those), into scratch; then every
 *                thread but the first is moved back into an interrupt stop (interrupt, continue,
 *                wait), which a plain detach is safe from.
 *   PARALLEL_SYSCALL (34): i64 syscallInsn, i64 nr, i64 timeoutMillis, u32 count, then per thread
 *                i32 tid, i64 args[6] (stopped threads of one process) -> result 0, or -1 as for
 *                THREAD_STATES; on success, per thread i64 rax (-errno on failure). The call runs
 *                in all threads side by side, each with every signal blocked during its single
 *                step and orig_rax = -1; registers and masks are put back in every thread.
 *
 * Restore's thread batches, and letting many threads go (a failure: -1 as for THREAD_STATES,
 * failedStep 16 and up, see restore_step):
 *   CLONE_THREADS (40): i64 syscallInsn, i32 pid, i64 scratch (88 writable bytes), i64 timeoutMillis,
 *                u32 count, then per thread i32 tid (set_tid; 0: any), i64 flags, i64 tidAddress (parent
 *                and child tid), i64 tls -> result 0; + per thread i32 the new thread's id here. clone3
 *                runs in pid (traced with PTRACE_O_TRACECLONE) once per thread, one after the other; then
 *                each new thread is waited for in its first stop (reached meanwhile). Stops at the first failure (the failure's
 *                tid is the tid asked for; EEXIST: it is taken).
 *   SET_THREADS_CPU (41): u32 count, then per thread i32 tid, regs (27 x i64), i64 sigmask, u32 xlen,
 *                xstate[xlen] (xlen 0: left as it is) -> result 0. Stops at the first failure.
 *   LET_GO_THREADS (42): i32 mode (0 detach; 1 PTRACE_SETOPTIONS with options, then PTRACE_CONT),
 *                i32 options, i32 flags (1: stop at the first failure), u32 count, i32 tids[count], let
 *                go in that order -> result 0; + per tid i32 errno (ECANCELED: not tried, after a failure).
 *   TASK_STATUS (43): i32 pid, u32 count, i32 tids[count] -> result 0; + per tid i32 errno, u32 length,
 *                bytes[length]: the text of /proc/pid/task/tid/status (length 0 when errno is set).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#define OP_PTRACE 1
#define OP_WAIT 2
#define OP_SYSCALL 3
#define OP_GUARD_MEMORY 4
#define OP_GUARD_MAPPING 5
#define OP_UNGUARD 6
#define OP_SPAWN 7
#define OP_GUARD_REPAIR 8
#define OP_GUARD_REPAIRS 16
#define OP_UNGUARDS 17
/* thread batches: numbered apart from the single requests above, which others may extend */
#define OP_STOP_THREADS 32
#define OP_THREAD_STATES 33
#define OP_PARALLEL_SYSCALL 34
/* restore's thread batches, and letting many threads go */
#define OP_CLONE_THREADS 40
#define OP_SET_THREADS_CPU 41
#define OP_LET_GO_THREADS 42
#define OP_TASK_STATUS 43
#define REPAIR_KEY (1ULL << 63)
#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#define TCP_REPAIR_QUEUE 20
#endif
#define TCP_NO_QUEUE_ 0

#define ARG_VALUE 0
#define ARG_BUFFER 1
#define ARG_IOVEC 2

#define MAX_MESSAGE (4 << 20)
#define MAX_ARG (1 << 20)
#define RELEASE_WAIT_MS 3000
#define SYS_MUNMAP_NR 11

/* outcome of SYSCALL */
#define SC_OK 0
#define SC_PTRACE_FAILED 1 /* failedStep names the call, errno says why */
#define SC_ENDED 2         /* the process ended: status */
#define SC_OTHER_SIGNAL 3  /* stopped with another signal than SIGTRAP: status */
#define SC_TIMEOUT 4

/* failedStep of SYSCALL */
enum { STEP_GETREGS, STEP_GETSIGMASK, STEP_SETSIGMASK, STEP_SETREGS, STEP_SINGLESTEP, STEP_WAITPID,
       STEP_READ_RESULT, STEP_RESTORE_REGS };

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif
#ifndef PTRACE_O_EXITKILL
#define PTRACE_O_EXITKILL 0x100000
#endif

struct guard {
    uint64_t address;
    uint64_t length;
    unsigned char *bytes; /* NULL: a mapping to unmap (or a socket, when sock >= 0) */
    int sock;             /* our copy of a socket in or going into repair mode; -1 otherwise */
    struct guard *next;
};

struct tracee {
    pid_t pid;
    int exitkill;      /* left to the kernel: it dies with us */
    int has_baseline;  /* regs and mask hold the state to put back */
    struct user_regs_struct regs;
    uint64_t mask;
    int running;       /* resumed and no stop reported since */
    int status;        /* the last stop reported */
    int stepped;       /* the last resume was a single step, so its SIGTRAP is ours */
    uint64_t syscall_insn;
    struct guard *guards;
    struct tracee *next;
};

static struct tracee *tracees;

/* children started with SPAWN and not yet seized */
#define MAX_SPAWNED 64
static pid_t spawned[MAX_SPAWNED];

static void forget_spawned(pid_t pid) {
    for (int i = 0; i < MAX_SPAWNED; i++) {
        if (spawned[i] == pid) spawned[i] = 0;
    }
}

/* ---------- tracee bookkeeping ---------- */

static struct tracee *find(pid_t pid) {
    for (struct tracee *t = tracees; t; t = t->next) {
        if (t->pid == pid) return t;
    }
    return NULL;
}

static struct tracee *add(pid_t pid, int exitkill) {
    struct tracee *t = find(pid);
    if (t) return t;
    t = calloc(1, sizeof *t);
    if (!t) abort();
    t->pid = pid;
    t->exitkill = exitkill;
    t->running = 1;
    t->next = tracees;
    tracees = t;
    return t;
}

static void drop(pid_t pid) {
    for (struct tracee **p = &tracees; *p; p = &(*p)->next) {
        if ((*p)->pid == pid) {
            struct tracee *t = *p;
            *p = t->next;
            for (struct guard *g = t->guards, *n; g; g = n) {
                n = g->next;
                if (g->sock >= 0) close(g->sock);
                free(g->bytes);
                free(g);
            }
            free(t);
            return;
        }
    }
}

/* ---------- I/O with the agent ---------- */

static int read_fully(int fd, void *buf, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t r = read(fd, (char *) buf + off, n - off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        off += (size_t) r;
    }
    return 0;
}

static int write_fully(int fd, const void *buf, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t r = write(fd, (const char *) buf + off, n - off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        off += (size_t) r;
    }
    return 0;
}

/* True once the agent's end of our stdin is closed: it is gone. */
static int agent_gone(void) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0) return 0;
    /* a request may still be queued before the hangup: only a hangup with nothing to read is the end */
    return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p.revents & POLLIN);
}

struct cursor {
    const unsigned char *p;
    size_t left;
    int bad;
};

static uint64_t take(struct cursor *c, size_t n) {
    uint64_t v = 0;
    if (c->left < n) {
        c->bad = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++) v |= (uint64_t) c->p[i] << (8 * i);
    c->p += n;
    c->left -= n;
    return v;
}

static const unsigned char *take_bytes(struct cursor *c, size_t n) {
    if (c->left < n) {
        c->bad = 1;
        return NULL;
    }
    const unsigned char *b = c->p;
    c->p += n;
    c->left -= n;
    return b;
}

struct answer {
    unsigned char *buf;
    size_t len, cap;
};

static void put(struct answer *a, uint64_t v, size_t n) {
    if (a->len + n > a->cap) {
        a->cap = (a->len + n) * 2 + 64;
        a->buf = realloc(a->buf, a->cap);
        if (!a->buf) abort();
    }
    for (size_t i = 0; i < n; i++) a->buf[a->len++] = (unsigned char) (v >> (8 * i));
}

static void put_bytes(struct answer *a, const void *b, size_t n) {
    if (a->len + n > a->cap) {
        a->cap = (a->len + n) * 2 + 64;
        a->buf = realloc(a->buf, a->cap);
        if (!a->buf) abort();
    }
    memcpy(a->buf + a->len, b, n);
    a->len += n;
}

static int send_answer(struct answer *a) {
    unsigned char h[4];
    for (int i = 0; i < 4; i++) h[i] = (unsigned char) (a->len >> (8 * i));
    return write_fully(1, h, 4) || write_fully(1, a->buf, a->len) ? -1 : 0;
}

/* ---------- waiting ---------- */

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Takes the state to put back at a tracee's first interrupt stop. */
static void observe(pid_t pid, int status) {
    struct tracee *t = find(pid);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
        drop(pid);
        return;
    }
    if (!t) {
        t = add(pid, 1); /* a task traced from birth (a clone): it inherited its parent's options */
    }
    t->running = 0;
    t->status = status;
    if (!t->exitkill && !t->has_baseline && WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP) {
        if (ptrace(PTRACE_GETREGS, pid, 0, &t->regs) == 0
                && ptrace(PTRACE_GETSIGMASK, pid, (void *) 8, &t->mask) == 0) {
            t->has_baseline = 1;
        }
    }
}

/*
 * waitpid(pid, __WALL) with a deadline. Returns pid, 0 on timeout, -1 with errno. With
 * watch_agent, gives up (returning -2) as soon as the agent is gone.
 */
static pid_t wait_for(pid_t pid, int *status, long timeout_ms, int watch_agent) {
    long start = now_ms();
    long deadline = start + timeout_ms;
    long sleep_ns = 50000;
    for (;;) {
        pid_t r = waitpid(pid, status, __WALL | WNOHANG);
        if (r == pid) {
            observe(pid, *status);
            return r;
        }
        if (r < 0 && errno != EINTR) return -1;
        if (watch_agent && agent_gone()) return -2;
        long now = now_ms();
        if (now > deadline) return 0;
        /* Stops we cause (interrupt, single step) arrive within microseconds, and a freeze waits
         * for a few per thread: poll for a moment before sleeping, since a sleep costs tens of
         * microseconds however short. Yield rather than spin: on a busy machine the tracee may
         * need this very core to reach its stop. */
        if (now - start < 1) {
            sched_yield();
            continue;
        }
        struct timespec ts = {0, sleep_ns};
        nanosleep(&ts, NULL);
        if (sleep_ns < 2000000) sleep_ns *= 2;
    }
}

/* ---------- remote system call ---------- */

struct syscall_result {
    long rax;
    int outcome, err, status, step;
    pid_t child;
};

#define SYSCALL_SPAWNS 1
#ifndef PTRACE_EVENT_FORK
#define PTRACE_EVENT_FORK 1
#define PTRACE_EVENT_VFORK 2
#define PTRACE_EVENT_CLONE 3
#endif

/* Runs one system call inside a stopped tracee, from the syscall instruction at insn. */
static struct syscall_result remote_syscall(pid_t pid, uint64_t insn, long nr, const long a[6], long timeout_ms,
                                            int flags) {
    struct syscall_result out = {0, SC_OK, 0, 0, 0, 0};
    pid_t child = 0;
    struct user_regs_struct saved, r;
    uint64_t mask, all = ~0ULL;
    struct tracee *t = find(pid);
    if (t) t->syscall_insn = insn;
    if (ptrace(PTRACE_GETREGS, pid, 0, &saved) != 0) {
        return (struct syscall_result) {0, SC_PTRACE_FAILED, errno, 0, STEP_GETREGS, 0};
    }
    if (ptrace(PTRACE_GETSIGMASK, pid, (void *) 8, &mask) != 0) {
        return (struct syscall_result) {0, SC_PTRACE_FAILED, errno, 0, STEP_GETSIGMASK, 0};
    }
    /* every signal blocked during the step: one arriving would stop it before the call */
    if (ptrace(PTRACE_SETSIGMASK, pid, (void *) 8, &all) != 0) {
        return (struct syscall_result) {0, SC_PTRACE_FAILED, errno, 0, STEP_SETSIGMASK, 0};
    }
    r = saved;
    r.rax = (unsigned long) nr;
    r.rdi = (unsigned long) a[0];
    r.rsi = (unsigned long) a[1];
    r.rdx = (unsigned long) a[2];
    r.r10 = (unsigned long) a[3];
    r.r8 = (unsigned long) a[4];
    r.r9 = (unsigned long) a[5];
    r.orig_rax = (unsigned long) -1; /* keep the kernel's restart logic away */
    r.rip = insn;
    if (ptrace(PTRACE_SETREGS, pid, 0, &r) != 0) {
        out = (struct syscall_result) {0, SC_PTRACE_FAILED, errno, 0, STEP_SETREGS, child};
        goto restore_mask;
    }
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) {
        out = (struct syscall_result) {0, SC_PTRACE_FAILED, errno, 0, STEP_SINGLESTEP, child};
        goto restore_regs;
    }
    if (t) {
        t->running = 1;
        t->stepped = 1;
    }
    int st = 0;
    pid_t w = wait_for(pid, &st, timeout_ms, 0);
    int event = w == pid && WIFSTOPPED(st) ? (st >> 16) & 0xff : 0;
    if ((flags & SYSCALL_SPAWNS)
            && (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE)) {
        /* the new task exists and is traced from birth; the call itself has not returned yet */
        unsigned long msg = 0;
        if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == 0) {
            child = (pid_t) msg;
            add(child, t ? t->exitkill : 1);
        }
        if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) {
            out = (struct syscall_result) {0, SC_PTRACE_FAILED, errno, 0, STEP_SINGLESTEP, child};
            goto restore_regs;
        }
        if (t) t->running = 1;
        w = wait_for(pid, &st, timeout_ms, 0);
    }
    if (w == 0) {
        out = (struct syscall_result) {0, SC_TIMEOUT, 0, 0, STEP_WAITPID, child};
        return out; /* still running the call: the agent's failure path (or release) deals with it */
    }
    if (w < 0) {
        out = (struct syscall_result) {0, SC_PTRACE_FAILED, errno, 0, STEP_WAITPID, child};
        return out;
    }
    if (!WIFSTOPPED(st)) {
        return (struct syscall_result) {0, SC_ENDED, 0, st, STEP_WAITPID, child};
    }
    struct user_regs_struct after;
    if (ptrace(PTRACE_GETREGS, pid, 0, &after) != 0) {
        out = (struct syscall_result) {0, SC_PTRACE_FAILED, errno, st, STEP_READ_RESULT, child};
        goto restore_regs;
    }
    out.rax = (long) after.rax;
    out.status = st;
    out.child = child;
    if (WSTOPSIG(st) != SIGTRAP || (st >> 16) != 0) {
        out.outcome = SC_OTHER_SIGNAL; /* a signal, or an event stop, came instead of the step's SIGTRAP */
    }
restore_regs:
    if (ptrace(PTRACE_SETREGS, pid, 0, &saved) != 0 && out.outcome == SC_OK) {
        out = (struct syscall_result) {out.rax, SC_PTRACE_FAILED, errno, out.status, STEP_RESTORE_REGS, child};
    }
restore_mask:
    ptrace(PTRACE_SETSIGMASK, pid, (void *) 8, &mask); /* fails only if the process is gone */
    return out;
}

/* ---------- putting tracees back ---------- */

/* Alive and not yet a zombie: a process killed by --kill must keep its sockets silent. */
static int alive(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

static int leave_repair(struct tracee *t) {
    int n = 0;
    int live = alive(t->pid);
    for (struct guard *g = t->guards; g; g = g->next) {
        if (g->sock < 0) continue;
        if (live) {
            int none = TCP_NO_QUEUE_, off = 0;
            setsockopt(g->sock, IPPROTO_TCP, TCP_REPAIR_QUEUE, &none, sizeof none);
            if (setsockopt(g->sock, IPPROTO_TCP, TCP_REPAIR, &off, sizeof off) == 0) n++;
        }
        close(g->sock);
        g->sock = -1;
    }
    return n;
}

static void release(struct tracee *t) {
    pid_t pid = t->pid;
    if (t->exitkill) {
        return; /* a half-built process: the kernel kills it when we exit */
    }
    int sockets = leave_repair(t);
    if (sockets) {
        fprintf(stderr, "cryostash-tracer: the agent went away; %d TCP connection%s of pid %d left repair mode\n",
                sockets, sockets == 1 ? "" : "s", pid);
    }
    if (t->running) {
        ptrace(PTRACE_INTERRUPT, pid, 0, 0);
        int st;
        pid_t w = wait_for(pid, &st, RELEASE_WAIT_MS, 0);
        if (w != pid || !WIFSTOPPED(st)) {
            return; /* gone, or it would not stop: the kernel detaches it when we exit */
        }
    }
    int sig = 0;
    if (WIFSTOPPED(t->status) && (t->status >> 16) == 0) {
        int s = WSTOPSIG(t->status);
        if (!(s == SIGTRAP && t->stepped)) sig = s; /* a real signal the agent had not passed on yet */
    }
    int areas = 0;
    if (t->has_baseline) {
        for (struct guard *g = t->guards; g; g = g->next) {
            if (!g->bytes && !(g->address & REPAIR_KEY) && t->syscall_insn) {
                long a[6] = {(long) g->address, (long) g->length, 0, 0, 0, 0};
                if (ptrace(PTRACE_SETREGS, pid, 0, &t->regs) == 0) {
                    remote_syscall(pid, t->syscall_insn, SYS_MUNMAP_NR, a, RELEASE_WAIT_MS, 0);
                    if (find(pid) != t) {
                        return; /* it ended during the call: nothing left to put back */
                    }
                    areas++;
                }
            }
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", pid);
        int mem = open(path, O_RDWR | O_CLOEXEC);
        for (struct guard *g = t->guards; g && mem >= 0; g = g->next) {
            if (g->bytes && pwrite(mem, g->bytes, g->length, (off_t) g->address) == (ssize_t) g->length) {
                areas++;
            }
        }
        if (mem >= 0) close(mem);
        ptrace(PTRACE_SETREGS, pid, 0, &t->regs);
        ptrace(PTRACE_SETSIGMASK, pid, (void *) 8, &t->mask);
    }
    if (ptrace(PTRACE_DETACH, pid, 0, (void *) (long) sig) == 0 && t->has_baseline) {
        fprintf(stderr, "cryostash-tracer: the agent went away mid-capture; pid %d was put back as it was"
                " (registers, signal mask, %d scratch area%s) and let go\n", pid, areas, areas == 1 ? "" : "s");
    }
}

static void release_all(void) {
    while (tracees) {
        pid_t pid = tracees->pid; /* release may already have dropped it, if it ended meanwhile */
        release(tracees);
        drop(pid);
    }
    for (int i = 0; i < MAX_SPAWNED; i++) {
        if (spawned[i] > 0) {
            kill(spawned[i], SIGKILL);
            waitpid(spawned[i], NULL, __WALL);
            spawned[i] = 0;
        }
    }
}

/* ---------- requests ---------- */

struct arg {
    int mode;
    long value;
    unsigned char *buf;
    struct iovec iov;
};

static int parse_arg(struct cursor *c, struct arg *a) {
    a->mode = (int) take(c, 1);
    a->buf = NULL;
    if (a->mode == ARG_VALUE) {
        a->value = (long) take(c, 8);
        return c->bad ? -1 : 0;
    }
    if (a->mode != ARG_BUFFER && a->mode != ARG_IOVEC) return -1;
    uint32_t cap = (uint32_t) take(c, 4), in = (uint32_t) take(c, 4);
    if (c->bad || cap > MAX_ARG || in > cap) return -1;
    const unsigned char *bytes = take_bytes(c, in);
    if (c->bad) return -1;
    a->buf = calloc(1, cap ? cap : 1);
    if (!a->buf) abort();
    memcpy(a->buf, bytes, in);
    a->iov.iov_base = a->buf;
    a->iov.iov_len = cap;
    a->value = a->mode == ARG_IOVEC ? (long) &a->iov : (long) a->buf;
    return 0;
}

static void answer_arg(struct answer *ans, struct arg *a, uint32_t cap) {
    if (a->mode == ARG_BUFFER) {
        put(ans, cap, 4);
        put_bytes(ans, a->buf, cap);
    } else if (a->mode == ARG_IOVEC) {
        uint32_t n = a->iov.iov_len < cap ? (uint32_t) a->iov.iov_len : cap;
        put(ans, n, 4);
        put_bytes(ans, a->buf, n);
    }
}

static int do_ptrace(struct cursor *c, struct answer *ans) {
    int request = (int) take(c, 4);
    pid_t pid = (pid_t) take(c, 4);
    struct arg addr, data;
    const unsigned char *addr_at = c->p;
    if (c->bad || parse_arg(c, &addr)) return -1;
    uint32_t addr_cap = addr.mode == ARG_VALUE ? 0 : (uint32_t) (addr_at[1] | addr_at[2] << 8 | addr_at[3] << 16
            | (uint32_t) addr_at[4] << 24);
    const unsigned char *data_at = c->p;
    if (parse_arg(c, &data)) {
        free(addr.buf);
        return -1;
    }
    uint32_t data_cap = data.mode == ARG_VALUE ? 0 : (uint32_t) (data_at[1] | data_at[2] << 8 | data_at[3] << 16
            | (uint32_t) data_at[4] << 24);
    errno = 0;
    long r = ptrace((enum __ptrace_request) request, pid, (void *) addr.value, (void *) data.value);
    int err = errno;
    int failed = (request == PTRACE_PEEKTEXT || request == PTRACE_PEEKDATA || request == PTRACE_PEEKUSER)
            ? err != 0 : r == -1;
    if (!failed) {
        struct tracee *t;
        switch (request) {
            case PTRACE_SEIZE:
                add(pid, (data.value & PTRACE_O_EXITKILL) != 0);
                forget_spawned(pid); /* from now on the kernel or release() decides its fate */
                break;
            case PTRACE_SETOPTIONS:
                if ((t = find(pid))) t->exitkill = (data.value & PTRACE_O_EXITKILL) != 0;
                break;
            case PTRACE_DETACH:
                drop(pid);
                break;
            case PTRACE_CONT:
            case PTRACE_SINGLESTEP:
            case PTRACE_SYSCALL:
            case PTRACE_LISTEN:
                if ((t = find(pid))) {
                    t->running = 1;
                    t->stepped = request == PTRACE_SINGLESTEP;
                }
                break;
            default:
                break;
        }
    }
    put(ans, (uint64_t) r, 8);
    put(ans, failed ? (uint32_t) err : 0, 4);
    answer_arg(ans, &addr, addr_cap);
    answer_arg(ans, &data, data_cap);
    free(addr.buf);
    free(data.buf);
    return 0;
}

static int do_wait(struct cursor *c, struct answer *ans) {
    pid_t pid = (pid_t) take(c, 4);
    long timeout = (long) take(c, 8);
    if (c->bad) return -1;
    int st = 0;
    pid_t r = wait_for(pid, &st, timeout, 1);
    if (r == -2) {
        release_all();
        exit(0);
    }
    put(ans, (uint64_t) (long) r, 8);
    put(ans, r < 0 ? (uint32_t) errno : 0, 4);
    put(ans, (uint32_t) st, 4);
    return 0;
}

static int do_syscall(struct cursor *c, struct answer *ans) {
    pid_t pid = (pid_t) take(c, 4);
    uint64_t insn = take(c, 8);
    long nr = (long) take(c, 8);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = (long) take(c, 8);
    long timeout = (long) take(c, 8);
    int flags = (int) take(c, 4);
    if (c->bad) return -1;
    struct syscall_result r = remote_syscall(pid, insn, nr, a, timeout, flags);
    put(ans, (uint64_t) r.rax, 8);
    put(ans, (uint32_t) r.err, 4);
    put(ans, (uint32_t) r.outcome, 4);
    put(ans, (uint32_t) r.status, 4);
    put(ans, (uint32_t) r.step, 4);
    put(ans, (uint32_t) r.child, 4);
    return 0;
}

static int do_guard(struct cursor *c, struct answer *ans, int op) {
    pid_t pid = (pid_t) take(c, 4);
    uint64_t address = take(c, 8);
    struct tracee *t = find(pid);
    if (op == OP_UNGUARD) {
        if (c->bad) return -1;
        for (struct guard **p = t ? &t->guards : NULL; p && *p; p = &(*p)->next) {
            if ((*p)->address == address) {
                struct guard *g = *p;
                *p = g->next;
                if (g->sock >= 0) close(g->sock);
                free(g->bytes);
                free(g);
                break;
            }
        }
    } else {
        struct guard *g = calloc(1, sizeof *g);
        if (!g) abort();
        g->address = address;
        g->sock = -1;
        if (op == OP_GUARD_MEMORY) {
            uint32_t n = (uint32_t) take(c, 4);
            const unsigned char *b = n <= MAX_ARG ? take_bytes(c, n) : NULL;
            if (c->bad || !b) {
                free(g);
                return -1;
            }
            g->length = n;
            g->bytes = malloc(n ? n : 1);
            if (!g->bytes) abort();
            memcpy(g->bytes, b, n);
        } else {
            g->length = take(c, 8);
            if (c->bad) {
                free(g);
                return -1;
            }
        }
        if (t) {
            g->next = t->guards;
            t->guards = g;
        } else {
            free(g->bytes);
            free(g);
        }
    }
    put(ans, 0, 8);
    put(ans, t ? 0 : ESRCH, 4);
    return 0;
}

/* Keeps copy (our own copy of the tracee's socket fd) to take the socket out of repair mode
 * should the agent die. */
static void add_repair_guard(struct tracee *t, int fd, int copy) {
    fcntl(copy, F_SETFD, FD_CLOEXEC);
    struct guard *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->address = REPAIR_KEY | (uint64_t) (uint32_t) fd;
    g->sock = copy;
    g->next = t->guards;
    t->guards = g;
}

/* Our own copy of the tracee's socket fd: the agent's copy dies with the agent. */
static int do_guard_repair(struct cursor *c, struct answer *ans) {
    pid_t pid = (pid_t) take(c, 4);
    int fd = (int) take(c, 4);
    if (c->bad) return -1;
    struct tracee *t = find(pid);
    int err = 0;
    if (!t) {
        err = ESRCH;
    } else {
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        int copy = pidfd < 0 ? -1 : (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        if (copy < 0) {
            err = errno;
        } else {
            add_repair_guard(t, fd, copy);
        }
        if (pidfd >= 0) close(pidfd);
    }
    put(ans, 0, 8);
    put(ans, (uint32_t) err, 4);
    return 0;
}

/* A copy of each of many sockets, as do_guard_repair: a capture holding thousands of connections
 * costs one round trip instead of thousands. Stops at the first socket it cannot copy. */
static int do_guard_repairs(struct cursor *c, struct answer *ans) {
    pid_t pid = (pid_t) take(c, 4);
    uint32_t n = (uint32_t) take(c, 4);
    if (c->bad || n > MAX_ARG / 4) return -1;
    struct tracee *t = find(pid);
    int err = t ? 0 : ESRCH;
    uint32_t done = 0;
    int pidfd = t ? (int) syscall(SYS_pidfd_open, pid, 0) : -1;
    if (t && pidfd < 0) err = errno;
    for (uint32_t i = 0; i < n; i++) {
        int fd = (int) take(c, 4);
        if (c->bad) {
            if (pidfd >= 0) close(pidfd);
            return -1;
        }
        if (err) continue; /* the rest of the request is read, not acted on */
        int copy = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        if (copy < 0) {
            err = errno;
            continue;
        }
        add_repair_guard(t, fd, copy);
        done++;
    }
    if (pidfd >= 0) close(pidfd);
    put(ans, (uint64_t) done, 8);
    put(ans, (uint32_t) err, 4);
    return 0;
}

/* UNGUARD for many addresses (or REPAIR_KEY | fd) of one tracee. */
static int do_unguards(struct cursor *c, struct answer *ans) {
    pid_t pid = (pid_t) take(c, 4);
    uint32_t n = (uint32_t) take(c, 4);
    if (c->bad || n > MAX_ARG / 8) return -1;
    struct tracee *t = find(pid);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t address = take(c, 8);
        if (c->bad) return -1;
        for (struct guard **p = t ? &t->guards : NULL; p && *p; p = &(*p)->next) {
            if ((*p)->address == address) {
                struct guard *g = *p;
                *p = g->next;
                if (g->sock >= 0) close(g->sock);
                free(g->bytes);
                free(g);
                break;
            }
        }
    }
    put(ans, 0, 8);
    put(ans, t ? 0 : ESRCH, 4);
    return 0;
}

static int do_spawn(struct cursor *c, struct answer *ans) {
    uint32_t argc = (uint32_t) take(c, 4);
    if (c->bad || argc == 0 || argc > 64) return -1;
    char *argv[65];
    for (uint32_t i = 0; i < argc; i++) {
        uint32_t n = (uint32_t) take(c, 4);
        const unsigned char *b = n < 4096 ? take_bytes(c, n) : NULL;
        if (c->bad || !b) {
            for (uint32_t j = 0; j < i; j++) free(argv[j]);
            return -1;
        }
        argv[i] = strndup((const char *) b, n);
        if (!argv[i]) abort();
    }
    argv[argc] = NULL;
    int slot = -1;
    for (int i = 0; i < MAX_SPAWNED && slot < 0; i++) {
        if (spawned[i] == 0) slot = i;
    }
    pid_t pid = slot < 0 ? (errno = EAGAIN, -1) : fork();
    if (pid == 0) {
        setsid();
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) close(null);
        /* every disposition back to default, glibc's reserved 32 and 33 too (signal() refuses them) */
        struct { unsigned long handler, flags, restorer, mask; } dfl = {0, 0, 0, 0};
        for (int sig = 1; sig <= 64; sig++) {
            if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
        }
        int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC); /* not our -1000 */
        if (oom >= 0) {
            if (write(oom, "0", 1) < 0) { /* left as it is */ }
            close(oom);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        _exit(127);
    }
    int err = errno;
    for (uint32_t i = 0; i < argc; i++) free(argv[i]);
    if (pid > 0) spawned[slot] = pid;
    put(ans, (uint64_t) (long) pid, 8);
    put(ans, pid < 0 ? (uint32_t) err : 0, 4);
    return 0;
}

/* ---------- thread batches ---------- */

#define SIGINFO_BYTES 128
#define PEEK_BATCH 32
#define XSTATE_MAX 16384
#define THREAD_SLOT 32 /* scratch per thread: stack_t (24 bytes), then the tid address */
#define SYS_SIGALTSTACK_NR 131
#define SYS_PRCTL_NR 157
#define PR_GET_TID_ADDRESS_ 40
#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif
#ifndef PTRACE_PEEKSIGINFO
#define PTRACE_PEEKSIGINFO 0x4209
#endif

/* failedStep of THREAD_STATES */
enum thread_step { TS_GETREGS, TS_XSTATE, TS_GETSIGMASK, TS_PEEKSIGINFO, TS_ROBUST_LIST, TS_SETUP,
                   TS_SINGLESTEP, TS_WAIT_STEP, TS_STEP_STOP, TS_CALL_FAILED, TS_PUT_BACK, TS_READ_SCRATCH,
                   TS_PARK_INTERRUPT, TS_PARK_CONT, TS_PARK_WAIT, TS_PARK_STOP };

static int read_tids(struct cursor *c, uint32_t *count, pid_t **tids) {
    *count = (uint32_t) take(c, 4);
    if (c->bad || *count > MAX_MESSAGE / 4 || c->left < (size_t) *count * 4) return -1;
    *tids = calloc(*count ? *count : 1, sizeof **tids);
    if (!*tids) abort();
    for (uint32_t i = 0; i < *count; i++) (*tids)[i] = (pid_t) take(c, 4);
    return c->bad ? -1 : 0;
}

static int do_stop_threads(struct cursor *c, struct answer *ans) {
    long timeout = (long) take(c, 8);
    uint32_t n;
    pid_t *tids;
    if (c->bad || read_tids(c, &n, &tids)) return -1;
    int *seize_err = calloc(n ? n : 1, sizeof(int)), *int_err = calloc(n ? n : 1, sizeof(int));
    if (!seize_err || !int_err) abort();
    for (uint32_t i = 0; i < n; i++) {
        if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) == 0) {
            add(tids[i], 0);
            forget_spawned(tids[i]);
        } else {
            seize_err[i] = errno;
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!seize_err[i] && ptrace(PTRACE_INTERRUPT, tids[i], 0, 0) != 0) int_err[i] = errno;
    }
    put(ans, 0, 8);
    put(ans, 0, 4);
    for (uint32_t i = 0; i < n; i++) {
        int st = 0, werr = 0;
        pid_t w = 0;
        if (!seize_err[i]) { /* an exit since the seize (ESRCH from the interrupt) is reported by the wait */
            w = wait_for(tids[i], &st, timeout, 0);
            if (w < 0) werr = errno;
        }
        put(ans, (uint32_t) seize_err[i], 4);
        put(ans, (uint32_t) int_err[i], 4);
        put(ans, (uint64_t) (long) w, 8);
        put(ans, (uint32_t) werr, 4);
        put(ans, (uint32_t) st, 4);
    }
    free(seize_err);
    free(int_err);
    free(tids);
    return 0;
}

struct thread_state {
    struct user_regs_struct regs;
    unsigned char xstate[XSTATE_MAX];
    uint32_t xlen;
    uint64_t mask;
    int rseq_known;
    struct { uint64_t address; uint32_t length, signature, flags, pad; } rseq; /* ptrace_rseq_configuration */
    uint64_t robust_head, robust_len;
    unsigned char *pending;
    uint32_t npending;
    unsigned char slot[THREAD_SLOT];
};

struct batch_failure {
    pid_t tid;
    int step, err, status;
};

static int fail(struct batch_failure *f, pid_t tid, int step, int err, int status) {
    if (f->tid == 0) *f = (struct batch_failure) {tid, step, err, status};
    return -1;
}

/* What ptrace and the tracer's own system calls tell about one stopped thread. */
static int thread_facts(pid_t tid, struct thread_state *s, struct batch_failure *f) {
    if (ptrace(PTRACE_GETREGS, tid, 0, &s->regs) != 0) return fail(f, tid, TS_GETREGS, errno, 0);
    struct iovec iov = {s->xstate, XSTATE_MAX};
    if (ptrace(PTRACE_GETREGSET, tid, (void *) NT_X86_XSTATE, &iov) != 0) return fail(f, tid, TS_XSTATE, errno, 0);
    s->xlen = (uint32_t) iov.iov_len;
    if (ptrace(PTRACE_GETSIGMASK, tid, (void *) 8, &s->mask) != 0) return fail(f, tid, TS_GETSIGMASK, errno, 0);
    /* kernels before 5.13 cannot report rseq; glibc then registered nothing either */
    s->rseq_known = ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, (void *) sizeof s->rseq, &s->rseq) > 0;
    for (;;) {
        struct { uint64_t off; uint32_t flags; int32_t nr; } args = {s->npending, 0, PEEK_BATCH};
        unsigned char *grown = realloc(s->pending, (size_t) (s->npending + PEEK_BATCH) * SIGINFO_BYTES);
        if (!grown) abort();
        s->pending = grown;
        long got = ptrace(PTRACE_PEEKSIGINFO, tid, &args, s->pending + (size_t) s->npending * SIGINFO_BYTES);
        if (got < 0) return fail(f, tid, TS_PEEKSIGINFO, errno, 0);
        s->npending += (uint32_t) got;
        if (got < PEEK_BATCH) break;
    }
    void *head = NULL;
    size_t len = 0;
    if (syscall(SYS_get_robust_list, tid, &head, &len) != 0) return fail(f, tid, TS_ROBUST_LIST, errno, 0);
    s->robust_head = (uint64_t) head;
    s->robust_len = len;
    return 0;
}

/*
 * Runs system call nr with args[i] in threads [from, to) side by side, skipping those whose
 * failed[i] is set: all set up and stepped, then each waited for; results[i] gets its rax.
 * Registers come from saved; the caller puts them and the mask back after.
 */
static void parallel_call(const pid_t *tids, uint32_t from, uint32_t to, uint64_t insn, long nr, long (*args)[6],
                          long timeout, const struct user_regs_struct *saved, char *failed, long *results,
                          struct batch_failure *f) {
    uint64_t all = ~0ULL;
    for (uint32_t i = from; i < to; i++) {
        if (failed[i]) continue;
        struct user_regs_struct r = saved[i];
        r.rax = (unsigned long) nr;
        r.rdi = (unsigned long) args[i][0];
        r.rsi = (unsigned long) args[i][1];
        r.rdx = (unsigned long) args[i][2];
        r.r10 = (unsigned long) args[i][3];
        r.r8 = (unsigned long) args[i][4];
        r.r9 = (unsigned long) args[i][5];
        r.orig_rax = (unsigned long) -1; /* keep the kernel's restart logic away */
        r.rip = insn;
        /* every signal blocked during the step: one arriving would stop it before the call */
        if (ptrace(PTRACE_SETSIGMASK, tids[i], (void *) 8, &all) != 0 || ptrace(PTRACE_SETREGS, tids[i], 0, &r) != 0) {
            failed[i] = 1;
            fail(f, tids[i], TS_SETUP, errno, 0);
            continue;
        }
        if (ptrace(PTRACE_SINGLESTEP, tids[i], 0, 0) != 0) {
            failed[i] = 1;
            fail(f, tids[i], TS_SINGLESTEP, errno, 0);
            continue;
        }
        struct tracee *t = find(tids[i]);
        if (t) {
            t->running = 1;
            t->stepped = 1;
            t->syscall_insn = insn;
        }
    }
    for (uint32_t i = from; i < to; i++) {
        if (failed[i]) continue;
        int st = 0;
        pid_t w = wait_for(tids[i], &st, timeout, 0);
        if (w != tids[i]) {
            failed[i] = 1;
            fail(f, tids[i], TS_WAIT_STEP, w < 0 ? errno : 0, 0);
            continue;
        }
        if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP || (st >> 16) != 0) {
            failed[i] = 1;
            fail(f, tids[i], TS_STEP_STOP, 0, st);
            continue;
        }
        struct user_regs_struct after;
        if (ptrace(PTRACE_GETREGS, tids[i], 0, &after) != 0) {
            failed[i] = 1;
            fail(f, tids[i], TS_WAIT_STEP, errno, st);
            continue;
        }
        results[i] = (long) after.rax;
    }
}

static void put_failure(struct answer *ans, const struct batch_failure *f) {
    put(ans, (uint64_t) -1L, 8);
    put(ans, (uint32_t) f->err, 4);
    put(ans, (uint32_t) f->tid, 4);
    put(ans, (uint32_t) f->step, 4);
    put(ans, (uint32_t) f->status, 4);
}

/* PARALLEL_SYSCALL: one system call in many stopped threads side by side, each with its arguments. */
static int do_parallel_syscall(struct cursor *c, struct answer *ans) {
    uint64_t insn = take(c, 8);
    long nr = (long) take(c, 8);
    long timeout = (long) take(c, 8);
    uint32_t n = (uint32_t) take(c, 4);
    if (c->bad || n == 0 || c->left < (size_t) n * 52) return -1;
    pid_t *tids = calloc(n, sizeof *tids);
    long (*args)[6] = calloc(n, sizeof *args);
    long *results = calloc(n, sizeof *results);
    uint64_t *masks = calloc(n, sizeof *masks);
    struct user_regs_struct *saved = calloc(n, sizeof *saved);
    char *failed = calloc(n, 1);
    if (!tids || !args || !results || !masks || !saved || !failed) abort();
    for (uint32_t i = 0; i < n; i++) {
        tids[i] = (pid_t) take(c, 4);
        for (int k = 0; k < 6; k++) args[i][k] = (long) take(c, 8);
    }
    struct batch_failure f = {0, 0, 0, 0};
    char *got = calloc(n, 1); /* registers and mask taken: they must go back */
    if (!got) abort();
    for (uint32_t i = 0; i < n; i++) {
        if (ptrace(PTRACE_GETREGS, tids[i], 0, &saved[i]) != 0) {
            failed[i] = 1;
            fail(&f, tids[i], TS_GETREGS, errno, 0);
        } else if (ptrace(PTRACE_GETSIGMASK, tids[i], (void *) 8, &masks[i]) != 0) {
            failed[i] = 1;
            fail(&f, tids[i], TS_GETSIGMASK, errno, 0);
        } else {
            got[i] = 1;
        }
    }
    if (f.tid == 0) {
        parallel_call(tids, 0, n, insn, nr, args, timeout, saved, failed, results, &f);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (got[i] && (ptrace(PTRACE_SETREGS, tids[i], 0, &saved[i]) != 0
                || ptrace(PTRACE_SETSIGMASK, tids[i], (void *) 8, &masks[i]) != 0)) {
            fail(&f, tids[i], TS_PUT_BACK, errno, 0);
        }
    }
    if (f.tid != 0) {
        put_failure(ans, &f);
    } else {
        put(ans, 0, 8);
        put(ans, 0, 4);
        for (uint32_t i = 0; i < n; i++) put(ans, (uint64_t) results[i], 8);
    }
    free(tids);
    free(args);
    free(results);
    free(masks);
    free(saved);
    free(failed);
    free(got);
    return 0;
}

static int do_thread_states(struct cursor *c, struct answer *ans) {
    uint64_t insn = take(c, 8);
    uint64_t scratch = take(c, 8);
    uint32_t scratch_size = (uint32_t) take(c, 4);
    long timeout = (long) take(c, 8);
    uint32_t n;
    pid_t *tids;
    if (c->bad || read_tids(c, &n, &tids)) return -1;
    uint32_t per_batch = scratch_size / THREAD_SLOT;
    if (n == 0 || per_batch == 0) {
        free(tids);
        return -1;
    }
    struct thread_state *s = calloc(n, sizeof *s);
    struct user_regs_struct *saved = calloc(n, sizeof *saved);
    char *failed = calloc(n, 1);
    long (*args)[6] = calloc(n, sizeof *args);
    long *results = calloc(n, sizeof *results);
    if (!s || !saved || !failed || !args || !results) abort();
    struct batch_failure f = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n && f.tid == 0; i++) {
        thread_facts(tids[i], &s[i], &f);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", tids[0]);
    int mem = f.tid == 0 ? open(path, O_RDWR | O_CLOEXEC) : -1;
    if (f.tid == 0 && mem < 0) fail(&f, tids[0], TS_READ_SCRATCH, errno, 0);
    for (uint32_t from = 0; from < n && f.tid == 0; from += per_batch) {
        uint32_t to = from + per_batch < n ? from + per_batch : n;
        for (uint32_t i = from; i < to; i++) {
            saved[i] = s[i].regs;
            long slot = (long) scratch + (long) (i - from) * THREAD_SLOT;
            args[i][0] = 0; /* sigaltstack(NULL, &old) */
            args[i][1] = slot;
        }
        parallel_call(tids, from, to, insn, SYS_SIGALTSTACK_NR, args, timeout, saved, failed, results, &f);
        for (uint32_t i = from; i < to; i++) {
            args[i][0] = PR_GET_TID_ADDRESS_; /* prctl(PR_GET_TID_ADDRESS, &address) */
            args[i][1] = (long) scratch + (long) (i - from) * THREAD_SLOT + 24;
            if (!failed[i] && results[i] < 0 && results[i] > -4096) fail(&f, tids[i], TS_CALL_FAILED, (int) -results[i], 0);
        }
        if (f.tid == 0) {
            parallel_call(tids, from, to, insn, SYS_PRCTL_NR, args, timeout, saved, failed, results, &f);
        }
        for (uint32_t i = from; i < to; i++) {
            if (!failed[i] && results[i] < 0 && results[i] > -4096) fail(&f, tids[i], TS_CALL_FAILED, (int) -results[i], 0);
        }
        /* registers and mask back in every thread of the batch, whatever failed */
        for (uint32_t i = from; i < to; i++) {
            if (ptrace(PTRACE_SETREGS, tids[i], 0, &saved[i]) != 0
                    || ptrace(PTRACE_SETSIGMASK, tids[i], (void *) 8, &s[i].mask) != 0) {
                fail(&f, tids[i], TS_PUT_BACK, errno, 0);
            }
        }
        size_t bytes = (size_t) (to - from) * THREAD_SLOT;
        unsigned char buf[4096];
        if (f.tid == 0) {
            for (size_t off = 0; off < bytes; off += sizeof buf) {
                size_t want = bytes - off < sizeof buf ? bytes - off : sizeof buf;
                if (pread(mem, buf, want, (off_t) (scratch + off)) != (ssize_t) want) {
                    fail(&f, tids[0], TS_READ_SCRATCH, errno, 0);
                    break;
                }
                for (size_t k = 0; k < want; k += THREAD_SLOT) {
                    memcpy(s[from + (off + k) / THREAD_SLOT].slot, buf + k, THREAD_SLOT);
                }
            }
        }
    }
    if (mem >= 0) close(mem);
    /* the remote calls left each thread in the SIGTRAP stop of its step: back into an interrupt
     * stop, all side by side (the first thread's remote calls go on: the agent parks it later) */
    if (f.tid == 0) {
        for (uint32_t i = 1; i < n; i++) {
            if (ptrace(PTRACE_INTERRUPT, tids[i], 0, 0) != 0) fail(&f, tids[i], TS_PARK_INTERRUPT, errno, 0);
        }
        for (uint32_t i = 1; i < n && f.tid == 0; i++) {
            if (ptrace(PTRACE_CONT, tids[i], 0, 0) != 0) {
                fail(&f, tids[i], TS_PARK_CONT, errno, 0);
            } else {
                struct tracee *t = find(tids[i]);
                if (t) {
                    t->running = 1;
                    t->stepped = 0;
                }
            }
        }
        for (uint32_t i = 1; i < n; i++) {
            struct tracee *t = find(tids[i]);
            if (t && !t->running) continue; /* not continued (a failure above) */
            int st = 0;
            pid_t w = wait_for(tids[i], &st, timeout, 0);
            if (w != tids[i]) {
                fail(&f, tids[i], TS_PARK_WAIT, w < 0 ? errno : 0, 0);
            } else if (!WIFSTOPPED(st) || (st >> 16) != PTRACE_EVENT_STOP) {
                fail(&f, tids[i], TS_PARK_STOP, 0, st);
            }
        }
    }
    if (f.tid != 0) {
        put_failure(ans, &f);
    } else {
        put(ans, 0, 8);
        put(ans, 0, 4);
        for (uint32_t i = 0; i < n; i++) {
            struct thread_state *t = &s[i];
            put_bytes(ans, &t->regs, sizeof t->regs);
            put(ans, t->xlen, 4);
            put_bytes(ans, t->xstate, t->xlen);
            put(ans, t->mask, 8);
            put(ans, (uint32_t) t->rseq_known, 4);
            put(ans, t->rseq.address, 8);
            put(ans, t->rseq.length, 4);
            put(ans, t->rseq.signature, 4);
            put(ans, t->robust_head, 8);
            put(ans, t->robust_len, 8);
            put(ans, t->npending, 4);
            put_bytes(ans, t->pending, (size_t) t->npending * SIGINFO_BYTES);
            put_bytes(ans, t->slot, THREAD_SLOT);
        }
    }
    for (uint32_t i = 0; i < n; i++) free(s[i].pending);
    free(s);
    free(saved);
    free(failed);
    free(args);
    free(results);
    free(tids);
    return 0;
}

/* ---------- restore's thread batches (40-49) ---------- */

#define SYS_CLONE3_NR 435
#define CLONE_ARGS_BYTES 80 /* struct clone_args up to set_tid_size (CLONE_ARGS_SIZE_VER1) */
#define REGS_BYTES ((uint32_t) sizeof(struct user_regs_struct))

/* failedStep of CLONE_THREADS, SET_THREADS_CPU and LET_GO_THREADS, after those of THREAD_STATES */
enum restore_step { RS_WRITE_ARGS = 16, RS_CLONE, RS_CLONE_FAILED, RS_NO_CHILD, RS_CHILD_WAIT, RS_CHILD_STOP,
                    RS_SETXSTATE, RS_SETSIGMASK, RS_SETREGS, RS_DETACH, RS_SETOPTIONS, RS_CONT };

/*
 * CLONE_THREADS: clone3 run in thread pid once per new thread, each waited for in its first stop
 * (traced from birth: pid has PTRACE_O_TRACECLONE). A failure stops the batch: the threads made
 * so far stay traced with pid's options (a restore's: they die with the husk).
 */
static int do_clone_threads(struct cursor *c, struct answer *ans) {
    uint64_t insn = take(c, 8);
    pid_t pid = (pid_t) take(c, 4);
    uint64_t scratch = take(c, 8);
    long timeout = (long) take(c, 8);
    uint32_t n = (uint32_t) take(c, 4);
    if (c->bad || n == 0 || c->left < (size_t) n * 28) return -1;
    struct batch_failure f = {0, 0, 0, 0};
    pid_t *children = calloc(n, sizeof *children), *wanted = calloc(n, sizeof *wanted);
    if (!children || !wanted) abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int mem = open(path, O_RDWR | O_CLOEXEC);
    if (mem < 0) fail(&f, pid, RS_WRITE_ARGS, errno, 0);
    for (uint32_t i = 0; i < n; i++) {
        pid_t tid = (pid_t) take(c, 4);
        uint64_t flags = take(c, 8), tid_address = take(c, 8), tls = take(c, 8);
        if (f.tid != 0) continue; /* the rest of the request is read, not acted on */
        uint64_t args[11] = {flags, 0, tid_address, tid_address, 0 /* exit_signal: none for a thread */,
                             0, 0 /* stack: the new thread starts on its parent's stack pointer, and stopped */,
                             tls, tid ? scratch + CLONE_ARGS_BYTES : 0, tid ? 1 : 0, (uint64_t) (uint32_t) tid};
        if (pwrite(mem, args, sizeof args, (off_t) scratch) != (ssize_t) sizeof args) {
            fail(&f, tid, RS_WRITE_ARGS, errno, 0);
            continue;
        }
        long a[6] = {(long) scratch, CLONE_ARGS_BYTES, 0, 0, 0, 0};
        struct syscall_result r = remote_syscall(pid, insn, SYS_CLONE3_NR, a, timeout, SYSCALL_SPAWNS);
        if (r.outcome != SC_OK) {
            fail(&f, tid, RS_CLONE, r.err, r.status);
        } else if (r.rax < 0 && r.rax > -4096) {
            fail(&f, tid, RS_CLONE_FAILED, (int) -r.rax, 0);
        } else if (r.child <= 0) {
            fail(&f, tid, RS_NO_CHILD, 0, 0);
        } else {
            children[i] = r.child;
            wanted[i] = tid;
        }
    }
    if (mem >= 0) close(mem);
    /* each new thread reaches its first stop while the main thread makes the next: waited for last */
    for (uint32_t i = 0; i < n; i++) {
        if (children[i] <= 0) continue;
        int st = 0;
        pid_t w = wait_for(children[i], &st, timeout, 0);
        if (w != children[i]) {
            fail(&f, wanted[i], RS_CHILD_WAIT, w < 0 ? errno : 0, 0);
        } else if (!WIFSTOPPED(st) || (st >> 16) != PTRACE_EVENT_STOP) {
            fail(&f, wanted[i], RS_CHILD_STOP, 0, st);
        }
    }
    free(wanted);
    if (c->bad) {
        free(children);
        return -1;
    }
    if (f.tid != 0) {
        put_failure(ans, &f);
    } else {
        put(ans, 0, 8);
        put(ans, 0, 4);
        for (uint32_t i = 0; i < n; i++) put(ans, (uint32_t) children[i], 4);
    }
    free(children);
    return 0;
}

/*
 * SET_THREADS_CPU: xstate, signal mask and registers of many stopped threads, in that order (the
 * registers last, as a thread's own restore would). Stops at the first failure.
 */
static int do_set_threads_cpu(struct cursor *c, struct answer *ans) {
    uint32_t n = (uint32_t) take(c, 4);
    if (c->bad || n == 0) return -1;
    struct batch_failure f = {0, 0, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        pid_t tid = (pid_t) take(c, 4);
        const unsigned char *regs = take_bytes(c, REGS_BYTES);
        uint64_t mask = take(c, 8);
        uint32_t xlen = (uint32_t) take(c, 4);
        const unsigned char *xstate = xlen <= XSTATE_MAX ? take_bytes(c, xlen) : NULL;
        if (c->bad || !xstate) return -1;
        if (f.tid != 0) continue;
        struct user_regs_struct r;
        memcpy(&r, regs, sizeof r);
        unsigned char xbuf[XSTATE_MAX];
        memcpy(xbuf, xstate, xlen);
        struct iovec iov = {xbuf, xlen};
        if (xlen > 0 && ptrace(PTRACE_SETREGSET, tid, (void *) NT_X86_XSTATE, &iov) != 0) {
            fail(&f, tid, RS_SETXSTATE, errno, 0);
        } else if (ptrace(PTRACE_SETSIGMASK, tid, (void *) 8, &mask) != 0) {
            fail(&f, tid, RS_SETSIGMASK, errno, 0);
        } else if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0) {
            fail(&f, tid, RS_SETREGS, errno, 0);
        }
    }
    if (f.tid != 0) {
        put_failure(ans, &f);
    } else {
        put(ans, 0, 8);
        put(ans, 0, 4);
    }
    return 0;
}

#define LET_GO_DETACH 0
#define LET_GO_CONTINUE 1 /* PTRACE_SETOPTIONS, then PTRACE_CONT: runs on, still traced */
#define LET_GO_STOP_AT_FAILURE 1

/*
 * LET_GO_THREADS: lets stopped threads run, in the order given (the caller puts the main thread
 * last): detached, or continued with new options. A thread that cannot be let go is reported with
 * its errno; with STOP_AT_FAILURE the ones after it are not touched (ECANCELED).
 */
static int do_let_go_threads(struct cursor *c, struct answer *ans) {
    int mode = (int) take(c, 4);
    long options = (long) take(c, 4);
    int flags = (int) take(c, 4);
    uint32_t n;
    pid_t *tids;
    if (c->bad || read_tids(c, &n, &tids)) return -1;
    int stopped = 0;
    put(ans, 0, 8);
    put(ans, 0, 4);
    for (uint32_t i = 0; i < n; i++) {
        int err = 0;
        if (stopped) {
            err = ECANCELED;
        } else if (mode == LET_GO_DETACH) {
            if (ptrace(PTRACE_DETACH, tids[i], 0, 0) == 0) {
                drop(tids[i]);
            } else {
                err = errno;
            }
        } else if (ptrace(PTRACE_SETOPTIONS, tids[i], 0, (void *) options) != 0
                || ptrace(PTRACE_CONT, tids[i], 0, 0) != 0) {
            err = errno;
        } else {
            struct tracee *t = find(tids[i]);
            if (t) {
                t->exitkill = (options & PTRACE_O_EXITKILL) != 0;
                t->running = 1;
                t->stepped = 0;
            }
        }
        if (err && (flags & LET_GO_STOP_AT_FAILURE)) stopped = 1;
        put(ans, (uint32_t) err, 4);
    }
    free(tids);
    return 0;
}

/*
 * TASK_STATUS: /proc/PID/task/TID/status of many threads. Read by the agent one file at a time,
 * each cost several times the kernel's own work of making it.
 */
static int do_task_status(struct cursor *c, struct answer *ans) {
    pid_t pid = (pid_t) take(c, 4);
    uint32_t n;
    pid_t *tids;
    if (c->bad || read_tids(c, &n, &tids)) return -1;
    put(ans, 0, 8);
    put(ans, 0, 4);
    char path[64];
    unsigned char buf[16384];
    for (uint32_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tids[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t len = 0;
        int err = fd < 0 ? errno : 0;
        while (fd >= 0 && len < sizeof buf) {
            ssize_t r = read(fd, buf + len, sizeof buf - len);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) err = errno;
            if (r <= 0) break;
            len += (size_t) r;
        }
        if (fd >= 0) close(fd);
        if (err) len = 0;
        put(ans, (uint32_t) err, 4);
        put(ans, (uint32_t) len, 4);
        put_bytes(ans, buf, len);
    }
    free(tids);
    return 0;
}

int main(void) {
    /* Ctrl-C, a closed terminal or a group kill aimed at the agent must not reach us */
    setsid();
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom >= 0) {
        if (write(oom, "-1000", 5) < 0) { /* not root: the OOM killer may choose us like anyone */ }
        close(oom);
    }
    unsigned char *msg = malloc(MAX_MESSAGE);
    if (!msg) abort();
    struct answer ans = {0};
    for (;;) {
        unsigned char h[8];
        if (read_fully(0, h, 8)) break;
        uint32_t len = (uint32_t) (h[0] | h[1] << 8 | h[2] << 16 | (uint32_t) h[3] << 24);
        uint32_t op = (uint32_t) (h[4] | h[5] << 8 | h[6] << 16 | (uint32_t) h[7] << 24);
        if (len > MAX_MESSAGE || read_fully(0, msg, len)) break;
        struct cursor c = {msg, len, 0};
        ans.len = 0;
        int bad;
        switch (op) {
            case OP_PTRACE: bad = do_ptrace(&c, &ans); break;
            case OP_WAIT: bad = do_wait(&c, &ans); break;
            case OP_SYSCALL: bad = do_syscall(&c, &ans); break;
            case OP_GUARD_MEMORY:
            case OP_GUARD_MAPPING:
            case OP_UNGUARD: bad = do_guard(&c, &ans, (int) op); break;
            case OP_SPAWN: bad = do_spawn(&c, &ans); break;
            case OP_GUARD_REPAIR: bad = do_guard_repair(&c, &ans); break;
            case OP_GUARD_REPAIRS: bad = do_guard_repairs(&c, &ans); break;
            case OP_UNGUARDS: bad = do_unguards(&c, &ans); break;
            case OP_STOP_THREADS: bad = do_stop_threads(&c, &ans); break;
            case OP_THREAD_STATES: bad = do_thread_states(&c, &ans); break;
            case OP_PARALLEL_SYSCALL: bad = do_parallel_syscall(&c, &ans); break;
            case OP_CLONE_THREADS: bad = do_clone_threads(&c, &ans); break;
            case OP_SET_THREADS_CPU: bad = do_set_threads_cpu(&c, &ans); break;
            case OP_LET_GO_THREADS: bad = do_let_go_threads(&c, &ans); break;
            case OP_TASK_STATUS: bad = do_task_status(&c, &ans); break;
            default: bad = -1;
        }
        if (bad) {
            fprintf(stderr, "cryostash-tracer: malformed request (op %u, %u bytes)\n", op, len);
            break;
        }
        if (send_answer(&ans)) break;
    }
    release_all();
    return 0;
}
