/* import_idx.c — the IDX importer: images + labels files -> a partitioned TFF-schema SQLite file
 * (pixels float32 [H,W] in [0, 1], label int64[1]; clients client_00000, ...). Nothing here
 * decides how to partition (partition.c) or how rows are encoded (sqlite_write.c).
 */
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"

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
    int64_t *lab = NULL, *client_of = NULL, *order = NULL, *start = NULL;
    int64_t k = opts->num_clients;
    if (!st) {
        lab = fedc_malloc((size_t)(n ? n : 1) * sizeof *lab);
        client_of = fedc_malloc((size_t)(n ? n : 1) * sizeof *client_of);
        order = fedc_malloc((size_t)(n ? n : 1) * sizeof *order);
        start = fedc_calloc((size_t)(k > 0 ? k : 0) + 1, sizeof *start);
        if (!lab || !client_of || !order || !start)
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
    if (!st) st = fedc_partition_assign(ctx, opts, lab, n, num_classes, client_of);
    if (!st && stats)
        st = fedc_partition_stats_compute(ctx, client_of, lab, n, k, num_classes, stats);
    /* Group by client, keeping the file's order inside each client. */
    if (!st) {
        for (int64_t i = 0; i < n; i++)
            start[client_of[i] + 1]++;
        for (int64_t c = 0; c < k; c++)
            start[c + 1] += start[c];
        for (int64_t i = 0; i < n; i++)
            order[start[client_of[i]]++] = i;
    }
    fedc_sqlite_writer *w = NULL;
    fedc_example *ex = NULL;
    if (!st) st = fedc_sqlite_writer_create(ctx, sqlite_path, &w);
    if (!st) st = fedc_example_create(ctx, &ex);
    if (!st) {
        int width = 5;
        for (int64_t m = k - 1; m >= 100000; m /= 10)
            width++;
        int64_t h = images.shape.dims[1], wd = images.shape.dims[2];
        fedc_shape pshape = FEDC_SHAPE(h, wd), lshape = FEDC_SHAPE(1);
        const uint8_t *px = images.data;
        for (int64_t j = 0; j < n && !st; j++) {
            int64_t i = order[j];
            char id[32];
            snprintf(id, sizeof id, "client_%0*lld", width, (long long)client_of[i]);
            fedc_tensor *pt, *lt;
            st = fedc_example_set(ctx, ex, "pixels", FEDC_DTYPE_FLOAT32, &pshape, &pt);
            if (!st) st = fedc_example_set(ctx, ex, "label", FEDC_DTYPE_INT64, &lshape, &lt);
            if (st) break;
            float *f = pt->data;
            for (int64_t p = 0; p < h * wd; p++)
                f[p] = (float)px[i * h * wd + p] / 255.0f;
            ((int64_t *)lt->data)[0] = lab[i];
            st = fedc_sqlite_writer_add(ctx, w, split_name, id, ex);
        }
    }
    if (!st) st = fedc_sqlite_writer_finish(ctx, w);
    fedc_sqlite_writer_destroy(w);
    fedc_example_destroy(ex);
    fedc_free(lab);
    fedc_free(client_of);
    fedc_free(order);
    fedc_free(start);
    fedc_tensor_free(&images);
    fedc_tensor_free(&labels);
    if (st && stats) fedc_partition_stats_free(stats);
    return st;
}
