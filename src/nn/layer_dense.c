/* layer_dense.c — Dense: y = act(x @ W + b) over the last axis, W [in, units] (Keras's kernel
 * layout), b [units]; forward and backward through fedc_sgemm.
 *
 * Must not allocate: the pre-activation is kept in io->saved, dL/dz goes to io->temp.
 */
#include "nn/nn_int.h"

#include "nn/affine.h"

static int64_t in_units(const fedc_layer *l) { return l->in_shape.dims[l->in_shape.rank - 1]; }

static int64_t rows_of(const fedc_layer *l, int64_t batch) {
    int64_t in = in_units(l);
    return in == 0 ? 0 : batch * (fedc_shape_numel(&l->in_shape) / in);
}

static fedc_status dense_build(fedc_ctx *ctx, fedc_layer *l) {
    if (l->in_shape.rank < 1)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE,
                                  "expects inputs of rank >= 1 per example, got a scalar");
    if (l->spec.units <= 0)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "units must be positive, got %lld", (long long)l->spec.units);
    if ((int)l->spec.activation < 0 || l->spec.activation >= FEDC_ACTIVATION_COUNT)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT, "unknown activation %d",
                                  (int)l->spec.activation);
    l->out_shape = l->in_shape;
    l->out_shape.dims[l->out_shape.rank - 1] = l->spec.units;
    l->param_count = in_units(l) * l->spec.units + (l->spec.use_bias ? l->spec.units : 0);
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

static fedc_status dense_init(fedc_ctx *ctx, fedc_layer *l, uint64_t seed) {
    fedc_shape ks = FEDC_SHAPE(in_units(l), l->spec.units);
    fedc_status st = fedc__init_weight(ctx, l, 0, &l->spec.kernel_init, &ks, seed, l->params);
    if (st != FEDC_STATUS_OK || !l->spec.use_bias) return st;
    fedc_shape bs = FEDC_SHAPE(l->spec.units);
    return fedc__init_weight(ctx, l, 1, &l->spec.bias_init, &bs, seed,
                             l->params + in_units(l) * l->spec.units);
}

static int64_t dense_saved(const fedc_layer *l, int64_t batch) {
    return l->spec.activation == FEDC_ACTIVATION_LINEAR ? 0 : rows_of(l, batch) * l->spec.units;
}

static int64_t dense_temp(const fedc_layer *l, int64_t batch) { return dense_saved(l, batch); }

static void dense_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t rows = rows_of(l, io->batch), in = in_units(l), units = l->spec.units;
    bool act = l->spec.activation != FEDC_ACTIVATION_LINEAR;
    float *z = act ? io->saved : y;
    fedc_sgemm(false, false, rows, units, in, 1.0f, x, in, l->params, units, 0.0f, z, units);
    const float *b = l->spec.use_bias ? l->params + in * units : NULL;
    if (l->spec.activation == FEDC_ACTIVATION_RELU) {
        fedc__bias_relu_rows(rows, units, b, z, y);
        return;
    }
    if (b) fedc__bias_add_rows(rows, units, b, z);
    if (act) fedc__act_forward(l->spec.activation, rows, units, z, y);
}

static void dense_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                           const float *dy, float *dx) {
    int64_t rows = rows_of(l, io->batch), in = in_units(l), units = l->spec.units;
    const float *dz = dy;
    float *db = l->spec.use_bias ? l->grads + in * units : NULL;
    bool db_done = false;
    if (l->spec.activation == FEDC_ACTIVATION_RELU) {
        fedc__relu_backward_rows(rows, units, y, dy, io->temp, db);
        dz = io->temp;
        db_done = true;
    } else if (l->spec.activation != FEDC_ACTIVATION_LINEAR) {
        fedc__act_backward(l->spec.activation, rows, units, io->saved, y, dy, io->temp);
        dz = io->temp;
    }
    fedc_sgemm(true, false, in, units, rows, 1.0f, x, in, dz, units, 0.0f, l->grads, units);
    if (db && !db_done) fedc__column_sums(rows, units, dz, db);
    if (dx)
        fedc_sgemm(false, true, rows, in, units, 1.0f, dz, units, l->params, units, 0.0f, dx, in);
}

const fedc_layer_ops fedc__dense_ops = {
    .class_name = "Dense",
    .build = dense_build,
    .init = dense_init,
    .saved_size = dense_saved,
    .temp_size = dense_temp,
    .forward = dense_forward,
    .backward = dense_backward,
};
