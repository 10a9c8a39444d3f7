// SPDX-License-Identifier: Apache-2.0
/*
 * An inotify instance with watches 1 (the directory: create, delete), 2 (a file: modify), a
 * removed watch 3, and 4 (another file): after restore the same numbers must stand for the same
 * paths, events must arrive with them, and no stray event (such as IN_IGNORED) may be queued.
 */
#include "fixture.h"
#include <sys/inotify.h>
#include <sys/stat.h>

static void put(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t) strlen(text), "write %s", path);
    close(fd);
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    /* a directory of its own: the fixture's ready and result files must not make events */
    char dir[4096], file[4096], other[4096], gone[4096];
    snprintf(dir, sizeof dir, "%s/w", fx_dir);
    FX_CHECK(mkdir(dir, 0777) == 0 || errno == EEXIST, "mkdir");
    int in = inotify_init1(IN_NONBLOCK);
    snprintf(file, sizeof file, "%s/file", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    snprintf(gone, sizeof gone, "%s/gone", dir);
    char created_path[4200];
    snprintf(created_path, sizeof created_path, "%s/new", dir);
    put(file, "x\n");
    put(other, "y\n");
    put(gone, "z\n");
    int w1 = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
    int w2 = inotify_add_watch(in, file, IN_MODIFY);
    int w3 = inotify_add_watch(in, gone, IN_MODIFY);
    inotify_rm_watch(in, w3);
    int w4 = inotify_add_watch(in, other, IN_ATTRIB);
    FX_CHECK(w1 == 1 && w2 == 2 && w3 == 3 && w4 == 4, "watch numbers %d %d %d %d", w1, w2, w3, w4);
    char buf[4096] __attribute__((aligned(8)));
    while (read(in, buf, sizeof buf) > 0) { } /* the IN_IGNORED of watch 3 */
    fx_ready();
    fx_wait();
    FX_CHECK(read(in, buf, sizeof buf) == -1 && errno == EAGAIN, "events queued after restore (or blocking)");
    FX_CHECK(inotify_add_watch(in, dir, IN_CREATE | IN_DELETE | IN_MASK_ADD) == 1, "directory is not watch 1");
    FX_CHECK(inotify_add_watch(in, other, IN_ATTRIB | IN_MASK_ADD) == 4, "other is not watch 4");
    put(created_path, "n\n");
    int fd = open(file, O_WRONLY | O_APPEND);
    FX_CHECK(write(fd, "more\n", 5) == 5, "modify");
    close(fd);
    ssize_t n = read(in, buf, sizeof buf);
    FX_CHECK(n > 0, "no events after restore");
    int created = 0, modified = 0;
    for (char *p = buf; p < buf + n; ) {
        struct inotify_event *ev = (struct inotify_event *) p;
        if (ev->wd == 1 && (ev->mask & IN_CREATE) && strcmp(ev->name, "new") == 0) created = 1;
        if (ev->wd == 2 && (ev->mask & IN_MODIFY)) modified = 1;
        FX_CHECK(ev->wd == 1 || ev->wd == 2, "event for watch %d mask %#x", ev->wd, ev->mask);
        p += sizeof *ev + ev->len;
    }
    FX_CHECK(created && modified, "created %d modified %d", created, modified);
    fx_pass();
}
