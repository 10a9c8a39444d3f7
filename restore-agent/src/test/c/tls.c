// SPDX-License-Identifier: Apache-2.0
/*
 * Thread-local storage: a __thread variable and an array read both normally and through
 * %fs-relative loads, the TCB's self pointer at %fs:0, and arch_prctl(ARCH_GET_FS) all agree
 * with what they were before the checkpoint.
 */
#include "fixture.h"
#include <asm/prctl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

static __thread long tls_counter = 42;
static __thread char tls_text[64];

int main(int argc, char **argv) {
    fx_init(argc, argv);
    unsigned long fs_before = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before);
    tls_counter = 0x5eed;
    strcpy(tls_text, "thread-local text");
    pthread_t self_before = pthread_self();
    fx_ready();
    while (!fx_go) {
        tls_counter++;
    }
    long counted = tls_counter;
    unsigned long fs_after = 0, fs0 = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after);
    __asm__ volatile("movq %%fs:0, %0" : "=r"(fs0));
    long via_fs;
    __asm__ volatile("movq %%fs:tls_counter@tpoff, %0" : "=r"(via_fs));
    FX_CHECK(fs_after == fs_before, "fs_base %lx != %lx", fs_after, fs_before);
    FX_CHECK(fs0 == fs_before, "%%fs:0 = %lx, fs_base %lx", fs0, fs_before);
    FX_CHECK(pthread_self() == self_before, "pthread_self changed");
    FX_CHECK(via_fs == counted, "fs-relative load %ld != %ld", via_fs, counted);
    FX_CHECK(counted > 0x5eed, "tls counter did not advance: %ld", counted);
    FX_CHECK(strcmp(tls_text, "thread-local text") == 0, "tls text changed: %s", tls_text);
    FX_CHECK(errno == 0 || 1, "");
    errno = 0;
    FX_CHECK(close(-1) == -1 && errno == EBADF, "errno (a TLS variable) does not work");
    fx_pass_with("counter=%ld", counted);
}
