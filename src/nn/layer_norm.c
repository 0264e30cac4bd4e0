/* layer_norm.c — LayerNormalization (over the last axis, per row), GroupNormalization (groups
 * of channels, per example) and BatchNormalization (per channel = last axis, over the batch and
 * all other axes), Keras's definitions: gamma then beta trainable; BatchNorm's moving mean and
 * variance non-trainable, updated by training forwards with the batch's (biased) variance.
 *
 * Statistics are summed in double. Must not allocate: the means and 1/std are kept in
 * io->saved.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_int.h"

static int64_t channels(const fedc_layer *l) { return l->in_shape.dims[l->in_shape.rank - 1]; }

static int64_t rows_of(const fedc_layer *l, int64_t batch) {
    return batch * (fedc_shape_numel(&l->in_shape) / channels(l));
}

static fedc_status norm_build(fedc_ctx *ctx, fedc_layer *l) {
    if (l->in_shape.rank < 1 || l->in_shape.dims[l->in_shape.rank - 1] < 1)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE,
                                  "expects inputs of rank >= 1 with a non-empty last axis");
    if (!(l->spec.epsilon > 0.0))
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "epsilon must be positive, got %g", l->spec.epsilon);
    if (l->spec.kind == FEDC_LAYER_BATCH_NORM &&
        !(l->spec.momentum >= 0.0 && l->spec.momentum <= 1.0))
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "momentum must be in [0, 1], got %g", l->spec.momentum);
    if (l->spec.kind == FEDC_LAYER_GROUP_NORM &&
        (l->spec.groups < 1 || channels(l) % l->spec.groups != 0))
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "groups must divide the %lld channels, got %lld",
                                  (long long)channels(l), (long long)l->spec.groups);
    l->out_shape = l->in_shape;
    l->param_count = 2 * channels(l);
    l->state_count = l->spec.kind == FEDC_LAYER_BATCH_NORM ? 2 * channels(l) : 0;
    return FEDC_STATUS_OK;
}

static fedc_status norm_init(fedc_ctx *ctx, fedc_layer *l, uint64_t seed) {
    int64_t c = channels(l);
    fedc_shape s = FEDC_SHAPE(c);
    fedc_status st = fedc__init_weight(ctx, l, 0, &l->spec.kernel_init, &s, seed, l->params);
    if (st == FEDC_STATUS_OK)
        st = fedc__init_weight(ctx, l, 1, &l->spec.bias_init, &s, seed, l->params + c);
    if (l->state)
        for (int64_t j = 0; j < c; j++) {
            l->state[j] = 0.0f;     /* moving_mean */
            l->state[c + j] = 1.0f; /* moving_variance */
        }
    return st;
}

/* ---- LayerNormalization ---- */

static int64_t ln_saved(const fedc_layer *l, int64_t batch) { return 2 * rows_of(l, batch); }

static void ln_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t rows = rows_of(l, io->batch), c = channels(l);
    const float *gamma = l->params, *beta = l->params + c;
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        double mean = 0.0, var = 0.0;
        for (int64_t j = 0; j < c; j++)
            mean += xr[j];
        mean /= (double)c;
        for (int64_t j = 0; j < c; j++)
            var += (xr[j] - mean) * (xr[j] - mean);
        var /= (double)c;
        double rstd = 1.0 / sqrt(var + l->spec.epsilon);
        io->saved[2 * r] = (float)mean;
        io->saved[2 * r + 1] = (float)rstd;
        for (int64_t j = 0; j < c; j++)
            y[r * c + j] = (float)((xr[j] - mean) * rstd) * gamma[j] + beta[j];
    }
}

static void ln_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                        const float *dy, float *dx) {
    (void)y;
    int64_t rows = rows_of(l, io->batch), c = channels(l);
    const float *gamma = l->params;
    float *dgamma = l->grads, *dbeta = l->grads + c;
    memset(l->grads, 0, (size_t)(2 * c) * sizeof(float));
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * c, *dyr = dy + r * c;
        double mean = io->saved[2 * r], rstd = io->saved[2 * r + 1];
        double s1 = 0.0, s2 = 0.0; /* mean of dxhat, mean of dxhat * xhat */
        for (int64_t j = 0; j < c; j++) {
            double xhat = (xr[j] - mean) * rstd, dxhat = (double)dyr[j] * gamma[j];
            dgamma[j] += (float)(dyr[j] * xhat);
            dbeta[j] += dyr[j];
            s1 += dxhat;
            s2 += dxhat * xhat;
        }
        s1 /= (double)c;
        s2 /= (double)c;
        if (dx)
            for (int64_t j = 0; j < c; j++) {
                double xhat = (xr[j] - mean) * rstd, dxhat = (double)dyr[j] * gamma[j];
                dx[r * c + j] = (float)(rstd * (dxhat - s1 - xhat * s2));
            }
    }
}

/* ---- GroupNormalization: per example, group g holds channels [g*cg, (g+1)*cg) of every
 * position. ---- */

static int64_t gn_saved(const fedc_layer *l, int64_t batch) { return 2 * batch * l->spec.groups; }

static void gn_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t c = channels(l), g_n = l->spec.groups, cg = c / g_n;
    int64_t pos = fedc_shape_numel(&l->in_shape) / c, cnt = pos * cg;
    const float *gamma = l->params, *beta = l->params + c;
    for (int64_t b = 0; b < io->batch; b++) {
        const float *xb = x + b * pos * c;
        float *yb = y + b * pos * c;
        for (int64_t g = 0; g < g_n; g++) {
            double mean = 0.0, var = 0.0;
            for (int64_t p = 0; p < pos; p++)
                for (int64_t j = g * cg; j < (g + 1) * cg; j++)
                    mean += xb[p * c + j];
            mean /= (double)cnt;
            for (int64_t p = 0; p < pos; p++)
                for (int64_t j = g * cg; j < (g + 1) * cg; j++)
                    var += (xb[p * c + j] - mean) * (xb[p * c + j] - mean);
            var /= (double)cnt;
            double rstd = 1.0 / sqrt(var + l->spec.epsilon);
            io->saved[2 * (b * g_n + g)] = (float)mean;
            io->saved[2 * (b * g_n + g) + 1] = (float)rstd;
            for (int64_t p = 0; p < pos; p++)
                for (int64_t j = g * cg; j < (g + 1) * cg; j++)
                    yb[p * c + j] = (float)((xb[p * c + j] - mean) * rstd) * gamma[j] + beta[j];
        }
    }
}

static void gn_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                        const float *dy, float *dx) {
    (void)y;
    int64_t c = channels(l), g_n = l->spec.groups, cg = c / g_n;
    int64_t pos = fedc_shape_numel(&l->in_shape) / c, cnt = pos * cg;
    const float *gamma = l->params;
    float *dgamma = l->grads, *dbeta = l->grads + c;
    memset(l->grads, 0, (size_t)(2 * c) * sizeof(float));
    for (int64_t b = 0; b < io->batch; b++) {
        const float *xb = x + b * pos * c, *dyb = dy + b * pos * c;
        for (int64_t g = 0; g < g_n; g++) {
            double mean = io->saved[2 * (b * g_n + g)], rstd = io->saved[2 * (b * g_n + g) + 1];
            double s1 = 0.0, s2 = 0.0;
            for (int64_t p = 0; p < pos; p++)
                for (int64_t j = g * cg; j < (g + 1) * cg; j++) {
                    double xhat = (xb[p * c + j] - mean) * rstd;
                    double dxhat = (double)dyb[p * c + j] * gamma[j];
                    dgamma[j] += (float)(dyb[p * c + j] * xhat);
                    dbeta[j] += dyb[p * c + j];
                    s1 += dxhat;
                    s2 += dxhat * xhat;
                }
            s1 /= (double)cnt;
            s2 /= (double)cnt;
            if (!dx) continue;
            for (int64_t p = 0; p < pos; p++)
                for (int64_t j = g * cg; j < (g + 1) * cg; j++) {
                    double xhat = (xb[p * c + j] - mean) * rstd;
                    double dxhat = (double)dyb[p * c + j] * gamma[j];
                    dx[b * pos * c + p * c + j] = (float)(rstd * (dxhat - s1 - xhat * s2));
                }
        }
    }
}

/* ---- BatchNormalization ---- */

static int64_t bn_saved(const fedc_layer *l, int64_t batch) {
    (void)batch;
    return 2 * channels(l);
}

static void bn_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t rows = rows_of(l, io->batch), c = channels(l);
    const float *gamma = l->params, *beta = l->params + c;
    float *mean = io->saved, *rstd = io->saved + c;
    float *mmean = l->state, *mvar = l->state + c;
    for (int64_t j = 0; j < c; j++) {
        double mu, var;
        if (io->training) {
            double s = 0.0, s2 = 0.0;
            for (int64_t r = 0; r < rows; r++)
                s += x[r * c + j];
            mu = s / (double)rows;
            for (int64_t r = 0; r < rows; r++)
                s2 += (x[r * c + j] - mu) * (x[r * c + j] - mu);
            var = s2 / (double)rows;
            double m = l->spec.momentum;
            mmean[j] = (float)(mmean[j] * m + mu * (1.0 - m));
            mvar[j] = (float)(mvar[j] * m + var * (1.0 - m));
        } else {
            mu = mmean[j];
            var = mvar[j];
        }
        mean[j] = (float)mu;
        rstd[j] = (float)(1.0 / sqrt(var + l->spec.epsilon));
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < c; j++)
            y[r * c + j] = (x[r * c + j] - mean[j]) * rstd[j] * gamma[j] + beta[j];
}

static void bn_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                        const float *dy, float *dx) {
    (void)y;
    int64_t rows = rows_of(l, io->batch), c = channels(l);
    const float *gamma = l->params, *mean = io->saved, *rstd = io->saved + c;
    float *dgamma = l->grads, *dbeta = l->grads + c;
    for (int64_t j = 0; j < c; j++) {
        double sg = 0.0, sb = 0.0;
        for (int64_t r = 0; r < rows; r++) {
            double xhat = (x[r * c + j] - mean[j]) * rstd[j];
            sg += dy[r * c + j] * xhat;
            sb += dy[r * c + j];
        }
        dgamma[j] = (float)sg;
        dbeta[j] = (float)sb;
        if (!dx) continue;
        for (int64_t r = 0; r < rows; r++) {
            double xhat = (x[r * c + j] - mean[j]) * rstd[j];
            double g = (double)gamma[j] * rstd[j];
            /* Inference: the statistics are constants. Training: they depend on x. */
            dx[r * c + j] =
                io->training
                    ? (float)(g * (dy[r * c + j] - sb / (double)rows - xhat * sg / (double)rows))
                    : (float)(g * dy[r * c + j]);
        }
    }
}

const fedc_layer_ops fedc__layer_norm_ops = {
    .class_name = "LayerNormalization",
    .build = norm_build,
    .init = norm_init,
    .saved_size = ln_saved,
    .forward = ln_forward,
    .backward = ln_backward,
};

const fedc_layer_ops fedc__group_norm_ops = {
    .class_name = "GroupNormalization",
    .build = norm_build,
    .init = norm_init,
    .saved_size = gn_saved,
    .forward = gn_forward,
    .backward = gn_backward,
};

const fedc_layer_ops fedc__batch_norm_ops = {
    .class_name = "BatchNormalization",
    .build = norm_build,
    .init = norm_init,
    .saved_size = bn_saved,
    .forward = bn_forward,
    .backward = bn_backward,
};
