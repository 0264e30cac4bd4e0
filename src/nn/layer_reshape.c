/* layer_reshape.c — Flatten and Reshape: the same floats under another per-example shape.
 *
 * In a model they are views (output_is_input: the model hands the input buffer on and the
 * gradient back, no copy); forward and backward are copies for callers that run the layer alone.
 * No parameters, no allocation.
 */
#include <string.h>

#include "nn/nn_int.h"

static fedc_status flatten_build(fedc_ctx *ctx, fedc_layer *l) {
    (void)ctx;
    l->out_shape = FEDC_SHAPE(fedc_shape_numel(&l->in_shape));
    l->param_count = 0;
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

static fedc_status reshape_build(fedc_ctx *ctx, fedc_layer *l) {
    const fedc_shape *t = &l->spec.target_shape;
    char want[96], have[96];
    fedc_shape_format(t, want, sizeof want);
    fedc_shape_format(&l->in_shape, have, sizeof have);
    if (t->rank < 0 || t->rank > FEDC_MAX_RANK - 1)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "target shape rank %d not in [0, %d]", t->rank,
                                  FEDC_MAX_RANK - 1);
    int64_t known = 1, unknown_axis = -1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] == -1 && unknown_axis < 0) {
            unknown_axis = i;
        } else if (t->dims[i] < 0) {
            return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                      "bad target shape %s (at most one -1, no other negative)",
                                      want);
        } else {
            known *= t->dims[i];
        }
    }
    int64_t n = fedc_shape_numel(&l->in_shape);
    l->out_shape = *t;
    if (unknown_axis >= 0) {
        if (known == 0 || n % known != 0)
            return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE,
                                      "cannot reshape %s (%lld elements) to %s", have, (long long)n,
                                      want);
        l->out_shape.dims[unknown_axis] = n / known;
    } else if (known != n) {
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE,
                                  "cannot reshape %s (%lld elements) to %s (%lld elements)", have,
                                  (long long)n, want, (long long)known);
    }
    l->param_count = 0;
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

static void copy_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    memcpy(y, x, (size_t)(io->batch * fedc_shape_numel(&l->in_shape)) * sizeof(float));
}

static void copy_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                          const float *dy, float *dx) {
    (void)x;
    (void)y;
    if (dx) memcpy(dx, dy, (size_t)(io->batch * fedc_shape_numel(&l->in_shape)) * sizeof(float));
}

const fedc_layer_ops fedc__flatten_ops = {
    .class_name = "Flatten",
    .build = flatten_build,
    .forward = copy_forward,
    .backward = copy_backward,
    .output_is_input = true,
};

const fedc_layer_ops fedc__reshape_ops = {
    .class_name = "Reshape",
    .build = reshape_build,
    .forward = copy_forward,
    .backward = copy_backward,
    .output_is_input = true,
};
