// SPDX-License-Identifier: Apache-2.0
/*
 * The vDSO: clock_gettime (glibc calls into the vDSO at the address it cached at start-up)
 * keeps working after restore and CLOCK_MONOTONIC does not go back. The program spins in
 * user space calling clock_gettime, so it is usually frozen outside any system call.
 */
#include "fixture.h"
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>


int main(int argc, char **argv) {
    fx_init(argc, argv);
    struct timespec first, prev, now;
    clock_gettime(CLOCK_MONOTONIC, &first);
    prev = first;
    unsigned long vdso = getauxval(AT_SYSINFO_EHDR);
    long calls = 0;
    fx_ready();
    while (!fx_go) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        calls++;
        if (now.tv_sec < prev.tv_sec || (now.tv_sec == prev.tv_sec && now.tv_nsec < prev.tv_nsec))
            fx_fail("CLOCK_MONOTONIC went back from %ld.%09ld to %ld.%09ld", prev.tv_sec, prev.tv_nsec,
                    now.tv_sec, now.tv_nsec);
        prev = now;
    }
    FX_CHECK(getauxval(AT_SYSINFO_EHDR) == vdso, "AT_SYSINFO_EHDR moved");
    /* the vDSO is still where the auxv says */
    char line[512], want[32];
    snprintf(want, sizeof want, "%lx-", vdso);
    int found = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    while (fgets(line, sizeof line, f)) if (strncmp(line, want, strlen(want)) == 0 && strstr(line, "[vdso]")) found = 1;
    fclose(f);
    FX_CHECK(found, "no [vdso] at %lx", vdso);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    usleep(20000);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long gap = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    FX_CHECK(gap >= 15000000LL && gap < 5000000000LL, "20 ms sleep measured as %lld ns", gap);
    struct timeval tv;
    FX_CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_sec > 1700000000, "gettimeofday %ld", (long) tv.tv_sec);
    FX_CHECK(time(NULL) > 1700000000, "time()");
    fx_pass_with("calls=%ld monotonic_ns=%lld", calls,
                 (long long) ((b.tv_sec - first.tv_sec) * 1000000000LL + (b.tv_nsec - first.tv_nsec)));
}
