/* data_int.h — private declarations shared by the files of src/data/.
 * Not installed; only src/data/ includes it.
 */
#ifndef FEDC_DATA_INT_H
#define FEDC_DATA_INT_H

#include <stdio.h>

#include "fedc/data.h"

/* A pipeline step's constructor helper: wraps self with vtable, destroying `in` (the step's
 * input, already stored inside self) through vtable->destroy on failure. */
fedc_status fedc__dataset_wrap(fedc_ctx *ctx, const fedc_dataset_vtable *vtable, void *self,
                               fedc_dataset **out);

/* Number of elements of a shape whose dims are all >= 0, or -1 when it overflows int64. */
int64_t fedc__shape_numel_checked(const fedc_shape *shape);

/* Reorders ex's features to the names in order[0..n) (a permutation of its n names). The names
 * may point into ex itself. Never allocates. */
void fedc__example_reorder(fedc_example *ex, const char *const *order, int n);

/* Decompresses a gzip file's bytes (every member, RFC 1952; CRC-32 and size checked) into a
 * fedc_malloc'ed buffer. `name` is the file's name for messages. Errors: CORRUPT naming the byte
 * offset, OUT_OF_MEMORY. */
fedc_status fedc__gunzip(fedc_ctx *ctx, const char *name, const void *data, size_t size,
                         uint8_t **out, size_t *out_size);

/* Reads a whole file into a fedc_malloc'ed buffer. Errors: IO (naming the file and why),
 * OUT_OF_MEMORY. */
fedc_status fedc__read_file(fedc_ctx *ctx, const char *path, uint8_t **out, size_t *size);

/* LZMA-compressed files, recognized by their first bytes (an SQLite header is never taken for
 * one). */
typedef enum fedc__lzma_format {
    FEDC__LZMA_NONE = 0, /* not compressed (or not a format liblzma reads) */
    FEDC__LZMA_XZ,       /* .xz: FD 37 7A 58 5A 00 */
    FEDC__LZMA_ALONE,    /* legacy .lzma ("alone"): a plausible 13-byte header, no magic */
    FEDC__LZMA_LZIP      /* .lz: "LZIP" (liblzma 5.4 and later) */
} fedc__lzma_format;

/* The format of a file whose first n bytes are head (n >= 13 for the alone format). */
fedc__lzma_format fedc__lzma_sniff(const uint8_t *head, size_t n);
const char *fedc__lzma_format_name(fedc__lzma_format f);

/* Decompresses the rest of `in` (any format fedc__lzma_sniff names; concatenated .xz streams
 * too) into out_fd; *out_size gets the bytes written. src_name and out_name are for messages.
 * Errors: CORRUPT naming src_name and the byte offset reached in the compressed stream (damaged
 * or truncated data, an unknown format); IO naming out_name for a failed write (a full disk), or
 * src_name for a failed read; OUT_OF_MEMORY. The caller removes a partial output. */
fedc_status fedc__lzma_decompress(fedc_ctx *ctx, const char *src_name, FILE *in,
                                  const char *out_name, int out_fd, uint64_t *out_size);

#endif /* FEDC_DATA_INT_H */
