/* layer_dense.c — Dense: y = act(x @ W + b) over the last axis, W [in, units] (Keras's kernel
 * layout), b [units]; forward and backward through fedc_sgemm.
 *
 * Must not allocate: the pre-activation is kept in io->saved, dL/dz goes to io->temp.
 */
#include "nn/nn_int.h"

/* The elementwise passes around the product, in blocks of BLK so that gcc -O2 vectorizes them
 * (its cheap cost model leaves loops of unknown length scalar, and a scalar relu mispredicts a
 * branch on every other element). Same operations in the same order as the plain loops: z += b
 * row by row, relu as z > 0 ? z : 0, db summed over rows in row order, so the bits are equal. */
enum { BLK = 8 };

/* z[r, :] += b for every row. */
static void bias_add_rows(int64_t rows, int64_t cols, const float *restrict b, float *restrict z) {
    for (int64_t r = 0; r < rows; r++) {
        float *zr = z + r * cols;
        int64_t j = 0;
        for (; j + BLK <= cols; j += BLK)
            for (int k = 0; k < BLK; k++)
                zr[j + k] += b[j + k];
        for (; j < cols; j++)
            zr[j] += b[j];
    }
}

/* z[r, :] += b (b may be NULL), then y = relu(z); z and y distinct. */
static void bias_relu_rows(int64_t rows, int64_t cols, const float *restrict b, float *restrict z,
                           float *restrict y) {
    for (int64_t r = 0; r < rows; r++) {
        float *zr = z + r * cols, *yr = y + r * cols;
        int64_t j = 0;
        if (b) {
            for (; j + BLK <= cols; j += BLK)
                for (int k = 0; k < BLK; k++) {
                    float v = zr[j + k] + b[j + k];
                    zr[j + k] = v;
                    yr[j + k] = v > 0.0f ? v : 0.0f;
                }
            for (; j < cols; j++) {
                float v = zr[j] + b[j];
                zr[j] = v;
                yr[j] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (; j + BLK <= cols; j += BLK)
                for (int k = 0; k < BLK; k++) {
                    float v = zr[j + k];
                    yr[j + k] = v > 0.0f ? v : 0.0f;
                }
            for (; j < cols; j++)
                yr[j] = zr[j] > 0.0f ? zr[j] : 0.0f;
        }
    }
}

/* dz = dy where y > 0, else 0 (relu's derivative at 0 is 0, as TensorFlow and PyTorch take
 * it); db (NULL: none) = the column sums of dz, in row order. */
static void relu_backward_rows(int64_t rows, int64_t cols, const float *restrict y,
                               const float *restrict dy, float *restrict dz, float *restrict db) {
    if (db)
        for (int64_t j = 0; j < cols; j++)
            db[j] = 0.0f;
    for (int64_t r = 0; r < rows; r++) {
        const float *yr = y + r * cols, *dyr = dy + r * cols;
        float *dzr = dz + r * cols;
        int64_t j = 0;
        if (db) {
            for (; j + BLK <= cols; j += BLK)
                for (int k = 0; k < BLK; k++) {
                    float d = dyr[j + k], v = yr[j + k];
                    float o = v > 0.0f ? d : 0.0f;
                    dzr[j + k] = o;
                    db[j + k] += o;
                }
            for (; j < cols; j++) {
                float o = yr[j] > 0.0f ? dyr[j] : 0.0f;
                dzr[j] = o;
                db[j] += o;
            }
        } else {
            for (; j + BLK <= cols; j += BLK)
                for (int k = 0; k < BLK; k++) {
                    float d = dyr[j + k], v = yr[j + k];
                    dzr[j + k] = v > 0.0f ? d : 0.0f;
                }
            for (; j < cols; j++)
                dzr[j] = yr[j] > 0.0f ? dyr[j] : 0.0f;
        }
    }
}

/* db = the column sums of dz, in row order. */
static void column_sums(int64_t rows, int64_t cols, const float *restrict dz, float *restrict db) {
    for (int64_t j = 0; j < cols; j++)
        db[j] = 0.0f;
    for (int64_t r = 0; r < rows; r++) {
        const float *dzr = dz + r * cols;
        int64_t j = 0;
        for (; j + BLK <= cols; j += BLK)
            for (int k = 0; k < BLK; k++)
                db[j + k] += dzr[j + k];
        for (; j < cols; j++)
            db[j] += dzr[j];
    }
}

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
        bias_relu_rows(rows, units, b, z, y);
        return;
    }
    if (b) bias_add_rows(rows, units, b, z);
    if (act) fedc__act_forward(l->spec.activation, rows, units, z, y);
}

static void dense_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                           const float *dy, float *dx) {
    int64_t rows = rows_of(l, io->batch), in = in_units(l), units = l->spec.units;
    const float *dz = dy;
    float *db = l->spec.use_bias ? l->grads + in * units : NULL;
    bool db_done = false;
    if (l->spec.activation == FEDC_ACTIVATION_RELU) {
        relu_backward_rows(rows, units, y, dy, io->temp, db);
        dz = io->temp;
        db_done = true;
    } else if (l->spec.activation != FEDC_ACTIVATION_LINEAR) {
        fedc__act_backward(l->spec.activation, rows, units, io->saved, y, dy, io->temp);
        dz = io->temp;
    }
    fedc_sgemm(true, false, in, units, rows, 1.0f, x, in, dz, units, 0.0f, l->grads, units);
    if (db && !db_done) column_sums(rows, units, dz, db);
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
