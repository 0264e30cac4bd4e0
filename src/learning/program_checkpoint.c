/* program_checkpoint.c — checkpoint directories: named blobs in ckpt-<round>.fcc files written
 * atomically (temporary file, fsync, rename, fsync of the directory), pruned to the last N, and
 * loaded back with every length and the CRC checked, so a torn or damaged file is skipped
 * rather than trusted. Must not interpret the blobs: a program decides what they hold.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learning/program_int.h"

#define MAGIC "FEDCCKPT"
#define HEADER_SIZE 24 /* magic 8, version 4, count 4, round 8 */
#define TMP_PREFIX ".ckpt-"
#define TMP_SUFFIX ".fcc.tmp"

struct fedc_checkpoint_dir {
    char *dir;
    fedc_checkpoint_opts opts;
};

typedef struct blob {
    char *name;
    const uint8_t *data;
    size_t size;
} blob;

struct fedc_checkpoint {
    int64_t round;
    size_t count;
    blob *blobs;
    char *bytes; /* the file; blobs' data point into it */
};

fedc_checkpoint_opts fedc_checkpoint_opts_default(void) {
    fedc_checkpoint_opts o = {3, NULL, NULL, NULL};
    return o;
}

/* Parses "ckpt-<digits>.fcc" (digits only, at most 18 of them so the round fits). */
static bool parse_name(const char *name, int64_t *round) {
    if (strncmp(name, "ckpt-", 5) != 0) return false;
    const char *p = name + 5, *q = p;
    int64_t v = 0;
    while (*q >= '0' && *q <= '9' && q - p < 18)
        v = v * 10 + (*q++ - '0');
    if (q == p || strcmp(q, ".fcc") != 0) return false;
    *round = v;
    return true;
}

static bool is_tmp_name(const char *name) {
    size_t n = strlen(name), sl = strlen(TMP_SUFFIX);
    return strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 && n > sl &&
           strcmp(name + n - sl, TMP_SUFFIX) == 0;
}

fedc_status fedc_checkpoint_dir_open(fedc_ctx *ctx, const char *dir,
                                     const fedc_checkpoint_opts *opts, fedc_checkpoint_dir **out) {
    *out = NULL;
    fedc_checkpoint_opts o = opts ? *opts : fedc_checkpoint_opts_default();
    if (o.keep_last < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "checkpoints %s: keep_last %d is negative", dir, o.keep_last);
    fedc_status st = fedc__prog_ensure_dir(ctx, dir);
    if (st < 0) return st;
    DIR *dh = opendir(dir);
    if (!dh)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot read directory %s: %s", dir,
                               strerror(errno));
    struct dirent *e;
    while (st == FEDC_STATUS_OK && (e = readdir(dh)) != NULL) {
        if (!is_tmp_name(e->d_name)) continue;
        /* a save that never reached its rename: the final files are still the old ones */
        char *path = fedc__prog_path_join(dir, e->d_name);
        if (!path)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory listing %s", dir);
        else if (unlink(path) < 0)
            st =
                fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot remove %s: %s", path, strerror(errno));
        fedc_free(path);
    }
    closedir(dh);
    if (st < 0) return st;
    fedc_checkpoint_dir *d = fedc_calloc(1, sizeof *d);
    if (!d || !(d->dir = fedc_strdup(dir))) {
        fedc_free(d);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory opening %s", dir);
    }
    d->opts = o;
    *out = d;
    return FEDC_STATUS_OK;
}

void fedc_checkpoint_dir_close(fedc_checkpoint_dir *d) {
    if (!d) return;
    fedc_free(d->dir);
    fedc_free(d);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

fedc_status fedc_checkpoint_list(fedc_ctx *ctx, fedc_checkpoint_dir *d, int64_t **rounds,
                                 size_t *n) {
    *rounds = NULL;
    *n = 0;
    DIR *dh = opendir(d->dir);
    if (!dh)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot read directory %s: %s", d->dir,
                               strerror(errno));
    int64_t *list = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        int64_t round;
        if (!parse_name(e->d_name, &round)) continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *grown = fedc_realloc(list, cap * sizeof *grown);
            if (!grown) {
                closedir(dh);
                fedc_free(list);
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory listing %s",
                                       d->dir);
            }
            list = grown;
        }
        list[count++] = round;
    }
    closedir(dh);
    if (count) qsort(list, count, sizeof *list, cmp_i64);
    *rounds = list;
    *n = count;
    return FEDC_STATUS_OK;
}

/* ---- saving ---- */

static fedc_status hooked_write(fedc_ctx *ctx, const fedc_checkpoint_dir *d, int fd,
                                const char *path, const void *data, size_t n, uint32_t *crc) {
    if (crc) *crc = fedc_crc32c(*crc, data, n);
    if (!d->opts.write_fn) return fedc__prog_write_all(ctx, fd, path, data, n);
    const char *p = data;
    while (n > 0) {
        ssize_t w = d->opts.write_fn(d->opts.user, fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot write %s: %s", path,
                                   strerror(errno));
        }
        if (w == 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot write %s: no progress", path);
        p += w;
        n -= (size_t)w;
    }
    return FEDC_STATUS_OK;
}

static void le(uint8_t *p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static fedc_status write_body(fedc_ctx *ctx, const fedc_checkpoint_dir *d, int fd, const char *tmp,
                              int64_t round, const fedc_checkpoint_blob *blobs, size_t n) {
    uint32_t crc = 0;
    uint8_t head[HEADER_SIZE];
    memcpy(head, MAGIC, 8);
    le(head + 8, FEDC_CHECKPOINT_VERSION, 4);
    le(head + 12, n, 4);
    le(head + 16, (uint64_t)round, 8);
    fedc_status st = hooked_write(ctx, d, fd, tmp, head, sizeof head, &crc);
    for (size_t i = 0; i < n && st == FEDC_STATUS_OK; i++) {
        uint8_t len[8];
        size_t name_len = strlen(blobs[i].name);
        le(len, name_len, 4);
        st = hooked_write(ctx, d, fd, tmp, len, 4, &crc);
        if (st == FEDC_STATUS_OK) st = hooked_write(ctx, d, fd, tmp, blobs[i].name, name_len, &crc);
        le(len, blobs[i].size, 8);
        if (st == FEDC_STATUS_OK) st = hooked_write(ctx, d, fd, tmp, len, 8, &crc);
        if (st == FEDC_STATUS_OK && blobs[i].size)
            st = hooked_write(ctx, d, fd, tmp, blobs[i].data, blobs[i].size, &crc);
    }
    if (st == FEDC_STATUS_OK) {
        uint8_t tail[4];
        le(tail, crc, 4);
        st = hooked_write(ctx, d, fd, tmp, tail, 4, NULL);
    }
    if (st == FEDC_STATUS_OK && fsync(fd) < 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot sync %s: %s", tmp, strerror(errno));
    return st;
}

/* Deletes all but the keep_last highest rounds. Failing to delete an old file does not undo a
 * save that succeeded: it is a warning. */
static void prune(fedc_ctx *ctx, fedc_checkpoint_dir *d) {
    if (d->opts.keep_last == 0) return;
    int64_t *rounds;
    size_t n;
    if (fedc_checkpoint_list(ctx, d, &rounds, &n) < 0) {
        fedc_log(FEDC_LOG_LEVEL_WARN, "checkpoints: %s", fedc_ctx_message(ctx));
        fedc_ctx_clear(ctx);
        return;
    }
    for (size_t i = 0; i + (size_t)d->opts.keep_last < n; i++) {
        char name[64], path[4200];
        snprintf(name, sizeof name, "ckpt-%lld.fcc", (long long)rounds[i]);
        snprintf(path, sizeof path, "%s/%s", d->dir, name);
        if (unlink(path) < 0)
            fedc_log(FEDC_LOG_LEVEL_WARN, "checkpoints: cannot remove %s: %s", path,
                     strerror(errno));
    }
    fedc_free(rounds);
}

fedc_status fedc_checkpoint_save(fedc_ctx *ctx, fedc_checkpoint_dir *d, int64_t round,
                                 const fedc_checkpoint_blob *blobs, size_t n) {
    if (round < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "checkpoint: round %lld is negative", (long long)round);
    if (n > UINT32_MAX)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "checkpoint: %zu blobs is too many", n);
    for (size_t i = 0; i < n; i++) {
        if (!blobs[i].name || !blobs[i].name[0] || strlen(blobs[i].name) > UINT32_MAX)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "checkpoint round %lld: blob %zu has no name", (long long)round,
                                   i);
        if (blobs[i].size && !blobs[i].data)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "checkpoint round %lld: blob '%s' has no data", (long long)round,
                                   blobs[i].name);
        for (size_t k = 0; k < i; k++)
            if (strcmp(blobs[k].name, blobs[i].name) == 0)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                       "checkpoint round %lld: blob '%s' given twice",
                                       (long long)round, blobs[i].name);
    }
    char tmp[4200], final_path[4200];
    if (snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%lld" TMP_SUFFIX, d->dir, (long long)round) >=
        (int)sizeof tmp)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "checkpoint directory path too long: %s", d->dir);
    snprintf(final_path, sizeof final_path, "%s/ckpt-%lld.fcc", d->dir, (long long)round);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot create %s: %s", tmp, strerror(errno));
    fedc_status st = write_body(ctx, d, fd, tmp, round, blobs, n);
    if (close(fd) < 0 && st == FEDC_STATUS_OK)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot close %s: %s", tmp, strerror(errno));
    if (st == FEDC_STATUS_OK && d->opts.before_rename)
        d->opts.before_rename(d->opts.user, tmp, final_path);
    if (st == FEDC_STATUS_OK && rename(tmp, final_path) < 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot rename %s to %s: %s", tmp, final_path,
                             strerror(errno));
    if (st < 0) {
        unlink(tmp);
        return st;
    }
    st = fedc__prog_fsync_dir(ctx, d->dir, true);
    if (st < 0) return st;
    prune(ctx, d);
    return FEDC_STATUS_OK;
}

/* ---- loading ---- */

void fedc_checkpoint_destroy(fedc_checkpoint *c) {
    if (!c) return;
    for (size_t i = 0; i < c->count; i++)
        fedc_free(c->blobs[i].name);
    fedc_free(c->blobs);
    fedc_free(c->bytes);
    fedc_free(c);
}

static uint64_t get_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static fedc_status corrupt(fedc_ctx *ctx, const char *path, size_t offset, const char *why) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: byte offset %zu: %s", path, offset, why);
}

static fedc_status parse(fedc_ctx *ctx, const char *path, fedc_checkpoint *c, size_t size) {
    const uint8_t *p = (const uint8_t *)c->bytes;
    if (size < HEADER_SIZE + 4)
        return corrupt(ctx, path, size, "file ends before the header and CRC");
    if (memcmp(p, MAGIC, 8) != 0) return corrupt(ctx, path, 0, "not a fedc checkpoint (bad magic)");
    uint32_t version = (uint32_t)get_le(p + 8, 4);
    if (version != FEDC_CHECKPOINT_VERSION)
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_UNSUPPORTED,
            "%s: byte offset 8: checkpoint format version %u (this build reads %d)", path, version,
            FEDC_CHECKPOINT_VERSION);
    uint64_t count = get_le(p + 12, 4);
    c->round = (int64_t)get_le(p + 16, 8);
    if (c->round < 0) return corrupt(ctx, path, 16, "negative round");
    size_t body_end = size - 4, pos = HEADER_SIZE;
    size_t cap = 0;
    for (uint64_t i = 0; i < count; i++) {
        /* grown as blobs are found, so a damaged count cannot ask for a huge array */
        if (c->count == cap) {
            cap = cap ? cap * 2 : 8;
            blob *grown = fedc_realloc(c->blobs, cap * sizeof *grown);
            if (!grown)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory loading %s",
                                       path);
            c->blobs = grown;
        }
        if (body_end - pos < 4) return corrupt(ctx, path, pos, "blob name length past the end");
        uint64_t name_len = get_le(p + pos, 4);
        pos += 4;
        if (name_len == 0) return corrupt(ctx, path, pos - 4, "empty blob name");
        if (name_len > body_end - pos) return corrupt(ctx, path, pos - 4, "blob name past the end");
        const uint8_t *name = p + pos;
        pos += name_len;
        if (body_end - pos < 8) return corrupt(ctx, path, pos, "blob data length past the end");
        uint64_t data_len = get_le(p + pos, 8);
        pos += 8;
        if (data_len > body_end - pos) return corrupt(ctx, path, pos - 8, "blob data past the end");
        blob *b = &c->blobs[c->count];
        if (memchr(name, 0, name_len))
            return corrupt(ctx, path, pos - 8 - name_len, "NUL in a blob name");
        if (!(b->name = fedc_malloc(name_len + 1)))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory loading %s",
                                   path);
        memcpy(b->name, name, name_len);
        b->name[name_len] = '\0';
        b->data = p + pos;
        b->size = (size_t)data_len;
        c->count++;
        pos += data_len;
    }
    if (pos != body_end) return corrupt(ctx, path, pos, "bytes after the last blob");
    uint32_t want = (uint32_t)get_le(p + body_end, 4);
    if (fedc_crc32c(0, p, body_end) != want) return corrupt(ctx, path, body_end, "CRC mismatch");
    const char *base = strrchr(path, '/');
    int64_t named;
    if (parse_name(base ? base + 1 : path, &named) && named != c->round) {
        char why[128];
        snprintf(why, sizeof why, "round %lld inside a file named for round %lld",
                 (long long)c->round, (long long)named);
        return corrupt(ctx, path, 16, why);
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_checkpoint_load(fedc_ctx *ctx, const char *path, fedc_checkpoint **out) {
    *out = NULL;
    fedc_checkpoint *c = fedc_calloc(1, sizeof *c);
    if (!c)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory loading %s", path);
    size_t size;
    fedc_status st = fedc__prog_read_file(ctx, path, false, &c->bytes, &size);
    if (st == FEDC_STATUS_OK) st = parse(ctx, path, c, size);
    if (st < 0) {
        fedc_checkpoint_destroy(c);
        return st;
    }
    *out = c;
    return FEDC_STATUS_OK;
}

fedc_status fedc_checkpoint_load_latest(fedc_ctx *ctx, fedc_checkpoint_dir *d,
                                        fedc_checkpoint **out) {
    *out = NULL;
    int64_t *rounds;
    size_t n, skipped = 0;
    fedc_status st = fedc_checkpoint_list(ctx, d, &rounds, &n);
    if (st < 0) return st;
    for (size_t i = n; i-- > 0;) {
        char path[4200];
        snprintf(path, sizeof path, "%s/ckpt-%lld.fcc", d->dir, (long long)rounds[i]);
        st = fedc_checkpoint_load(ctx, path, out);
        if (st == FEDC_STATUS_OK || st == FEDC_STATUS_OUT_OF_MEMORY) {
            fedc_free(rounds);
            return st;
        }
        fedc_log(FEDC_LOG_LEVEL_WARN, "skipping checkpoint: %s", fedc_ctx_message(ctx));
        skipped++;
    }
    fedc_free(rounds);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "no valid checkpoint in %s (%zu skipped)",
                           d->dir, skipped);
}

int64_t fedc_checkpoint_round(const fedc_checkpoint *c) { return c->round; }
size_t fedc_checkpoint_count(const fedc_checkpoint *c) { return c->count; }

const char *fedc_checkpoint_name(const fedc_checkpoint *c, size_t i) {
    return i < c->count ? c->blobs[i].name : NULL;
}

const void *fedc_checkpoint_data(const fedc_checkpoint *c, size_t i, size_t *size) {
    if (i >= c->count) {
        if (size) *size = 0;
        return NULL;
    }
    if (size) *size = c->blobs[i].size;
    return c->blobs[i].data;
}

const void *fedc_checkpoint_find(const fedc_checkpoint *c, const char *name, size_t *size) {
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->blobs[i].name, name) == 0) return fedc_checkpoint_data(c, i, size);
    if (size) *size = 0;
    return NULL;
}
