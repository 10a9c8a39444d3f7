// SPDX-License-Identifier: Apache-2.0
/*
 * cryostash-client: hands one command line to a running `cryostash daemon` (a warm JVM) over
 * its Unix socket and plays back what it says, so that a command costs the work it does and
 * not a JVM's start, class loading and compilation (issue 14). The ./cryostash launcher runs it
 * first when the daemon's socket exists; exit status 111 with nothing written means "not
 * served here" (no daemon, a command the daemon does not run, a different environment, an
 * older build) and the launcher runs the command in a JVM of its own.
 *
 * Usage: cryostash-client SOCKET ARGS...
 *
 * Request (big-endian): u32 magic 'CST1', u32 flags (bit 0: stdout is a terminal, bit 1: stderr
 * is), the arguments (u32 count, then each as u32 length + bytes), the working directory, the
 * environment (same form). Reply: frames of u8 kind + u32 length + payload: 'S' started (sent
 * before the command runs: from then on it is never run a second time here), 'O' standard
 * output, 'E' standard error, 'X' exit status (u32), 'F' not served (instead of 'S'). The client writes nothing
 * more after its request; closing the connection (it exits, or a signal kills it) tells the
 * daemon the caller is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

#define NOT_SERVED 111
#define MAGIC 0x43535431u

struct buf {
    char *data;
    size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) { perror("cryostash-client"); exit(NOT_SERVED); }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_u32(struct buf *b, uint32_t v) {
    unsigned char x[4] = {v >> 24, v >> 16, v >> 8, v};
    put(b, x, 4);
}

static void put_str(struct buf *b, const char *s) {
    size_t n = strlen(s);
    put_u32(b, (uint32_t) n);
    put(b, s, n);
}

static int read_full(int fd, void *p, size_t n) {
    char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        c += r;
        n -= (size_t) r;
    }
    return 0;
}

static int write_full(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t r = write(fd, c, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        c += r;
        n -= (size_t) r;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: cryostash-client SOCKET ARGS...\n");
        return NOT_SERVED;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof addr.sun_path) return NOT_SERVED;
    strcpy(addr.sun_path, argv[1]);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *) &addr, sizeof addr) < 0) return NOT_SERVED;
    // only a daemon of this user: one run by another user (root with another user's $HOME, say)
    // would run the command with that user's rights and could answer anything
    struct ucred peer;
    socklen_t peer_len = sizeof peer;
    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) < 0 || peer.uid != geteuid()) {
        close(s);
        return NOT_SERVED;
    }

    struct buf b = {0};
    put_u32(&b, MAGIC);
    put_u32(&b, (isatty(1) ? 1u : 0u) | (isatty(2) ? 2u : 0u));
    put_u32(&b, (uint32_t) (argc - 2));
    for (int i = 2; i < argc; i++) put_str(&b, argv[i]);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return NOT_SERVED;
    put_str(&b, cwd);
    uint32_t envc = 0;
    for (char **e = environ; *e; e++) envc++;
    put_u32(&b, envc);
    for (char **e = environ; *e; e++) put_str(&b, *e);
    if (write_full(s, b.data, b.len) < 0) return NOT_SERVED;
    free(b.data);

    int answered = 0;
    unsigned char *payload = NULL;
    size_t payload_cap = 0;
    for (;;) {
        unsigned char head[5];
        if (read_full(s, head, sizeof head) < 0) break;
        uint32_t n = (uint32_t) head[1] << 24 | (uint32_t) head[2] << 16 | (uint32_t) head[3] << 8 | head[4];
        if (n > (64u << 20)) break;
        if (n > payload_cap) {
            free(payload);
            payload = malloc(n);
            if (!payload) break;
            payload_cap = n;
        }
        if (read_full(s, payload, n) < 0) break;
        switch (head[0]) {
            case 'S':
                answered = 1;
                break;
            case 'O':
            case 'E':
                if (!answered) goto broken;
                // a closed stdout (e.g. `| head`) ends nothing here: the daemon finishes the command
                (void) write_full(head[0] == 'O' ? 1 : 2, payload, n);
                break;
            case 'X':
                if (n != 4) goto broken;
                return (int) ((uint32_t) payload[0] << 24 | (uint32_t) payload[1] << 16 | (uint32_t) payload[2] << 8
                              | payload[3]) & 0xff;
            case 'F':
                if (answered) goto broken;
                return NOT_SERVED;
            default:
                goto broken;
        }
    }
broken:
    if (!answered) return NOT_SERVED;
    fprintf(stderr, "cryostash: the daemon at %s stopped answering in the middle of the command;"
                    " its outcome is unknown (see the daemon's log)\n", argv[1]);
    return 1;
}
