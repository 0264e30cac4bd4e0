/* import_cifar.c — the CIFAR-10/100 binary batch importer: records of label byte(s) and three
 * 32x32 colour planes -> TFF's cifar100 example layout (image uint8 [32,32,3], label, and
 * coarse_label for CIFAR-100) in a partitioned TFF-schema SQLite file. Nothing here decides a
 * partition (partition.c) or encodes rows (sqlite_write.c).
 */
#include <string.h>

#include "data/data_int.h"
#include "data/import_int.h"

enum { CIFAR_PIXELS = 32 * 32 * 3 };

typedef struct cifar_src {
    const uint8_t *records; /* all files' records, concatenated */
    size_t record_size;
    bool cifar100;
    const int64_t *labels;
} cifar_src;

/* CIFAR stores planes (channel, row, column); TFF's image is (row, column, channel). */
static fedc_status cifar_fill(fedc_ctx *ctx, void *user, int64_t i, fedc_example *ex) {
    const cifar_src *s = user;
    const uint8_t *r = s->records + (size_t)i * s->record_size;
    fedc_shape is = FEDC_SHAPE(32, 32, 3), ls = FEDC_SHAPE(1);
    fedc_tensor *it, *lt, *ct;
    fedc_status st = FEDC_STATUS_OK;
    if (s->cifar100) {
        st = fedc_example_set(ctx, ex, "coarse_label", FEDC_DTYPE_INT64, &ls, &ct);
        if (!st) ((int64_t *)ct->data)[0] = r[0];
    }
    if (!st) st = fedc_example_set(ctx, ex, "image", FEDC_DTYPE_UINT8, &is, &it);
    if (!st) st = fedc_example_set(ctx, ex, "label", FEDC_DTYPE_INT64, &ls, &lt);
    if (st) return st;
    const uint8_t *px = r + (s->cifar100 ? 2 : 1);
    uint8_t *img = it->data;
    for (int p = 0; p < 32 * 32; p++)
        for (int c = 0; c < 3; c++)
            img[p * 3 + c] = px[c * 32 * 32 + p];
    ((int64_t *)lt->data)[0] = s->labels[i];
    return FEDC_STATUS_OK;
}

fedc_status fedc_import_cifar(fedc_ctx *ctx, const char *const *batch_paths, int npaths,
                              bool cifar100, const char *sqlite_path, const char *split_name,
                              const fedc_partition_opts *popts, fedc_partition_stats *stats) {
    if (stats) memset(stats, 0, sizeof *stats);
    size_t rsize = CIFAR_PIXELS + (cifar100 ? 2 : 1);
    uint8_t *all = NULL;
    size_t total = 0;
    fedc_status st = FEDC_STATUS_OK;
    for (int f = 0; f < npaths && !st; f++) {
        uint8_t *data;
        size_t size;
        st = fedc__read_file(ctx, batch_paths[f], &data, &size);
        if (st) break;
        if (size % rsize != 0) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: byte offset %zu: truncated record: the file's %zu bytes are "
                                 "not a whole number of %zu-byte CIFAR-%d records",
                                 batch_paths[f], size - size % rsize, size, rsize,
                                 cifar100 ? 100 : 10);
        } else if (!all) {
            all = data;
            total = size;
            data = NULL;
        } else {
            uint8_t *grown = fedc_realloc(all, total + size);
            if (!grown) {
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s", batch_paths[f]);
            } else {
                memcpy(grown + total, data, size);
                all = grown;
                total += size;
            }
        }
        fedc_free(data);
    }
    int64_t n = (int64_t)(total / rsize), num_classes = 0;
    int64_t *labels = NULL;
    if (!st) {
        labels = fedc_malloc((size_t)(n ? n : 1) * sizeof *labels);
        if (!labels)
            st =
                fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%lld CIFAR records", (long long)n);
    }
    for (int64_t i = 0; !st && i < n; i++) {
        labels[i] = all[(size_t)i * rsize + (cifar100 ? 1 : 0)];
        if (labels[i] + 1 > num_classes) num_classes = labels[i] + 1;
    }
    if (!st) {
        cifar_src src = {all, rsize, cifar100, labels};
        st = fedc__import_write(ctx, sqlite_path, split_name, popts, labels, n, num_classes, NULL,
                                NULL, 0, cifar_fill, &src, stats);
    }
    fedc_free(labels);
    fedc_free(all);
    return st;
}
