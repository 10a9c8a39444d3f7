// SPDX-License-Identifier: Apache-2.0
/*
 * A TCP server whose client keeps sending: a listener on 127.0.0.1 (port in <dir>/port) accepts
 * one client and reads from it all the time (no SIGUSR1 needed), checking that byte n of the
 * stream is n % 251. When the client shuts its side down, the server answers "got <n>\n" with
 * the number of bytes it read and passes with that number; any error or wrong byte fails.
 */
#include "fixture.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    FX_CHECK(bind(ls, (struct sockaddr *) &a, len) == 0 && listen(ls, 1) == 0, "listen");
    getsockname(ls, (struct sockaddr *) &a, &len);
    fx_report("port", "%d\n", ntohs(a.sin_port));
    int c = accept(ls, NULL, NULL);
    FX_CHECK(c >= 0, "accept: %s", strerror(errno));
    fx_ready();
    long total = 0;
    char buf[65536];
    for (;;) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        FX_CHECK(n >= 0, "read after %ld bytes: %s", total, strerror(errno));
        if (n == 0) {
            break;
        }
        for (ssize_t i = 0; i < n; i++, total++) {
            FX_CHECK((unsigned char) buf[i] == total % 251, "byte %ld is %d, not %ld", total, (unsigned char) buf[i],
                    total % 251);
        }
    }
    char line[64];
    int l = snprintf(line, sizeof line, "got %ld\n", total);
    FX_CHECK(write(c, line, l) == l, "answer: %s", strerror(errno));
    fx_pass_with("%ld", total);
}
