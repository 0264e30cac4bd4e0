/* import_idx.c — the IDX importer: images + labels files -> a partitioned TFF-schema SQLite file
 * (pixels float32 [H,W] in [0, 1], label int64[1]; clients client_00000, ...). Nothing here
 * decides how to partition (partition.c) or how rows are encoded (sqlite_write.c).
 */
#include <stdio.h>
#include <string.h>

#include "data/import_int.h"

typedef struct idx_src {
    const fedc_tensor *images;
    const int64_t *labels;
} idx_src;

/* Example i: pixels / 255 as float32 [H,W], the label as int64[1]. */
static fedc_status idx_fill(fedc_ctx *ctx, void *user, int64_t i, fedc_example *ex) {
    const idx_src *s = user;
    int64_t h = s->images->shape.dims[1], wd = s->images->shape.dims[2];
    fedc_shape pshape = FEDC_SHAPE(h, wd), lshape = FEDC_SHAPE(1);
    fedc_tensor *pt, *lt;
    fedc_status st = fedc_example_set(ctx, ex, "pixels", FEDC_DTYPE_FLOAT32, &pshape, &pt);
    if (!st) st = fedc_example_set(ctx, ex, "label", FEDC_DTYPE_INT64, &lshape, &lt);
    if (st) return st;
    const uint8_t *px = (const uint8_t *)s->images->data + i * h * wd;
    float *f = pt->data;
    for (int64_t p = 0; p < h * wd; p++)
        f[p] = (float)px[p] / 255.0f;
    ((int64_t *)lt->data)[0] = s->labels[i];
    return FEDC_STATUS_OK;
}

fedc_status fedc_import_idx(fedc_ctx *ctx, const char *images_path, const char *labels_path,
                            const char *sqlite_path, const char *split_name,
                            const fedc_partition_opts *opts, fedc_partition_stats *stats) {
    if (stats) memset(stats, 0, sizeof *stats);
    fedc_tensor images, labels;
    memset(&labels, 0, sizeof labels);
    fedc_status st = fedc_idx_read(ctx, images_path, &images);
    if (st) return st;
    st = fedc_idx_read(ctx, labels_path, &labels);
    int64_t n = images.shape.rank >= 1 ? images.shape.dims[0] : 0;
    if (!st && (labels.shape.rank != 1 || labels.shape.dims[0] != n || images.shape.rank != 3))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                             "%s has %lld images (rank %d) but %s has %lld labels (rank %d)",
                             images_path, (long long)n, images.shape.rank, labels_path,
                             (long long)(labels.shape.rank ? labels.shape.dims[0] : 0),
                             labels.shape.rank);
    if (!st && images.dtype != FEDC_DTYPE_UINT8)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "%s: images are %s, not ubyte",
                             images_path, fedc_dtype_name(images.dtype));
    int64_t *lab = NULL;
    if (!st) {
        lab = fedc_malloc((size_t)(n ? n : 1) * sizeof *lab);
        if (!lab)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "import of %lld examples",
                                 (long long)n);
    }
    int64_t num_classes = 0;
    if (!st) {
        for (int64_t i = 0; i < n; i++) {
            lab[i] = (int64_t)fedc_tensor_get_flat(&labels, i);
            if (lab[i] < 0 || lab[i] > 255) {
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: label %lld of example %lld",
                                     labels_path, (long long)lab[i], (long long)i);
                break;
            }
            if (lab[i] + 1 > num_classes) num_classes = lab[i] + 1;
        }
    }
    if (!st) {
        idx_src src = {&images, lab};
        st = fedc__import_write(ctx, sqlite_path, split_name, opts, lab, n, num_classes, NULL, NULL,
                                0, idx_fill, &src, stats);
    }
    fedc_free(lab);
    fedc_tensor_free(&images);
    fedc_tensor_free(&labels);
    return st;
}
