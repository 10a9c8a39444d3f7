// SPDX-License-Identifier: Apache-2.0
/*
 * SysV IPC in use: a keyed segment attached twice (read-write with a page unmapped in the
 * middle, and read-only), a private segment removed while attached, a semaphore set used as a
 * counter and a message queue holding three messages. Keys are 0x63000000 + pid, so runs do
 * not meet; ids are reported in "shmid", "semid", "msqid" and the private segment's in "privid".
 * After SIGUSR1 every object is used through the ids the program holds: contents equal,
 * attachments where and as they were, the counter goes on, the messages come in order.
 * "keep" as argument leaves the objects behind on exit (the test removes them), otherwise they
 * are removed.
 */
#include "fixture.h"
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define PAGE 4096
#define SEG_SIZE (3 * PAGE + 100)

union semun { int val; struct semid_ds *buf; unsigned short *array; };
struct message { long type; char text[32]; };

static int counter_add(int semid, int n) {
    struct sembuf op = {.sem_num = 0, .sem_op = (short) n, .sem_flg = 0};
    return semop(semid, &op, 1);
}

static void send_text(int q, long type, const char *text) {
    struct message m = {.type = type};
    strcpy(m.text, text);
    FX_CHECK(msgsnd(q, &m, strlen(text) + 1, IPC_NOWAIT) == 0, "msgsnd: %s", strerror(errno));
}

/* The permissions /proc/self/maps shows for the mapping that starts at addr, or "" */
static const char *perms_at(void *addr) {
    static char perms[8];
    char line[512];
    perms[0] = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    while (f && fgets(line, sizeof line, f)) {
        unsigned long start;
        char p[8];
        if (sscanf(line, "%lx-%*x %4s", &start, p) == 2 && start == (unsigned long) addr) {
            strcpy(perms, p);
        }
    }
    if (f) {
        fclose(f);
    }
    return perms;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int keep = argc > 2 && strcmp(argv[2], "keep") == 0;
    key_t key = 0x63000000 + getpid();

    int shmid = shmget(key, SEG_SIZE, IPC_CREAT | IPC_EXCL | 0640);
    FX_CHECK(shmid >= 0, "shmget: %s", strerror(errno));
    char *rw = shmat(shmid, NULL, 0);
    FX_CHECK(rw != (void *) -1, "shmat rw");
    char *ro = shmat(shmid, NULL, SHM_RDONLY);
    FX_CHECK(ro != (void *) -1, "shmat ro");
    for (int i = 0; i < SEG_SIZE; i++) {
        rw[i] = (char) (i * 7 + 1);
    }
    strcpy(rw, "shared before");

    int privid = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
    char *priv = shmat(privid, NULL, 0);
    FX_CHECK(privid >= 0 && priv != (void *) -1, "private segment");
    FX_CHECK(shmctl(privid, IPC_RMID, NULL) == 0, "IPC_RMID of the private segment");
    strcpy(priv, "private");
    /* after the last shmat, which would otherwise be placed in the hole */
    FX_CHECK(munmap(rw + 2 * PAGE, PAGE) == 0, "munmap of a page of the attachment");

    int semid = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    FX_CHECK(semid >= 0, "semget: %s", strerror(errno));
    unsigned short init[2] = {5, 3};
    union semun arg = {.array = init};
    FX_CHECK(semctl(semid, 0, SETALL, arg) == 0, "SETALL");
    FX_CHECK(counter_add(semid, 1) == 0 && counter_add(semid, 1) == 0, "semop"); /* counter at 7 */

    int msqid = msgget(key, IPC_CREAT | IPC_EXCL | 0620);
    FX_CHECK(msqid >= 0, "msgget: %s", strerror(errno));
    send_text(msqid, 1, "first");
    send_text(msqid, 2, "second");
    send_text(msqid, 1, "third");

    fx_report("shmid", "%d\n", shmid);
    fx_report("privid", "%d\n", privid);
    fx_report("semid", "%d\n", semid);
    fx_report("msqid", "%d\n", msqid);
    fx_report("key", "%d\n", (int) key);
    fx_ready();
    fx_wait();

    /* the keyed segment: same id and key, contents, both attachments as they were */
    struct shmid_ds ds;
    FX_CHECK(shmctl(shmid, IPC_STAT, &ds) == 0, "IPC_STAT of shm id %d: %s", shmid, strerror(errno));
    FX_CHECK(ds.shm_perm.__key == key && (ds.shm_perm.mode & 0777) == 0640 && ds.shm_segsz == SEG_SIZE,
             "segment key %x mode %o size %zu", ds.shm_perm.__key, ds.shm_perm.mode, ds.shm_segsz);
    FX_CHECK(strcmp(rw, "shared before") == 0 && strcmp(ro, "shared before") == 0, "segment text '%s'", ro);
    for (int i = 16; i < SEG_SIZE; i++) {
        FX_CHECK(ro[i] == (char) (i * 7 + 1), "segment byte %d", i);
    }
    strcpy(rw, "shared after");
    FX_CHECK(strcmp(ro, "shared after") == 0, "the two attachments no longer share the segment");
    FX_CHECK(strcmp(perms_at(rw), "rw-s") == 0, "read-write attachment is %s", perms_at(rw));
    FX_CHECK(strcmp(perms_at(ro), "r--s") == 0, "read-only attachment is %s", perms_at(ro));
    FX_CHECK(strcmp(perms_at(rw + 2 * PAGE), "") == 0 && msync(rw + 2 * PAGE, PAGE, MS_ASYNC) == -1
             && errno == ENOMEM, "the page unmapped from the attachment is back");
    FX_CHECK(strcmp(perms_at(rw + 3 * PAGE), "rw-s") == 0, "the attachment's last page is %s", perms_at(rw + 3 * PAGE));

    /* the private segment, still removed-while-attached */
    FX_CHECK(strcmp(priv, "private") == 0, "private segment '%s'", priv);
    FX_CHECK(shmctl(privid, IPC_STAT, &ds) == 0 && (ds.shm_perm.mode & SHM_DEST), "private segment not removed");

    /* the counter goes on */
    FX_CHECK(counter_add(semid, 1) == 0, "semop after restore: %s", strerror(errno));
    int c = semctl(semid, 0, GETVAL), other = semctl(semid, 1, GETVAL);
    FX_CHECK(c == 8 && other == 3, "semaphores %d and %d, expected 8 and 3", c, other);
    struct semid_ds sds;
    arg.buf = &sds;
    FX_CHECK(semctl(semid, 0, IPC_STAT, arg) == 0 && sds.sem_perm.__key == key && (sds.sem_perm.mode & 0777) == 0600,
             "semaphore set key or mode");

    /* the messages in order, and nothing more */
    const char *want[] = {"first", "second", "third"};
    long types[] = {1, 2, 1};
    for (int i = 0; i < 3; i++) {
        struct message m;
        ssize_t n = msgrcv(msqid, &m, sizeof m.text, 0, IPC_NOWAIT);
        FX_CHECK(n == (ssize_t) strlen(want[i]) + 1 && m.type == types[i] && strcmp(m.text, want[i]) == 0,
                 "message %d: %zd bytes, type %ld, '%s' (%s)", i, n, m.type, n > 0 ? m.text : "", strerror(errno));
    }
    struct message m;
    FX_CHECK(msgrcv(msqid, &m, sizeof m.text, 0, IPC_NOWAIT) == -1 && errno == ENOMSG, "a fourth message");
    struct msqid_ds qds;
    FX_CHECK(msgctl(msqid, IPC_STAT, &qds) == 0 && qds.msg_perm.__key == key && (qds.msg_perm.mode & 0777) == 0620,
             "queue key or mode");

    if (!keep) {
        shmctl(shmid, IPC_RMID, NULL);
        semctl(semid, 0, IPC_RMID);
        msgctl(msqid, IPC_RMID, NULL);
    }
    fx_pass();
}
