// SPDX-License-Identifier: Apache-2.0
/*
 * Holds a netlink socket at descriptor 7, a kind Cryostash will not save: capture must refuse,
 * naming fd 7, unless the user gives it up. argv[2] says what the test expects after restore:
 * "closed" (fd 7 is not open), "redirected" (fd 7 is a file the restore made, writable), or
 * "running" (no restore: the refused capture must have left the process as it was).
 */
#include "fixture.h"
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    const char *expect = argc > 2 ? argv[2] : "running";
    int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    FX_CHECK(nl >= 0, "netlink socket: %s", strerror(errno));
    FX_CHECK(dup2(nl, 7) == 7, "dup2");
    close(nl);
    fx_ready();
    fx_wait();
    struct stat st;
    int r = fstat(7, &st);
    if (strcmp(expect, "running") == 0) {
        FX_CHECK(r == 0 && S_ISSOCK(st.st_mode), "fd 7 is no longer the socket");
    } else if (strcmp(expect, "closed") == 0) {
        FX_CHECK(r == -1 && errno == EBADF, "fd 7 is open after restore (expected closed)");
    } else {
        FX_CHECK(r == 0 && S_ISREG(st.st_mode), "fd 7 is not the restore's log file");
        FX_CHECK(write(7, "to the log\n", 11) == 11, "write to the redirected fd 7: %s", strerror(errno));
    }
    fx_pass();
}
