/* test_program_checkpoint.c — checkpoint directories: blobs round trip, keep-last-N, a corrupt
 * or truncated newest file falls back to the previous one with a warning, a process killed
 * between the temporary write and the rename leaves the old checkpoint intact, and a full disk
 * (an injected write failure, a real size limit, and a small tmpfs where one can be mounted)
 * gives IO naming the path.
 */
#define _GNU_SOURCE /* unshare */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "learning/test_program_util.h"

static void save_round(fedc_ctx *ctx, fedc_checkpoint_dir *d, long long round) {
    char state[64];
    snprintf(state, sizeof state, "state of round %lld", round);
    uint64_t sampler = (uint64_t)round * 1000;
    fedc_checkpoint_blob blobs[3] = {{"process_state", state, strlen(state)},
                                     {"sampler", &sampler, sizeof sampler},
                                     {"empty", NULL, 0}};
    ASSERT_OK(fedc_checkpoint_save(ctx, d, round, blobs, 3));
}

static long long latest_round(fedc_ctx *ctx, fedc_checkpoint_dir *d) {
    fedc_checkpoint *c;
    ASSERT_OK(fedc_checkpoint_load_latest(ctx, d, &c));
    long long r = fedc_checkpoint_round(c);
    fedc_checkpoint_destroy(c);
    return r;
}

TEST(blobs_round_trip) {
    char dir[64], sub[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/ckpt", dir); /* created on open */
    fedc_checkpoint_dir *d;
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, sub, NULL, &d));
    save_round(ctx, d, 12);
    fedc_checkpoint *c;
    ASSERT_OK(fedc_checkpoint_load_latest(ctx, d, &c));
    ASSERT_EQ(fedc_checkpoint_round(c), 12);
    ASSERT_EQ(fedc_checkpoint_count(c), 3u);
    ASSERT_STREQ(fedc_checkpoint_name(c, 1), "sampler");
    size_t size;
    const char *state = fedc_checkpoint_find(c, "process_state", &size);
    ASSERT_EQ(size, strlen("state of round 12"));
    ASSERT_EQ(memcmp(state, "state of round 12", size), 0);
    uint64_t sampler;
    memcpy(&sampler, fedc_checkpoint_find(c, "sampler", &size), sizeof sampler);
    ASSERT_EQ(sampler, 12000u);
    ASSERT_NOT_NULL(fedc_checkpoint_find(c, "empty", &size));
    ASSERT_EQ(size, 0u);
    ASSERT_NULL(fedc_checkpoint_find(c, "nope", &size));
    fedc_checkpoint_destroy(c);
    /* the exact layout: header, blobs, CRC */
    char path[160];
    snprintf(path, sizeof path, "%s/ckpt-12.fcc", sub);
    size_t n;
    char *bytes = ptest_read(path, &n);
    ASSERT_EQ(memcmp(bytes, "FEDCCKPT\1\0\0\0\3\0\0\0\14\0\0\0\0\0\0\0", 24), 0);
    ASSERT_EQ(n, 24u + (4 + 13 + 8 + 17) + (4 + 7 + 8 + 8) + (4 + 5 + 8) + 4);
    uint32_t crc =
        (uint32_t)(unsigned char)bytes[n - 4] | (uint32_t)(unsigned char)bytes[n - 3] << 8 |
        (uint32_t)(unsigned char)bytes[n - 2] << 16 | (uint32_t)(unsigned char)bytes[n - 1] << 24;
    ASSERT_EQ(crc, fedc_crc32c(0, bytes, n - 4));
    free(bytes);
    fedc_checkpoint_dir_close(d);
    ptest_rmtree(dir);
}

TEST(save_rejects_bad_blobs) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    fedc_checkpoint_dir *d;
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, dir, NULL, &d));
    fedc_checkpoint_blob twice[2] = {{"a", "x", 1}, {"a", "y", 1}};
    ASSERT_STATUS(fedc_checkpoint_save(ctx, d, 1, twice, 2), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "blob 'a' given twice");
    fedc_checkpoint_blob unnamed[1] = {{"", "x", 1}};
    ASSERT_STATUS(fedc_checkpoint_save(ctx, d, 1, unnamed, 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_checkpoint_save(ctx, d, -1, NULL, 0), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_checkpoint_opts o = fedc_checkpoint_opts_default();
    o.keep_last = -2;
    fedc_checkpoint_dir *bad;
    ASSERT_STATUS(fedc_checkpoint_dir_open(ctx, dir, &o, &bad), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_checkpoint *c;
    ASSERT_STATUS(fedc_checkpoint_load_latest(ctx, d, &c), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "(0 skipped)");
    fedc_checkpoint_dir_close(d);
    ptest_rmtree(dir);
}

TEST(keeps_the_last_n) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    fedc_checkpoint_opts o = fedc_checkpoint_opts_default();
    o.keep_last = 2;
    fedc_checkpoint_dir *d;
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, dir, &o, &d));
    for (int r = 1; r <= 11; r += 2)
        save_round(ctx, d, r);
    int64_t *rounds;
    size_t n;
    ASSERT_OK(fedc_checkpoint_list(ctx, d, &rounds, &n));
    ASSERT_EQ(n, 2u);
    ASSERT_EQ(rounds[0], 9);
    ASSERT_EQ(rounds[1], 11); /* numeric order, not "11" < "9" */
    fedc_free(rounds);
    ASSERT_EQ(latest_round(ctx, d), 11);
    fedc_checkpoint_dir_close(d);
    o.keep_last = 0; /* keep all */
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, dir, &o, &d));
    for (int r = 20; r < 25; r++)
        save_round(ctx, d, r);
    ASSERT_OK(fedc_checkpoint_list(ctx, d, &rounds, &n));
    ASSERT_EQ(n, 7u);
    fedc_free(rounds);
    fedc_checkpoint_dir_close(d);
    ptest_rmtree(dir);
}

typedef struct warnings {
    int n;
    char last[512];
} warnings;

static void capture(void *user, fedc_log_level level, const char *message) {
    warnings *w = user;
    if (level != FEDC_LOG_LEVEL_WARN) return;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", message);
}

TEST(corrupt_or_truncated_newest_falls_back_with_a_warning) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    fedc_checkpoint_dir *d;
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, dir, NULL, &d));
    save_round(ctx, d, 1);
    save_round(ctx, d, 2);
    save_round(ctx, d, 3);
    warnings w = {0};
    fedc_log_set_sink(capture, &w);
    /* newest: one flipped bit in a blob */
    snprintf(path, sizeof path, "%s/ckpt-3.fcc", dir);
    size_t n;
    char *bytes = ptest_read(path, &n);
    bytes[30] ^= 0x10;
    ptest_write(path, bytes, n, 0);
    fedc_checkpoint *c;
    ASSERT_STATUS(fedc_checkpoint_load(ctx, path, &c), FEDC_STATUS_CORRUPT);
    char want[64];
    snprintf(want, sizeof want, "byte offset %zu: CRC mismatch", n - 4);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), want);
    ASSERT_EQ(latest_round(ctx, d), 2);
    ASSERT_EQ(w.n, 1);
    ASSERT_CONTAINS(w.last, "ckpt-3.fcc");
    ASSERT_CONTAINS(w.last, "CRC mismatch");
    /* next newest: cut in the middle of a blob */
    snprintf(path, sizeof path, "%s/ckpt-2.fcc", dir);
    free(bytes);
    bytes = ptest_read(path, &n);
    ptest_write(path, bytes, 60, 0); /* inside the first blob's 17 data bytes at 49 */
    ASSERT_STATUS(fedc_checkpoint_load(ctx, path, &c), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "blob data past the end");
    ASSERT_EQ(latest_round(ctx, d), 1);
    ASSERT_EQ(w.n, 3);
    /* a file renamed to another round is not trusted either */
    char other[128];
    snprintf(other, sizeof other, "%s/ckpt-7.fcc", dir);
    snprintf(path, sizeof path, "%s/ckpt-1.fcc", dir);
    free(bytes);
    bytes = ptest_read(path, &n);
    ptest_write(other, bytes, n, 0);
    ASSERT_STATUS(fedc_checkpoint_load(ctx, other, &c), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "round 1 inside a file named for round 7");
    /* other damage, each named */
    bytes[0] = 'X';
    ptest_write(other, bytes, n, 0);
    ASSERT_STATUS(fedc_checkpoint_load(ctx, other, &c), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 0: not a fedc checkpoint");
    bytes[0] = 'F';
    bytes[8] = 9;
    ptest_write(other, bytes, n, 0);
    ASSERT_STATUS(fedc_checkpoint_load(ctx, other, &c), FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "version 9");
    bytes[8] = 1;
    ptest_write(other, bytes, 10, 0);
    ASSERT_STATUS(fedc_checkpoint_load(ctx, other, &c), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "ends before the header");
    ptest_write(other, bytes, n, 0);
    ptest_write(other, "x", 1, 1);
    ASSERT_STATUS(fedc_checkpoint_load(ctx, other, &c), FEDC_STATUS_CORRUPT);
    unlink(other);
    /* nothing valid at all */
    ptest_write(path, bytes, 30, 0);
    ASSERT_STATUS(fedc_checkpoint_load_latest(ctx, d, &c), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "(3 skipped)");
    fedc_log_set_sink(NULL, NULL);
    snprintf(path, sizeof path, "%s/none.fcc", dir);
    ASSERT_STATUS(fedc_checkpoint_load(ctx, path, &c), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "none.fcc");
    free(bytes);
    fedc_checkpoint_dir_close(d);
    ptest_rmtree(dir);
}

static void die_before_rename(void *user, const char *tmp, const char *final_path) {
    (void)user, (void)tmp, (void)final_path;
    _exit(42); /* as if the machine went down here */
}

TEST(a_crash_before_the_rename_leaves_the_old_checkpoint) {
    char dir[64], tmp[128];
    ptest_tmpdir(dir, sizeof dir);
    fedc_checkpoint_dir *d;
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, dir, NULL, &d));
    save_round(ctx, d, 4);
    fedc_checkpoint_dir_close(d);
    pid_t pid = fork();
    if (pid == 0) {
        fedc_checkpoint_opts o = fedc_checkpoint_opts_default();
        o.before_rename = die_before_rename;
        fedc_checkpoint_dir *cd;
        if (fedc_checkpoint_dir_open(NULL, dir, &o, &cd) < 0) _exit(1);
        char big[4096] = {0};
        fedc_checkpoint_blob b[1] = {{"process_state", big, sizeof big}};
        fedc_checkpoint_save(NULL, cd, 5, b, 1);
        _exit(2); /* not reached: the hook exits */
    }
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 42);
    snprintf(tmp, sizeof tmp, "%s/.ckpt-5.fcc.tmp", dir);
    ASSERT_EQ(access(tmp, F_OK), 0); /* the complete temporary file is there, unnamed */
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, dir, NULL, &d));
    ASSERT_NE(access(tmp, F_OK), 0); /* opening cleans it up */
    ASSERT_EQ(latest_round(ctx, d), 4);
    fedc_checkpoint_dir_close(d);
    ptest_rmtree(dir);
}

typedef struct disk {
    size_t room; /* bytes the "disk" still takes */
} disk;

static ssize_t small_disk(void *user, int fd, const void *buf, size_t n) {
    disk *dk = user;
    if (dk->room == 0) {
        errno = ENOSPC;
        return -1;
    }
    size_t k = n < dk->room ? n : dk->room;
    ssize_t w = write(fd, buf, k);
    if (w > 0) dk->room -= (size_t)w;
    return w;
}

TEST(a_full_disk_is_io_naming_the_path_and_keeps_the_old_checkpoint) {
    char dir[64], tmp[128];
    ptest_tmpdir(dir, sizeof dir);
    disk dk = {1u << 20};
    fedc_checkpoint_opts o = fedc_checkpoint_opts_default();
    o.write_fn = small_disk;
    o.user = &dk;
    fedc_checkpoint_dir *d;
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, dir, &o, &d));
    save_round(ctx, d, 1);
    dk.room = 30;
    char big[1000] = {0};
    fedc_checkpoint_blob b[1] = {{"process_state", big, sizeof big}};
    ASSERT_STATUS(fedc_checkpoint_save(ctx, d, 2, b, 1), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), ".ckpt-2.fcc.tmp");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), strerror(ENOSPC));
    snprintf(tmp, sizeof tmp, "%s/.ckpt-2.fcc.tmp", dir);
    ASSERT_NE(access(tmp, F_OK), 0);
    ASSERT_EQ(latest_round(ctx, d), 1);
    fedc_checkpoint_dir_close(d);
    ptest_rmtree(dir);
}

/* The kernel refuses the write (RLIMIT_FSIZE: EFBIG), no hook involved. */
TEST(a_write_the_kernel_refuses_is_io) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        fedc_ctx *c;
        fedc_checkpoint_dir *d;
        if (fedc_ctx_create(&c) < 0 || fedc_checkpoint_dir_open(c, dir, NULL, &d) < 0) _exit(1);
        static char big[100000];
        fedc_checkpoint_blob b[1] = {{"process_state", big, sizeof big}};
        fedc_status st = fedc_checkpoint_save(c, d, 1, b, 1);
        const char *msg = fedc_ctx_message(c);
        if (write(fds[1], msg, strlen(msg)) < 0) _exit(1);
        _exit(st == FEDC_STATUS_IO ? 0 : 3);
    }
    close(fds[1]);
    char msg[1024] = {0};
    ssize_t got = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_GT(got, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT_CONTAINS(msg, ".ckpt-1.fcc.tmp");
    ASSERT_CONTAINS(msg, strerror(EFBIG));
    fedc_checkpoint_dir *d;
    ASSERT_OK(fedc_checkpoint_dir_open(ctx, dir, NULL, &d));
    fedc_checkpoint *c;
    ASSERT_STATUS(fedc_checkpoint_load_latest(ctx, d, &c), FEDC_STATUS_NOT_FOUND);
    fedc_checkpoint_dir_close(d);
    ptest_rmtree(dir);
}

/* A real full file system: a 64 KiB tmpfs in a private mount namespace. Needs the right to
 * mount (root in a container that allows it); skipped elsewhere. */
TEST(a_full_tmpfs_is_io_no_space) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", dir, "tmpfs", 0, "size=64k") < 0)
            _exit(77);
        fedc_ctx *c;
        fedc_checkpoint_dir *d;
        if (fedc_ctx_create(&c) < 0 || fedc_checkpoint_dir_open(c, dir, NULL, &d) < 0) _exit(1);
        char small[100] = {0};
        fedc_checkpoint_blob s[1] = {{"process_state", small, sizeof small}};
        if (fedc_checkpoint_save(c, d, 1, s, 1) < 0) _exit(4);
        static char big[1 << 20];
        fedc_checkpoint_blob b[1] = {{"process_state", big, sizeof big}};
        fedc_status st = fedc_checkpoint_save(c, d, 2, b, 1);
        const char *msg = fedc_ctx_message(c);
        if (write(fds[1], msg, strlen(msg)) < 0) _exit(1);
        fedc_checkpoint *ck;
        if (fedc_checkpoint_load_latest(c, d, &ck) < 0 || fedc_checkpoint_round(ck) != 1) _exit(5);
        fedc_checkpoint_destroy(ck);
        umount(dir);
        _exit(st == FEDC_STATUS_IO ? 0 : 3);
    }
    close(fds[1]);
    char msg[1024] = {0};
    ssize_t got = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ptest_rmtree(dir);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) SKIP("cannot mount a tmpfs here");
    ASSERT_EQ(WEXITSTATUS(status), 0);
    ASSERT_GT(got, 0);
    ASSERT_CONTAINS(msg, ".ckpt-2.fcc.tmp");
    ASSERT_CONTAINS(msg, strerror(ENOSPC));
}

static fedc_status save_and_load(fedc_ctx *ctx, void *arg) {
    const char *dir = arg;
    fedc_checkpoint_dir *d;
    fedc_status st = fedc_checkpoint_dir_open(ctx, dir, NULL, &d);
    if (st < 0) return st;
    fedc_checkpoint_blob b[2] = {{"a", "xyz", 3}, {"b", "", 0}};
    for (int r = 0; r < 5 && st == FEDC_STATUS_OK; r++)
        st = fedc_checkpoint_save(ctx, d, r, b, 2);
    fedc_checkpoint *c = NULL;
    if (st == FEDC_STATUS_OK) st = fedc_checkpoint_load_latest(ctx, d, &c);
    fedc_checkpoint_destroy(c);
    fedc_checkpoint_dir_close(d);
    return st;
}

static void drop(void *user, fedc_log_level level, const char *message) {
    (void)user, (void)level, (void)message;
}

TEST(checkpoints_survive_every_allocation_failure) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    fedc_log_set_sink(drop, NULL); /* pruning warns when it cannot list: expected here */
    ASSERT_GT(fedc_test_alloc_sweep(ctx, save_and_load, NULL, dir), 3);
    fedc_log_set_sink(NULL, NULL);
    ptest_rmtree(dir);
}
