/* sqlite_cache.c — the SQLite file behind a path: the path itself for a plain database, or a
 * decompressed copy of an LZMA-compressed one (TFF's NAME.sqlite.lzma), kept in a cache and
 * reused while the source keeps its size and modification time. A copy is written to a temporary
 * file and renamed into place, and its validity record (a small ".meta" file beside it) is written
 * last the same way, so a process killed midway never leaves a copy that is trusted later. Nothing
 * here reads SQLite or tf.train.Example.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "data/sqlite_int.h"

/* The validity record: the source's size and mtime and the copy's size when it was made. */
typedef struct cache_meta {
    uint64_t src_size;
    int64_t src_mtime_s, src_mtime_ns;
    uint64_t copy_size;
} cache_meta;

static const char kMetaHeader[] = "fedc-lzma-cache 1";

static char *path_printf(const char *fmt, ...) FEDC_PRINTF(1, 2);
static char *path_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = fedc_malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* mkdir -p with mode 0700 for the parts it creates (a cache is private to its user). */
static int make_dirs(char *dir) {
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = mkdir(dir, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST) return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -1;
    struct stat sb;
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : -1;
}

/* FNV-1a: cache names of sources with the same base name in different directories differ. */
static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

/* Where the copy of `path` goes: $FEDC_CACHE_DIR when set; else beside the source when its
 * directory is writable; else $XDG_CACHE_HOME/fedc or ~/.cache/fedc. */
static fedc_status cache_path_for(fedc_ctx *ctx, const char *path, char **out) {
    *out = NULL;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = NULL;
    const char *env = getenv("FEDC_CACHE_DIR");
    if (env && env[0]) {
        dir = fedc_strdup(env);
    } else {
        char *src_dir = slash ? path_printf("%.*s", (int)(slash - path + (slash == path)), path)
                              : fedc_strdup(".");
        if (!src_dir)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cache path", path);
        bool beside = access(src_dir, W_OK) == 0;
        fedc_free(src_dir);
        if (beside) {
            *out = path_printf("%s.fedc.sqlite", path);
            return *out ? FEDC_STATUS_OK
                        : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cache path", path);
        }
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (xdg && xdg[0] == '/')
            dir = path_printf("%s/fedc", xdg);
        else if (home && home[0])
            dir = path_printf("%s/.cache/fedc", home);
        else
            return fedc_ctx_errorf(ctx, FEDC_STATUS_IO,
                                   "%s: its directory is not writable and there is no cache "
                                   "directory for the decompressed copy (set FEDC_CACHE_DIR)",
                                   path);
    }
    if (!dir) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cache path", path);
    if (make_dirs(dir) != 0) {
        fedc_status st =
            fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot create the cache directory %s: %s",
                            path, dir, strerror(errno));
        fedc_free(dir);
        return st;
    }
    char resolved[PATH_MAX];
    const char *key = realpath(path, resolved) ? resolved : path;
    *out = path_printf("%s/%s-%016" PRIx64 ".sqlite", dir, base, fnv1a(key));
    fedc_free(dir);
    return *out ? FEDC_STATUS_OK
                : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cache path", path);
}

static bool read_meta(const char *meta_path, cache_meta *m) {
    FILE *f = fopen(meta_path, "r");
    if (!f) return false;
    char header[32];
    unsigned long long ss, cs;
    long long ms, mns;
    bool ok = fscanf(f, "%31[^\n] %llu %lld %lld %llu", header, &ss, &ms, &mns, &cs) == 5 &&
              strcmp(header, kMetaHeader) == 0;
    fclose(f);
    if (ok) *m = (cache_meta){ss, ms, mns, cs};
    return ok;
}

/* Writes text to a temporary file beside `path` and renames it there. */
static fedc_status write_meta(fedc_ctx *ctx, const char *meta_path, const cache_meta *m) {
    char *tmp = path_printf("%s.tmp-XXXXXX", meta_path);
    if (!tmp) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s", meta_path);
    int fd = mkstemp(tmp);
    if (fd >= 0) (void)fchmod(fd, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    bool ok = f && fprintf(f, "%s\n%llu %lld %lld %llu\n", kMetaHeader,
                           (unsigned long long)m->src_size, (long long)m->src_mtime_s,
                           (long long)m->src_mtime_ns, (unsigned long long)m->copy_size) > 0;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int err = errno;
    if (f)
        ok = fclose(f) == 0 && ok;
    else if (fd >= 0)
        close(fd);
    if (ok) ok = rename(tmp, meta_path) == 0, err = errno;
    fedc_status st = FEDC_STATUS_OK;
    if (!ok) {
        if (fd >= 0) unlink(tmp);
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot write: %s", meta_path, strerror(err));
    }
    fedc_free(tmp);
    return st;
}

/* Removes temporary files of `cache` (its copy's and its record's) that a killed process left:
 * a decompressed copy of a large dataset is gigabytes. Only files untouched for an hour go, so a
 * rebuild running in another process right now (its file's mtime moves with every write) keeps
 * its own. */
static void remove_stale_temporaries(const char *cache) {
    enum { STALE_S = 3600 };
    const char *slash = strrchr(cache, '/');
    char *dir = slash ? path_printf("%.*s", (int)(slash - cache + (slash == cache)), cache)
                      : fedc_strdup(".");
    char *prefix = path_printf("%s.", slash ? slash + 1 : cache);
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    time_t now = time(NULL);
    while (d && prefix && (e = readdir(d))) {
        size_t plen = strlen(prefix);
        if (strncmp(e->d_name, prefix, plen) != 0 || !strstr(e->d_name + plen, "tmp-")) continue;
        char *p = path_printf("%s/%s", dir, e->d_name);
        struct stat sb;
        if (p && lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && now - sb.st_mtime > STALE_S)
            unlink(p);
        fedc_free(p);
    }
    if (d) closedir(d);
    fedc_free(dir);
    fedc_free(prefix);
}

/* Decompresses `in` (the source, at its start) into a temporary file that becomes `cache`. */
static fedc_status rebuild(fedc_ctx *ctx, const char *path, FILE *in, const char *cache,
                           uint64_t *copy_size) {
    char *tmp = path_printf("%s.tmp-XXXXXX", cache);
    if (!tmp) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s", cache);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fedc_status st =
            fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot create: %s", cache, strerror(errno));
        fedc_free(tmp);
        return st;
    }
    /* mkstemp makes the file 0600; the copy is as readable as a file the user writes. */
    (void)fchmod(fd, 0644);
    fedc_status st = fedc__lzma_decompress(ctx, path, in, cache, fd, copy_size);
    /* A full disk may surface only when the data reaches it: fsync and close are checked too. */
    if (!st && fsync(fd) != 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot write: %s", cache, strerror(errno));
    if (close(fd) != 0 && !st)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot write: %s", cache, strerror(errno));
    if (!st && rename(tmp, cache) != 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot rename %s into place: %s", cache, tmp,
                             strerror(errno));
    if (st) unlink(tmp);
    fedc_free(tmp);
    return st;
}

fedc_status fedc__sqlite_source(fedc_ctx *ctx, const char *path, char **db_path) {
    *db_path = NULL;
    FILE *in = fopen(path, "rb");
    uint8_t head[16];
    size_t n = in ? fread(head, 1, sizeof head, in) : 0;
    fedc__lzma_format format = fedc__lzma_sniff(head, n);
    if (format == FEDC__LZMA_NONE) {
        /* Plain databases, and files that cannot be read, go to SQLite as they are: its errors
         * say what is wrong with them. */
        if (in) fclose(in);
        *db_path = fedc_strdup(path);
        return *db_path ? FEDC_STATUS_OK
                        : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot open", path);
    }
    struct stat sb;
    if (fstat(fileno(in), &sb) != 0) {
        fedc_status st =
            fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot stat: %s", path, strerror(errno));
        fclose(in);
        return st;
    }
    cache_meta want = {(uint64_t)sb.st_size, (int64_t)sb.st_mtim.tv_sec,
                       (int64_t)sb.st_mtim.tv_nsec, 0};
    char *cache = NULL, *meta = NULL;
    fedc_status st = cache_path_for(ctx, path, &cache);
    if (!st) {
        meta = path_printf("%s.meta", cache);
        if (!meta) st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cache path", path);
    }
    cache_meta have;
    struct stat cb;
    bool valid = !st && read_meta(meta, &have) && have.src_size == want.src_size &&
                 have.src_mtime_s == want.src_mtime_s && have.src_mtime_ns == want.src_mtime_ns &&
                 stat(cache, &cb) == 0 && (uint64_t)cb.st_size == have.copy_size;
    if (!st && !valid) {
        /* The old record goes first: from here until the new one is written, nothing is
         * trusted. */
        unlink(meta);
        remove_stale_temporaries(cache);
        rewind(in);
        st = rebuild(ctx, path, in, cache, &want.copy_size);
        if (!st) st = write_meta(ctx, meta, &want);
    }
    fclose(in);
    fedc_free(meta);
    if (st) {
        fedc_free(cache);
        return st;
    }
    *db_path = cache;
    return FEDC_STATUS_OK;
}
