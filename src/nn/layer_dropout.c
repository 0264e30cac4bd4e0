/* layer_dropout.c — Dropout: in training, each element is kept with probability 1 - rate and
 * scaled by 1 / (1 - rate) (Keras's inverted dropout); in inference, the identity.
 *
 * The mask comes only from io->rng, the stream the model keys by (seed, step, layer index,
 * FEDC_RNG_PURPOSE_DROPOUT), so it is the same on any thread; it is kept in io->saved.
 */
#include <string.h>

#include "nn/nn_int.h"

static fedc_status dropout_build(fedc_ctx *ctx, fedc_layer *l) {
    if (!(l->spec.rate >= 0.0 && l->spec.rate < 1.0))
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "rate must be in [0, 1), got %g", l->spec.rate);
    l->out_shape = l->in_shape;
    l->param_count = 0;
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

static int64_t dropout_saved(const fedc_layer *l, int64_t batch) {
    return batch * fedc_shape_numel(&l->in_shape);
}

static void dropout_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t n = io->batch * fedc_shape_numel(&l->in_shape);
    if (!io->training || l->spec.rate == 0.0) {
        memcpy(y, x, (size_t)n * sizeof(float));
        for (int64_t i = 0; i < n; i++)
            io->saved[i] = 1.0f;
        return;
    }
    float scale = (float)(1.0 / (1.0 - l->spec.rate));
    float rate = (float)l->spec.rate;
    /* The uniforms are drawn in bulk into the mask buffer and turned into the mask in place: the
     * same draws, in the same order, as one fedc_rng_uniform per element, and loops without a
     * call or an unpredictable branch per element. */
    float *restrict mask = io->saved;
    fedc_rng_fill_uniform(&io->rng, mask, (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        float m = mask[i] < rate ? 0.0f : scale;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

static void dropout_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                             const float *dy, float *dx) {
    (void)x;
    (void)y;
    if (!dx) return;
    int64_t n = io->batch * fedc_shape_numel(&l->in_shape);
    for (int64_t i = 0; i < n; i++)
        dx[i] = dy[i] * io->saved[i];
}

const fedc_layer_ops fedc__dropout_ops = {
    .class_name = "Dropout",
    .build = dropout_build,
    .saved_size = dropout_saved,
    .forward = dropout_forward,
    .backward = dropout_backward,
};
