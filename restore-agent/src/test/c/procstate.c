// SPDX-License-Identifier: Apache-2.0
/*
 * Process-wide state: cwd, umask, a lowered RLIMIT_NOFILE soft limit, comm, credentials,
 * and what /proc/self/cmdline, environ and exe say. After restore every one reads the same
 * and malloc works. Run it as nobody to check that credentials come back (never root).
 */
#include "fixture.h"
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static char *slurp(const char *path, size_t *len) {
    static char bufs[4][8192];
    static int next;
    char *b = bufs[next++ % 4];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, b, sizeof bufs[0]) : -1;
    if (fd >= 0) close(fd);
    *len = n < 0 ? 0 : (size_t) n;
    return b;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/sub dir", fx_dir);
    mkdir(sub, 0777);
    FX_CHECK(chdir(sub) == 0, "chdir");
    umask(027);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t hard = rl.rlim_max;
    rl.rlim_cur = 100;
    FX_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");
    prctl(PR_SET_NAME, "cryo-procstate");
    uid_t uid = getuid(), euid = geteuid();
    gid_t gid = getgid(), egid = getegid();

    size_t cl, el;
    char *cmd = slurp("/proc/self/cmdline", &cl);
    char cmd_before[8192];
    memcpy(cmd_before, cmd, cl);
    char *env = slurp("/proc/self/environ", &el);
    char env_before[8192];
    memcpy(env_before, env, el);
    char exe_before[4096] = {0}, exe_after[4096] = {0};
    readlink("/proc/self/exe", exe_before, sizeof exe_before - 1);

    fx_ready();
    fx_wait();

    char cwd[4096];
    FX_CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, sub) == 0, "cwd %s, want %s", cwd, sub);
    mode_t m = umask(0);
    FX_CHECK(m == 027, "umask %o", m);
    umask(m);
    getrlimit(RLIMIT_NOFILE, &rl);
    FX_CHECK(rl.rlim_cur == 100 && rl.rlim_max == hard, "RLIMIT_NOFILE %ld/%ld", (long) rl.rlim_cur,
             (long) rl.rlim_max);
    char name[32] = {0};
    prctl(PR_GET_NAME, name);
    FX_CHECK(strcmp(name, "cryo-procstate") == 0, "comm %s", name);
    FX_CHECK(getuid() == uid && geteuid() == euid && getgid() == gid && getegid() == egid,
             "ids %d/%d/%d/%d, were %d/%d/%d/%d", getuid(), geteuid(), getgid(), getegid(), uid, euid, gid, egid);

    size_t cl2, el2;
    char *cmd2 = slurp("/proc/self/cmdline", &cl2);
    FX_CHECK(cl2 == cl && memcmp(cmd2, cmd_before, cl) == 0, "cmdline differs (%zu vs %zu bytes)", cl2, cl);
    char *env2 = slurp("/proc/self/environ", &el2);
    FX_CHECK(el2 == el && memcmp(env2, env_before, el) == 0, "environ differs (%zu vs %zu bytes)", el2, el);
    readlink("/proc/self/exe", exe_after, sizeof exe_after - 1);
    FX_CHECK(strcmp(exe_before, exe_after) == 0, "exe %s, was %s", exe_after, exe_before);
    const char *v = getenv("CRYO_FIXTURE_VAR");
    FX_CHECK(v && strcmp(v, "kept across restore") == 0, "getenv: %s", v ? v : "(null)");
    FX_CHECK(argc > 2 && strcmp(argv[2], "an argument") == 0, "argv[2]");
    for (int i = 0; i < 100; i++) {
        char *p = malloc(100000);
        FX_CHECK(p, "malloc");
        memset(p, 1, 100000);
    }
    int fd = open("created-after-restore", O_WRONLY | O_CREAT, 0666);
    FX_CHECK(fd >= 0, "create in cwd: %s", strerror(errno));
    close(fd);
    fx_pass_with("uid=%d", (int) getuid());
}
