// SPDX-License-Identifier: Apache-2.0
/*
 * Many threads, each with state of its own that restore must give back to that very thread:
 * 63 workers, each with its own signal mask (SIGUSR1 and a pattern of six more signals taken
 * from its index: 63 different masks), gs base (arch_prctl(ARCH_SET_GS)), fs base and __thread
 * value, robust list and rseq registration (glibc's), and, in general-purpose and vector
 * registers, values made from its index, held across a loop of nanosleep system calls in which
 * it is frozen. Odd workers have names of their own; even ones keep the name they inherited from
 * the main thread. Every eighth has an alternate signal stack; the others must have none.
 * After restore each worker checks all of it itself; the main thread joins them all.
 */
#include "threads.h"
#include <asm/prctl.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/rseq.h>

#define WORKERS 63
#define ALT_SIZE (64 * 1024)
#ifndef RSEQ_SIG
#define RSEQ_SIG 0x53053053
#endif

struct expected {
    unsigned long fs, gs;
    void *robust_head;
    size_t robust_len;
    unsigned rseq_len; /* the length glibc registered rseq with (0: none) */
    char name[16];
};

static volatile pid_t tids[WORKERS];
static struct expected expect[WORKERS];
static char failure[WORKERS][200];
static volatile int phase; /* 0 set up, 1 restored: check, 2 checked */
static volatile int ready_count, checked_count;
static __thread long tls_value;
static char *alt[WORKERS];

static sigset_t mask_of(long i) {
    static const int more[6] = {SIGUSR2, SIGWINCH, SIGPIPE, SIGALRM, SIGCHLD, SIGPROF};
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1); /* the test's "check now" goes to the main thread */
    for (int b = 0; b < 6; b++) {
        if (i & (1L << b)) sigaddset(&m, more[b]);
    }
    sigaddset(&m, SIGRTMIN + (int) (i % 8)); /* and one real-time signal */
    return m;
}

static void *rseq_area(void) {
    char *tp;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(tp));
    return tp + __rseq_offset;
}

/* Registering again with the very same area, length and signature answers EBUSY: registered. */
static int rseq_registered_with(unsigned len) {
    return syscall(SYS_rseq, rseq_area(), len, 0, RSEQ_SIG) == -1 && errno == EBUSY;
}

static unsigned long pattern(long i, int reg) {
    return 0x5a00000000000000UL | ((unsigned long) i << 32) | (unsigned long) reg;
}

/*
 * Holds values made from i in rbx, r8-r10, r12-r15 and xmm6 across nanosleep calls until phase
 * leaves 0 (the kernel keeps all of them across a system call); a thread is frozen in here.
 * Returns the first register that came out wrong, or NULL.
 */
static const char *hold_registers(long i) {
    register unsigned long r8 __asm__("r8") = pattern(i, 8);
    register unsigned long r9 __asm__("r9") = pattern(i, 9);
    register unsigned long r10 __asm__("r10") = pattern(i, 10);
    register unsigned long r12 __asm__("r12") = pattern(i, 12);
    register unsigned long r13 __asm__("r13") = pattern(i, 13);
    register unsigned long r14 __asm__("r14") = pattern(i, 14);
    register unsigned long r15 __asm__("r15") = pattern(i, 15);
    unsigned long rbx_out = 0, xmm_out = 0, x = pattern(i, 6), b = pattern(i, 3);
    struct timespec ts = {0, 5 * 1000 * 1000};
    __asm__ volatile(
        "movq %[x], %%xmm6\n\t"
        "movq %[b], %%rbx\n\t"
        "1:\n\t"
        "movl $35, %%eax\n\t" /* nanosleep(&ts, NULL) */
        "movq %[ts], %%rdi\n\t"
        "xorl %%esi, %%esi\n\t"
        "syscall\n\t"
        "cmpl $0, %[phase]\n\t"
        "je 1b\n\t"
        "movq %%rbx, %[rbx_out]\n\t"
        "movq %%xmm6, %[xmm_out]\n\t"
        : "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15),
          [rbx_out] "=m"(rbx_out), [xmm_out] "=m"(xmm_out)
        : [x] "m"(x), [b] "m"(b), [ts] "r"(&ts), [phase] "m"(phase)
        : "rax", "rcx", "r11", "rdi", "rsi", "rbx", "xmm6", "memory");
    if (r8 != pattern(i, 8)) return "r8";
    if (r9 != pattern(i, 9)) return "r9";
    if (r10 != pattern(i, 10)) return "r10";
    if (r12 != pattern(i, 12)) return "r12";
    if (r13 != pattern(i, 13)) return "r13";
    if (r14 != pattern(i, 14)) return "r14";
    if (r15 != pattern(i, 15)) return "r15";
    if (rbx_out != pattern(i, 3)) return "rbx";
    if (xmm_out != pattern(i, 6)) return "xmm6";
    return NULL;
}

static void *worker(void *arg) {
    long i = (long) arg;
    struct expected *e = &expect[i];
    tids[i] = th_gettid();
    tls_value = 1000 + i * 7;
    unsigned long gs = 0x7e0000000000UL + ((unsigned long) i << 12);
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, gs) != 0) fx_fail("ARCH_SET_GS: %s", strerror(errno));
    e->gs = gs;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &e->fs);
    if (i % 2) {
        char name[16];
        snprintf(name, sizeof name, "many-%ld", i);
        prctl(PR_SET_NAME, name);
    }
    prctl(PR_GET_NAME, e->name);
    if (i % 8 == 3) {
        stack_t ss = {.ss_sp = alt[i], .ss_size = ALT_SIZE, .ss_flags = 0};
        sigaltstack(&ss, NULL);
    }
    syscall(SYS_get_robust_list, 0, &e->robust_head, &e->robust_len);
    e->rseq_len = rseq_registered_with(32) ? 32 : rseq_registered_with(20) ? 20 : 0;
    sigset_t mask = mask_of(i);
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    __sync_fetch_and_add(&ready_count, 1);

    const char *wrong = hold_registers(i);
    char *f = failure[i];
    unsigned long fs = 0, gs_now = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_now);
    sigset_t now;
    sigemptyset(&now);
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    char name[16] = "";
    prctl(PR_GET_NAME, name);
    stack_t ss;
    sigaltstack(NULL, &ss);
    void *head = NULL;
    size_t len = 0;
    syscall(SYS_get_robust_list, 0, &head, &len);
    if (wrong) snprintf(f, 200, "register %s lost its value", wrong);
    else if (th_gettid() != tids[i]) snprintf(f, 200, "gettid %d, was %d", (int) th_gettid(), (int) tids[i]);
    else if (fs != e->fs) snprintf(f, 200, "fs base %lx, was %lx", fs, e->fs);
    else if (gs_now != e->gs) snprintf(f, 200, "gs base %lx, was %lx", gs_now, e->gs);
    else if (tls_value != 1000 + i * 7) snprintf(f, 200, "TLS value %ld", tls_value);
    else if (memcmp(&now, &mask, 8) != 0 /* the kernel's 64 signals */) snprintf(f, 200, "signal mask changed");
    else if (strcmp(name, e->name) != 0) snprintf(f, 200, "name %s, was %s", name, e->name);
    else if (i % 8 == 3 && (ss.ss_sp != alt[i] || ss.ss_size != ALT_SIZE || (ss.ss_flags & SS_DISABLE)))
        snprintf(f, 200, "alternate stack lost");
    else if (i % 8 != 3 && !(ss.ss_flags & SS_DISABLE)) snprintf(f, 200, "an alternate stack it never had");
    else if (head != e->robust_head || len != e->robust_len)
        snprintf(f, 200, "robust list %p/%zu, was %p/%zu", head, len, e->robust_head, e->robust_len);
    else if (e->rseq_len && !rseq_registered_with(e->rseq_len)) snprintf(f, 200, "rseq no longer registered");
    __sync_fetch_and_add(&checked_count, 1);
    while (phase < 2) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    for (int i = 0; i < WORKERS; i++) alt[i] = malloc(ALT_SIZE);
    pthread_t t[WORKERS];
    for (long i = 0; i < WORKERS; i++) t[i] = th_start(worker, (void *) i);
    while (ready_count < WORKERS) sched_yield();
    th_report_tids(tids, WORKERS);
    fx_ready();
    fx_wait();

    phase = 1;
    for (int k = 0; k < 10000 && checked_count < WORKERS; k++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    FX_CHECK(checked_count == WORKERS, "only %d of %d workers came out of their loop", checked_count, WORKERS);
    for (int i = 0; i < WORKERS; i++) FX_CHECK(failure[i][0] == 0, "worker %d: %s", i, failure[i]);
    phase = 2;
    for (int i = 0; i < WORKERS; i++) th_join(t[i], "a worker");
    fx_pass_with("workers=%d", WORKERS);
}
