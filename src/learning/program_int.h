/* program_int.h — private to the training-program files (program_*.c): a growable byte
 * buffer, whole-file I/O with messages that name the path, atomic replacement of a file, and
 * path helpers. Nothing here knows a metric format or a checkpoint.
 */
#ifndef FEDC_PROGRAM_INT_H
#define FEDC_PROGRAM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fedc/learning_program.h"

/* A growable byte buffer; an allocation failure is sticky (`oom`), checked once at the end. */
typedef struct fedc__prog_buf {
    char *data;
    size_t len, cap;
    bool oom;
} fedc__prog_buf;

void fedc__prog_buf_free(fedc__prog_buf *b);
void fedc__prog_buf_append(fedc__prog_buf *b, const void *p, size_t n);
void fedc__prog_buf_puts(fedc__prog_buf *b, const char *s);
void fedc__prog_buf_printf(fedc__prog_buf *b, const char *fmt, ...) FEDC_PRINTF(2, 3);
/* OUT_OF_MEMORY naming `what` when an append failed, else OK. */
fedc_status fedc__prog_buf_check(fedc_ctx *ctx, const fedc__prog_buf *b, const char *what);

/* Reads a whole file into fedc_malloc'd memory (NUL-terminated beyond *size). A missing file is
 * NOT_FOUND when missing_ok (no message is needed then, but one is recorded), IO otherwise;
 * other failures are IO naming the path and strerror. */
fedc_status fedc__prog_read_file(fedc_ctx *ctx, const char *path, bool missing_ok, char **data,
                                 size_t *size);

/* write(2) until all n bytes are out (retrying EINTR and short writes). IO naming `path`. */
fedc_status fedc__prog_write_all(fedc_ctx *ctx, int fd, const char *path, const void *data,
                                 size_t n);

/* fsync(2) of the directory that holds `path` (or of `path` itself when is_dir), so a rename or
 * a creation in it survives a power cut. IO naming the directory. */
fedc_status fedc__prog_fsync_dir(fedc_ctx *ctx, const char *path, bool is_dir);

/* Replaces `path` with `data`: a temporary file beside it, fsync, rename, fsync of the
 * directory. The temporary file is removed on failure. IO naming the path. */
fedc_status fedc__prog_replace_file(fedc_ctx *ctx, const char *path, const void *data, size_t n);

/* Creates directory `dir` unless it exists (as a directory). IO naming it. */
fedc_status fedc__prog_ensure_dir(fedc_ctx *ctx, const char *dir);

/* Formats `v` as "%.17g" but writes "nan", "inf" and "-inf" for the non-finite values (so every
 * C library prints the same). buf holds at least 32 bytes. */
void fedc__prog_format_double(char *buf, size_t cap, double v);

/* fedc_malloc'd "dir/name". NULL when out of memory. */
char *fedc__prog_path_join(const char *dir, const char *name);

#endif /* FEDC_PROGRAM_INT_H */
