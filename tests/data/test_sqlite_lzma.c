/* test_sqlite_lzma.c — TFF's NAME.sqlite.lzma files opened directly: the shared EMNIST sample
 * compressed here (xz and the legacy lzma format) reads exactly as the plain file; the
 * decompressed copy is cached, reused while the source is unchanged and rebuilt when it changes
 * or when a copy was left unfinished; damaged and truncated streams are CORRUPT with the byte
 * offset; a write that fails (the file size limit standing in for a full disk) is IO naming the
 * cache and leaves no temporary file behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

enum { FMT_XZ, FMT_ALONE };

static uint8_t *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) FAIL("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) FAIL("cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Compresses `src` into `dst` with liblzma, in xz or the legacy alone format. */
static void compress_file(const char *src, const char *dst, int format) {
    size_t n;
    uint8_t *in = slurp(src, &n);
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_ret ret;
    if (format == FMT_XZ) {
        ret = lzma_easy_encoder(&strm, 1, LZMA_CHECK_CRC64);
    } else {
        lzma_options_lzma opt;
        if (lzma_lzma_preset(&opt, 1)) FAIL("lzma_lzma_preset failed");
        ret = lzma_alone_encoder(&strm, &opt);
    }
    if (ret != LZMA_OK) FAIL("cannot start the encoder: %d", (int)ret);
    size_t cap = n + n / 2 + 65536;
    uint8_t *out = malloc(cap);
    strm.next_in = in;
    strm.avail_in = n;
    strm.next_out = out;
    strm.avail_out = cap;
    ret = lzma_code(&strm, LZMA_FINISH);
    if (ret != LZMA_STREAM_END) FAIL("compression did not finish: %d", (int)ret);
    write_file(dst, out, (size_t)strm.total_out);
    lzma_end(&strm);
    free(in);
    free(out);
}

/* A fresh scratch directory. */
static const char *scratch_dir(char *buf, size_t size, const char *tag) {
    scratch_path(buf, size, tag);
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) FAIL("cannot create %s", buf);
    DIR *d = opendir(buf);
    struct dirent *e;
    char p[1024];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') snprintf(p, sizeof p, "%s/%s", buf, e->d_name), unlink(p);
    if (d) closedir(d);
    return buf;
}

/* Removes dir and what it holds (the scratch directories of these tests). */
static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1024];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* The number of entries of dir (without . and ..) whose name contains `part`. */
static int count_entries(const char *dir, const char *part) {
    DIR *d = opendir(dir);
    if (!d) FAIL("cannot list %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, part)) n++;
    closedir(d);
    return n;
}

static fedc_client_data *open_sq(fedc_ctx *ctx, const char *path, const char *split) {
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = split;
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    return cd;
}

/* Every client, count and example of a equals b's (examples compared as serialized bytes). */
static void assert_same_data(fedc_ctx *ctx, const fedc_client_data *a, const fedc_client_data *b) {
    int64_t n = fedc_client_data_num_clients(a);
    ASSERT_EQ(fedc_client_data_num_clients(b), n);
    fedc_example *ea, *eb;
    ASSERT_OK(fedc_example_create(ctx, &ea));
    ASSERT_OK(fedc_example_create(ctx, &eb));
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        ASSERT_STREQ(fedc_client_data_client_id(b, i), fedc_client_data_client_id(a, i));
        ASSERT_EQ(fedc_client_data_num_examples(b, i), fedc_client_data_num_examples(a, i));
        fedc_dataset *da, *db;
        ASSERT_OK(fedc_client_data_open(ctx, a, i, &da));
        ASSERT_OK(fedc_client_data_open(ctx, b, i, &db));
        for (;;) {
            bool ga = false, gb = false;
            ASSERT_OK(fedc_dataset_next(ctx, da, ea, &ga));
            ASSERT_OK(fedc_dataset_next(ctx, db, eb, &gb));
            ASSERT_EQ(ga, gb);
            if (!ga) break;
            void *pa, *pb;
            size_t sa, sb;
            ASSERT_OK(fedc_tf_example_encode(ctx, ea, &pa, &sa));
            ASSERT_OK(fedc_tf_example_encode(ctx, eb, &pb, &sb));
            ASSERT_EQ(sa, sb);
            ASSERT_EQ(memcmp(pa, pb, sa), 0);
            fedc_free(pa);
            fedc_free(pb);
            total++;
        }
        fedc_dataset_destroy(da);
        fedc_dataset_destroy(db);
    }
    ASSERT_GT(total, 0);
    fedc_example_destroy(ea);
    fedc_example_destroy(eb);
}

TEST(xz_and_lzma_files_read_as_the_plain_file) {
    char plain[512], dir[512], lz[600];
    data_path(plain, sizeof plain, "tff-sqlite/emnist_sample.sqlite");
    scratch_dir(dir, sizeof dir, "lzma-read");
    for (int format = FMT_XZ; format <= FMT_ALONE; format++) {
        snprintf(lz, sizeof lz, "%s/emnist_%d.sqlite.lzma", dir, format);
        compress_file(plain, lz, format);
        static const char *const splits[] = {NULL, "digits_only_train", "digits_only_test"};
        for (int s = 0; s < 3; s++) {
            fedc_client_data *a = open_sq(ctx, plain, splits[s]);
            fedc_client_data *b = open_sq(ctx, lz, splits[s]);
            assert_same_data(ctx, a, b);
            fedc_client_data_destroy(a);
            fedc_client_data_destroy(b);
        }
        char **names;
        int64_t count;
        ASSERT_OK(fedc_sqlite_splits(ctx, lz, &names, &count));
        ASSERT_EQ(count, 2);
        ASSERT_STREQ(names[0], "digits_only_test");
        fedc_string_list_free(names, count);
        /* The copy sits beside the source (the directory is writable), with its record. */
        char copy[700];
        snprintf(copy, sizeof copy, "%s.fedc.sqlite", lz);
        struct stat a, b;
        ASSERT_EQ(stat(copy, &a), 0);
        ASSERT_EQ(stat(plain, &b), 0);
        ASSERT_EQ(a.st_size, b.st_size);
    }
    ASSERT_EQ(count_entries(dir, "tmp"), 0);
    remove_tree(dir);
}

TEST(cache_reused_and_rebuilt_when_the_source_changes) {
    char plain[512], other[512], dir[512], lz[600], copy[700];
    data_path(plain, sizeof plain, "tff-sqlite/emnist_sample.sqlite");
    data_path(other, sizeof other, "tff-sqlite/shakespeare_sample.sqlite");
    scratch_dir(dir, sizeof dir, "lzma-cache");
    snprintf(lz, sizeof lz, "%s/d.sqlite.xz", dir);
    snprintf(copy, sizeof copy, "%s.fedc.sqlite", lz);
    compress_file(plain, lz, FMT_XZ);
    fedc_client_data_destroy(open_sq(ctx, lz, NULL));
    struct stat first, again;
    ASSERT_EQ(stat(copy, &first), 0);

    /* Unchanged source: the same file (a rebuild renames a new inode into place). */
    fedc_client_data *cd = open_sq(ctx, lz, NULL);
    ASSERT_EQ(fedc_client_data_num_clients(cd), 12);
    fedc_client_data_destroy(cd);
    ASSERT_EQ(stat(copy, &again), 0);
    ASSERT_EQ(again.st_ino, first.st_ino);
    ASSERT_EQ(again.st_mtim.tv_sec, first.st_mtim.tv_sec);
    ASSERT_EQ(again.st_mtim.tv_nsec, first.st_mtim.tv_nsec);

    /* Same bytes, another mtime: rebuilt. */
    struct timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, lz, times, 0), 0);
    fedc_client_data_destroy(open_sq(ctx, lz, NULL));
    ASSERT_EQ(stat(copy, &again), 0);
    ASSERT_NE(again.st_ino, first.st_ino);

    /* Another dataset under the same name (and the same mtime as before): its clients. */
    compress_file(other, lz, FMT_ALONE);
    ASSERT_EQ(utimensat(AT_FDCWD, lz, times, 0), 0);
    cd = open_sq(ctx, lz, NULL);
    fedc_client_data *want = open_sq(ctx, other, NULL);
    assert_same_data(ctx, want, cd);
    fedc_client_data_destroy(want);
    fedc_client_data_destroy(cd);
    remove_tree(dir);
}

TEST(unfinished_copy_is_never_trusted) {
    char plain[512], dir[512], lz[600], copy[700], meta[720];
    data_path(plain, sizeof plain, "tff-sqlite/emnist_sample.sqlite");
    scratch_dir(dir, sizeof dir, "lzma-stale");
    snprintf(lz, sizeof lz, "%s/d.sqlite.lzma", dir);
    snprintf(copy, sizeof copy, "%s.fedc.sqlite", lz);
    snprintf(meta, sizeof meta, "%s.meta", copy);
    compress_file(plain, lz, FMT_XZ);

    /* A copy without its record (a process killed before writing it): rebuilt. The temporary
     * files of a killed rebuild go once untouched for an hour; a recent one (perhaps another
     * process's rebuild in progress) stays. */
    write_file(copy, "SQLite format 3", 16);
    char old_tmp[740], new_tmp[740], old_meta_tmp[760];
    snprintf(old_tmp, sizeof old_tmp, "%s.tmp-AbC123", copy);
    snprintf(new_tmp, sizeof new_tmp, "%s.tmp-XyZ789", copy);
    snprintf(old_meta_tmp, sizeof old_meta_tmp, "%s.tmp-Q1w2E3", meta);
    write_file(old_tmp, "half", 4);
    write_file(new_tmp, "half", 4);
    write_file(old_meta_tmp, "x", 1);
    struct timespec two_hours_ago[2] = {{0, UTIME_OMIT}, {time(NULL) - 7200, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, old_tmp, two_hours_ago, 0), 0);
    ASSERT_EQ(utimensat(AT_FDCWD, old_meta_tmp, two_hours_ago, 0), 0);
    fedc_client_data *cd = open_sq(ctx, lz, "digits_only_train");
    ASSERT_EQ(fedc_client_data_num_clients(cd), 12);
    fedc_client_data_destroy(cd);
    ASSERT_EQ(access(old_tmp, F_OK), -1);
    ASSERT_EQ(access(old_meta_tmp, F_OK), -1);
    ASSERT_EQ(access(new_tmp, F_OK), 0);

    /* A record whose copy was cut short afterwards: the size differs, rebuilt. */
    ASSERT_EQ(truncate(copy, 4096), 0);
    cd = open_sq(ctx, lz, "digits_only_train");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 0), 43);
    fedc_client_data_destroy(cd);
    struct stat a, b;
    ASSERT_EQ(stat(copy, &a), 0);
    ASSERT_EQ(stat(plain, &b), 0);
    ASSERT_EQ(a.st_size, b.st_size);
    ASSERT_EQ(access(meta, R_OK), 0);
    remove_tree(dir);
}

TEST(truncated_and_damaged_streams_are_corrupt) {
    char plain[512], dir[512], lz[600], bad[600];
    data_path(plain, sizeof plain, "tff-sqlite/emnist_sample.sqlite");
    scratch_dir(dir, sizeof dir, "lzma-bad");
    for (int format = FMT_XZ; format <= FMT_ALONE; format++) {
        snprintf(lz, sizeof lz, "%s/good_%d.sqlite.lzma", dir, format);
        compress_file(plain, lz, format);
        size_t n;
        uint8_t *bytes = slurp(lz, &n);
        snprintf(bad, sizeof bad, "%s/cut_%d.sqlite.lzma", dir, format);
        write_file(bad, bytes, n / 2);
        fedc_client_data *cd = (fedc_client_data *)1;
        ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, bad, NULL, &cd), FEDC_STATUS_CORRUPT);
        ASSERT_NULL(cd);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), bad);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "truncated");
        char offset[64];
        snprintf(offset, sizeof offset, "byte offset %zu", n / 2);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), offset);

        /* Garbage in the middle of the compressed data. */
        snprintf(bad, sizeof bad, "%s/damaged_%d.sqlite.lzma", dir, format);
        for (size_t i = n / 3; i < n / 3 + 64; i++)
            bytes[i] ^= 0x5a;
        write_file(bad, bytes, n);
        ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, bad, NULL, &cd), FEDC_STATUS_CORRUPT);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), bad);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset");
        free(bytes);
    }
    /* Neither a copy nor a temporary file of the failed ones remains. */
    ASSERT_EQ(count_entries(dir, "cut_0.sqlite.lzma."), 0);
    ASSERT_EQ(count_entries(dir, "cut_1.sqlite.lzma."), 0);
    ASSERT_EQ(count_entries(dir, "damaged"), 2);
    remove_tree(dir);
}

TEST(failed_cache_write_is_io_and_leaves_no_temporary_file) {
    char plain[512], dir[512], lz[600];
    data_path(plain, sizeof plain, "tff-sqlite/emnist_sample.sqlite");
    scratch_dir(dir, sizeof dir, "lzma-full");
    snprintf(lz, sizeof lz, "%s/d.sqlite.lzma", dir);
    compress_file(plain, lz, FMT_XZ);
    /* A file size limit makes write() fail midway as a full disk does (EFBIG for ENOSPC);
     * SIGXFSZ is ignored so the failure comes back as an error. */
    struct rlimit old, lim;
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 256 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
    fedc_client_data *cd;
    fedc_status st = fedc_client_data_open_sqlite(ctx, lz, NULL, &cd);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    ASSERT_STATUS(st, FEDC_STATUS_IO);
    char copy[700];
    snprintf(copy, sizeof copy, "%s.fedc.sqlite", lz);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), copy);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "cannot write");
    ASSERT_EQ(count_entries(dir, "fedc.sqlite"), 0); /* no copy, no temporary file */
    /* With room again, the same file opens. */
    cd = open_sq(ctx, lz, NULL);
    ASSERT_EQ(fedc_client_data_num_clients(cd), 12);
    fedc_client_data_destroy(cd);
    remove_tree(dir);
}

TEST(cache_dir_from_the_environment) {
    char plain[512], dir[512], cache[600], lz[600];
    data_path(plain, sizeof plain, "tff-sqlite/shakespeare_sample.sqlite");
    scratch_dir(dir, sizeof dir, "lzma-env");
    snprintf(lz, sizeof lz, "%s/s.sqlite.lzma", dir);
    snprintf(cache, sizeof cache, "%s/cache/fedc", dir); /* created on demand */
    compress_file(plain, lz, FMT_ALONE);
    const char *old = getenv("FEDC_CACHE_DIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("FEDC_CACHE_DIR", cache, 1);
    fedc_client_data *cd;
    fedc_status st = fedc_client_data_open_sqlite(ctx, lz, NULL, &cd);
    if (saved)
        setenv("FEDC_CACHE_DIR", saved, 1);
    else
        unsetenv("FEDC_CACHE_DIR");
    free(saved);
    ASSERT_OK(st);
    fedc_client_data *want = open_sq(ctx, plain, NULL);
    assert_same_data(ctx, want, cd);
    fedc_client_data_destroy(want);
    fedc_client_data_destroy(cd);
    ASSERT_EQ(count_entries(dir, "fedc.sqlite"), 0);
    ASSERT_EQ(count_entries(cache, "s.sqlite.lzma-"), 2); /* the copy and its record */
    remove_tree(dir);
}

TEST(plain_and_unreadable_files_keep_their_errors) {
    char dir[512], p[600];
    scratch_dir(dir, sizeof dir, "lzma-plain");
    snprintf(p, sizeof p, "%s/text.sqlite", dir);
    write_file(p, "just some text, not a database at all\n", 38);
    fedc_client_data *cd;
    ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, p, NULL, &cd), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "not a valid SQLite database");
    ASSERT_EQ(count_entries(dir, "fedc"), 0);
    snprintf(p, sizeof p, "%s/missing.sqlite.lzma", dir);
    ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, p, NULL, &cd), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), p);
    remove_tree(dir);
}
