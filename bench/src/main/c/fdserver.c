// SPDX-License-Identifier: Apache-2.0
/*
 * A server holding many descriptors: fdserver <out-file> <connections> <descriptors>.
 * Listens on 127.0.0.1 (port written to <out-file>), accepts <connections> clients, then opens
 * pipes to itself (two descriptors each) and eventfds until it holds <descriptors> in all, writes
 * "ready <port>" and waits. On SIGUSR1 it writes "ok\n" to every client and "done" to the file.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t go;
static void on_usr1(int s) { (void) s; go = 1; }

static void report(const char *path, const char *text) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) exit(90);
    fputs(text, f);
    fclose(f);
    rename(tmp, path);
}

int main(int argc, char **argv) {
    int conns = atoi(argv[2]), total = atoi(argv[3]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    signal(SIGUSR1, on_usr1);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(ls, (struct sockaddr *) &a, len) || listen(ls, 4096)) exit(91);
    getsockname(ls, (struct sockaddr *) &a, &len);
    char text[64];
    snprintf(text, sizeof text, "port %d\n", ntohs(a.sin_port));
    report(argv[1], text);
    int *clients = calloc(conns + 1, sizeof(int));
    for (int i = 0; i < conns; i++) {
        clients[i] = accept(ls, NULL, NULL);
        if (clients[i] < 0) exit(92);
    }
    int held = 4 + conns; /* stdio, the listener, the connections */
    for (int i = 0; held + 2 <= total; i++, held++) {
        if (i % 10 == 9) {
            if (eventfd(i, 0) < 0) exit(93);
        } else {
            int p[2];
            if (pipe(p)) exit(94);
            held++;
        }
    }
    snprintf(text, sizeof text, "ready %d\n", ntohs(a.sin_port));
    report(argv[1], text);
    while (!go) pause();
    for (int i = 0; i < conns; i++) {
        if (write(clients[i], "ok\n", 3) != 3) exit(95);
    }
    report(argv[1], "done\n");
    pause();
    return 0;
}
