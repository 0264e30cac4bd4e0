/* layer_activation.c — the Activation layer: relu, tanh, sigmoid, softmax (last axis) or gelu
 * applied elementwise to any per-example shape.
 *
 * No parameters, no allocation; GELU's backward needs x, which the model keeps anyway.
 */
#include "nn/nn_int.h"

static fedc_status act_build(fedc_ctx *ctx, fedc_layer *l) {
    if ((int)l->spec.activation < 0 || l->spec.activation >= FEDC_ACTIVATION_COUNT)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT, "unknown activation %d",
                                  (int)l->spec.activation);
    if (l->spec.activation == FEDC_ACTIVATION_SOFTMAX && l->in_shape.rank < 1)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE,
                                  "softmax needs inputs of rank >= 1 per example");
    l->out_shape = l->in_shape;
    l->param_count = 0;
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

static void act_dims(const fedc_layer *l, int64_t batch, int64_t *rows, int64_t *cols) {
    int64_t n = batch * fedc_shape_numel(&l->in_shape);
    *cols = l->in_shape.rank >= 1 ? l->in_shape.dims[l->in_shape.rank - 1] : 1;
    *rows = *cols == 0 ? 0 : n / *cols;
}

static void act_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t rows, cols;
    act_dims(l, io->batch, &rows, &cols);
    fedc__act_forward(l->spec.activation, rows, cols, x, y);
}

static void act_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                         const float *dy, float *dx) {
    if (!dx) return;
    int64_t rows, cols;
    act_dims(l, io->batch, &rows, &cols);
    fedc__act_backward(l->spec.activation, rows, cols, x, y, dy, dx);
}

const fedc_layer_ops fedc__activation_ops = {
    .class_name = "Activation",
    .build = act_build,
    .forward = act_forward,
    .backward = act_backward,
};
