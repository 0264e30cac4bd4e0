/* program_io.c — the file plumbing of the training-program files: a growable buffer, whole-file
 * reads, complete writes, directory syncs and atomic replacement. Every error names the path
 * and the operating system's reason. Must not know any file format.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learning/program_int.h"

void fedc__prog_buf_free(fedc__prog_buf *b) {
    fedc_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static bool buf_reserve(fedc__prog_buf *b, size_t extra) {
    if (b->oom) return false;
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *p = fedc_realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void fedc__prog_buf_append(fedc__prog_buf *b, const void *p, size_t n) {
    if (!buf_reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void fedc__prog_buf_puts(fedc__prog_buf *b, const char *s) {
    fedc__prog_buf_append(b, s, strlen(s));
}

void fedc__prog_buf_printf(fedc__prog_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        fedc__prog_buf_append(b, small, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

fedc_status fedc__prog_buf_check(fedc_ctx *ctx, const fedc__prog_buf *b, const char *what) {
    if (b->oom)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory building %s", what);
    return FEDC_STATUS_OK;
}

fedc_status fedc__prog_read_file(fedc_ctx *ctx, const char *path, bool missing_ok, char **data,
                                 size_t *size) {
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT && missing_ok)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "%s: no such file", path);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot open %s: %s", path, strerror(errno));
    }
    fedc__prog_buf b = {0};
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        fedc__prog_buf_append(&b, chunk, got);
    bool failed = ferror(f);
    int err = errno;
    fclose(f);
    if (failed) {
        fedc__prog_buf_free(&b);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot read %s: %s", path, strerror(err));
    }
    fedc_status st = fedc__prog_buf_check(ctx, &b, path);
    if (st < 0) {
        fedc__prog_buf_free(&b);
        return st;
    }
    if (!b.data) { /* an empty file still gets a NUL-terminated buffer */
        b.data = fedc_malloc(1);
        if (!b.data)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory reading %s",
                                   path);
        b.data[0] = '\0';
    }
    *data = b.data;
    *size = b.len;
    return FEDC_STATUS_OK;
}

fedc_status fedc__prog_write_all(fedc_ctx *ctx, int fd, const char *path, const void *data,
                                 size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
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

fedc_status fedc__prog_fsync_dir(fedc_ctx *ctx, const char *path, bool is_dir) {
    char dir[4096];
    if (is_dir) {
        snprintf(dir, sizeof dir, "%s", path);
    } else {
        const char *slash = strrchr(path, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else if (slash == path)
            snprintf(dir, sizeof dir, "/");
        else
            snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot open directory %s: %s", dir,
                               strerror(errno));
    /* Some file systems refuse fsync on a directory (EINVAL); the rename is then as durable as
     * that file system makes it, which is not an error of ours. */
    if (fsync(fd) < 0 && errno != EINVAL) {
        int err = errno;
        close(fd);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot sync directory %s: %s", dir,
                               strerror(err));
    }
    close(fd);
    return FEDC_STATUS_OK;
}

fedc_status fedc__prog_replace_file(fedc_ctx *ctx, const char *path, const void *data, size_t n) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot create %s: %s", tmp, strerror(errno));
    fedc_status st = fedc__prog_write_all(ctx, fd, tmp, data, n);
    if (st == FEDC_STATUS_OK && fsync(fd) < 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot sync %s: %s", tmp, strerror(errno));
    if (close(fd) < 0 && st == FEDC_STATUS_OK)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot close %s: %s", tmp, strerror(errno));
    if (st == FEDC_STATUS_OK && rename(tmp, path) < 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot rename %s to %s: %s", tmp, path,
                             strerror(errno));
    if (st < 0) {
        unlink(tmp);
        return st;
    }
    return fedc__prog_fsync_dir(ctx, path, false);
}

fedc_status fedc__prog_ensure_dir(fedc_ctx *ctx, const char *dir) {
    if (mkdir(dir, 0755) == 0) return FEDC_STATUS_OK;
    int err = errno;
    struct stat sb;
    if (err == EEXIST && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) return FEDC_STATUS_OK;
    if (err == EEXIST)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s exists and is not a directory", dir);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot create directory %s: %s", dir,
                           strerror(err));
}

void fedc__prog_format_double(char *buf, size_t cap, double v) {
    if (isnan(v))
        snprintf(buf, cap, "nan");
    else if (isinf(v))
        snprintf(buf, cap, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, cap, "%.17g", v);
}

char *fedc__prog_path_join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *p = fedc_malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}
