/* layer_embedding.c — Embedding: token ids (float32 integers, the model's input dtype) select
 * rows of a table [input_dim, output_dim]; backward adds dy rows into the table's gradient.
 *
 * Ids are checked by validate before forward runs, so forward never reads outside the table.
 * No gradient flows to the ids (dx is zeros). No allocation.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_int.h"

static fedc_status emb_build(fedc_ctx *ctx, fedc_layer *l) {
    if (l->spec.input_dim <= 0 || l->spec.units <= 0)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "input_dim and output_dim must be positive, got %lld and %lld",
                                  (long long)l->spec.input_dim, (long long)l->spec.units);
    if (l->in_shape.rank > FEDC_MAX_RANK - 2)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE, "input rank %d too large",
                                  l->in_shape.rank);
    l->out_shape = l->in_shape;
    l->out_shape.dims[l->out_shape.rank++] = l->spec.units;
    l->param_count = l->spec.input_dim * l->spec.units;
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

static fedc_status emb_init(fedc_ctx *ctx, fedc_layer *l, uint64_t seed) {
    fedc_shape ks = FEDC_SHAPE(l->spec.input_dim, l->spec.units);
    return fedc__init_weight(ctx, l, 0, &l->spec.kernel_init, &ks, seed, l->params);
}

static fedc_status emb_validate(fedc_ctx *ctx, const fedc_layer *l, int64_t batch, const float *x) {
    int64_t n = batch * fedc_shape_numel(&l->in_shape);
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        if (!(v >= 0.0f && v < (float)l->spec.input_dim) || v != floorf(v))
            return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                      "input element %lld is %g, expected a token id in [0, %lld)",
                                      (long long)i, (double)v, (long long)l->spec.input_dim);
    }
    return FEDC_STATUS_OK;
}

static void emb_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t n = io->batch * fedc_shape_numel(&l->in_shape), d = l->spec.units;
    for (int64_t i = 0; i < n; i++)
        memcpy(y + i * d, l->params + (int64_t)x[i] * d, (size_t)d * sizeof(float));
}

static void emb_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                         const float *dy, float *dx) {
    (void)y;
    int64_t n = io->batch * fedc_shape_numel(&l->in_shape), d = l->spec.units;
    memset(l->grads, 0, (size_t)l->param_count * sizeof(float));
    /* In input order, so repeated ids sum in a fixed order. */
    for (int64_t i = 0; i < n; i++) {
        float *g = l->grads + (int64_t)x[i] * d;
        for (int64_t j = 0; j < d; j++)
            g[j] += dy[i * d + j];
    }
    if (dx) memset(dx, 0, (size_t)n * sizeof(float));
}

const fedc_layer_ops fedc__embedding_ops = {
    .class_name = "Embedding",
    .build = emb_build,
    .init = emb_init,
    .forward = emb_forward,
    .backward = emb_backward,
    .validate = emb_validate,
};
