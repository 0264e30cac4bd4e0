/* data_int.h — private declarations shared by the files of src/data/.
 * Not installed; only src/data/ includes it.
 */
#ifndef FEDC_DATA_INT_H
#define FEDC_DATA_INT_H

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

#endif /* FEDC_DATA_INT_H */
