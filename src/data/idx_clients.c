/* idx_clients.c — an IDX images file and its labels (MNIST, Fashion-MNIST) partitioned into
 * in-memory clients, for simulations that need no file of their own: what `fedc train` uses for
 * its built-in datasets.
 */
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"

fedc_status fedc_client_data_from_idx(fedc_ctx *ctx, const char *images_path,
                                      const char *labels_path, const fedc_partition_opts *opts,
                                      fedc_partition_stats *stats, fedc_client_data **out) {
    *out = NULL;
    fedc_tensor images = {0}, labels = {0};
    int64_t *lab = NULL, *client_of = NULL;
    fedc_memory_data *b = NULL;
    fedc_example *ex = NULL;
    fedc_status st = fedc_idx_read(ctx, images_path, &images);
    if (st >= 0) st = fedc_idx_read(ctx, labels_path, &labels);
    int64_t n = st >= 0 && images.shape.rank == 3 ? images.shape.dims[0] : -1;
    if (st >= 0 && (n < 0 || images.dtype != FEDC_DTYPE_UINT8 || labels.shape.rank != 1 ||
                    labels.shape.dims[0] != n))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                             "%s and %s: expected uint8 images [n,h,w] and n labels", images_path,
                             labels_path);
    if (st >= 0) {
        lab = fedc_malloc((size_t)(n ? n : 1) * sizeof *lab);
        client_of = fedc_malloc((size_t)(n ? n : 1) * sizeof *client_of);
        if (!lab || !client_of)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    }
    int64_t classes = 0;
    for (int64_t i = 0; st >= 0 && i < n; i++) {
        lab[i] = (int64_t)fedc_tensor_get_flat(&labels, i);
        if (lab[i] < 0 || lab[i] > 255)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: label %lld of example %lld",
                                 labels_path, (long long)lab[i], (long long)i);
        else if (lab[i] + 1 > classes)
            classes = lab[i] + 1;
    }
    if (st >= 0) st = fedc_partition_assign(ctx, opts, lab, n, classes, client_of);
    if (st >= 0 && stats)
        st =
            fedc_partition_stats_compute(ctx, client_of, lab, n, opts->num_clients, classes, stats);
    if (st >= 0) st = fedc_memory_data_create(ctx, &b);
    if (st >= 0) st = fedc_example_create(ctx, &ex);
    int64_t h = n >= 0 ? images.shape.dims[1] : 0, w = n >= 0 ? images.shape.dims[2] : 0;
    const uint8_t *px = images.data;
    for (int64_t i = 0; st >= 0 && i < n; i++) {
        fedc_tensor *x, *y;
        fedc_shape xs = FEDC_SHAPE(h, w, 1), s0 = FEDC_SHAPE0;
        st = fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &x);
        if (st >= 0) st = fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &s0, &y);
        if (st < 0) break;
        float *xd = x->data;
        for (int64_t k = 0; k < h * w; k++)
            xd[k] = (float)px[i * h * w + k] / 255.0f;
        *(int32_t *)y->data = (int32_t)lab[i];
        char id[32];
        snprintf(id, sizeof id, "client_%05lld", (long long)client_of[i]);
        st = fedc_memory_data_add(ctx, b, id, ex);
    }
    if (st >= 0) st = fedc_memory_data_finish(ctx, b, out);
    if (st < 0 && stats) fedc_partition_stats_free(stats);
    fedc_example_destroy(ex);
    fedc_memory_data_destroy(b);
    fedc_free(lab);
    fedc_free(client_of);
    fedc_tensor_free(&images);
    fedc_tensor_free(&labels);
    return st;
}
