/* init.c — weight initializers with Keras's definitions and defaults, drawing only from the
 * keyed stream they are handed (so values depend on seed, layer and weight index alone).
 *
 * Must not use any other source of randomness; the only allocation is orthogonal's temporary.
 */
#include <math.h>
#include <string.h>

#include "nn/nn_int.h"

/* Keras divides the truncated normal's stddev by the stddev of a unit normal truncated at +-2. */
#define TRUNC_STDDEV_FIX 0.87962566103423978

static const char *const init_names[FEDC_INIT_COUNT] = {
    "zeros",         "ones",      "constant",   "random_normal", "random_uniform", "glorot_uniform",
    "glorot_normal", "he_normal", "he_uniform", "lecun_normal",  "orthogonal"};

const char *fedc_init_name(fedc_init_kind kind) {
    if ((int)kind < 0 || kind >= FEDC_INIT_COUNT) return "invalid";
    return init_names[kind];
}

fedc_initializer fedc_initializer_make(fedc_init_kind kind) {
    fedc_initializer init;
    memset(&init, 0, sizeof init);
    init.kind = kind;
    init.stddev = 0.05;
    init.minval = -0.05;
    init.maxval = 0.05;
    init.gain = 1.0;
    return init;
}

static double truncated_normal(fedc_rng *rng) {
    for (;;) {
        double z = fedc_rng_normal(rng);
        if (z >= -2.0 && z <= 2.0) return z;
    }
}

static void fill_uniform(fedc_rng *rng, double lo, double hi, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)(lo + (hi - lo) * fedc_rng_uniform_double(rng));
}

static void fill_truncated(fedc_rng *rng, double stddev, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)(stddev * truncated_normal(rng));
}

/* Q of the QR decomposition of a normal matrix with R's diagonal made positive (what Keras
 * computes with sign(diag(R))), by modified Gram-Schmidt in double. */
static fedc_status fill_orthogonal(fedc_ctx *ctx, fedc_rng *rng, double gain, int64_t rows,
                                   int64_t cols, float *out) {
    int64_t p = rows > cols ? rows : cols, q = rows > cols ? cols : rows;
    double *a = fedc_malloc((size_t)(p * q) * sizeof(double));
    if (!a)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "orthogonal initializer: %lld x %lld doubles", (long long)p,
                               (long long)q);
    for (int64_t i = 0; i < p * q; i++)
        a[i] = fedc_rng_normal(rng);
    for (int64_t j = 0; j < q; j++) {
        for (int64_t k = 0; k < j; k++) {
            double dot = 0.0;
            for (int64_t i = 0; i < p; i++)
                dot += a[i * q + k] * a[i * q + j];
            for (int64_t i = 0; i < p; i++)
                a[i * q + j] -= dot * a[i * q + k];
        }
        double norm = 0.0;
        for (int64_t i = 0; i < p; i++)
            norm += a[i * q + j] * a[i * q + j];
        norm = sqrt(norm);
        if (norm > 0.0)
            for (int64_t i = 0; i < p; i++)
                a[i * q + j] /= norm;
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            out[r * cols + c] = (float)(gain * (rows >= cols ? a[r * q + c] : a[c * q + r]));
    fedc_free(a);
    return FEDC_STATUS_OK;
}

fedc_status fedc_init_fill(fedc_ctx *ctx, const fedc_initializer *init, const fedc_shape *shape,
                           fedc_rng *rng, float *out) {
    if (shape->rank < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "initializer %s: weight shape must have rank >= 1",
                               fedc_init_name(init->kind));
    int64_t n = fedc_shape_numel(shape);
    int64_t last = shape->dims[shape->rank - 1];
    double fan_in, fan_out;
    if (shape->rank == 1) {
        fan_in = fan_out = (double)last;
    } else {
        double receptive = 1.0;
        for (int i = 0; i < shape->rank - 2; i++)
            receptive *= (double)shape->dims[i];
        fan_in = receptive * (double)shape->dims[shape->rank - 2];
        fan_out = receptive * (double)last;
    }
    if (fan_in < 1.0) fan_in = 1.0;
    if (fan_out < 1.0) fan_out = 1.0;
    switch (init->kind) {
    case FEDC_INIT_ZEROS:
        for (int64_t i = 0; i < n; i++)
            out[i] = 0.0f;
        return FEDC_STATUS_OK;
    case FEDC_INIT_ONES:
        for (int64_t i = 0; i < n; i++)
            out[i] = 1.0f;
        return FEDC_STATUS_OK;
    case FEDC_INIT_CONSTANT:
        for (int64_t i = 0; i < n; i++)
            out[i] = (float)init->value;
        return FEDC_STATUS_OK;
    case FEDC_INIT_RANDOM_NORMAL:
        if (!(init->stddev >= 0.0))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "random_normal: stddev must be >= 0, got %g", init->stddev);
        for (int64_t i = 0; i < n; i++)
            out[i] = (float)(init->mean + init->stddev * fedc_rng_normal(rng));
        return FEDC_STATUS_OK;
    case FEDC_INIT_RANDOM_UNIFORM:
        if (!(init->minval <= init->maxval))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "random_uniform: minval %g > maxval %g", init->minval,
                                   init->maxval);
        fill_uniform(rng, init->minval, init->maxval, n, out);
        return FEDC_STATUS_OK;
    case FEDC_INIT_GLOROT_UNIFORM: {
        double limit = sqrt(6.0 / (fan_in + fan_out));
        fill_uniform(rng, -limit, limit, n, out);
        return FEDC_STATUS_OK;
    }
    case FEDC_INIT_GLOROT_NORMAL:
        fill_truncated(rng, sqrt(2.0 / (fan_in + fan_out)) / TRUNC_STDDEV_FIX, n, out);
        return FEDC_STATUS_OK;
    case FEDC_INIT_HE_NORMAL:
        fill_truncated(rng, sqrt(2.0 / fan_in) / TRUNC_STDDEV_FIX, n, out);
        return FEDC_STATUS_OK;
    case FEDC_INIT_HE_UNIFORM: {
        double limit = sqrt(6.0 / fan_in);
        fill_uniform(rng, -limit, limit, n, out);
        return FEDC_STATUS_OK;
    }
    case FEDC_INIT_LECUN_NORMAL:
        fill_truncated(rng, sqrt(1.0 / fan_in) / TRUNC_STDDEV_FIX, n, out);
        return FEDC_STATUS_OK;
    case FEDC_INIT_ORTHOGONAL:
        if (shape->rank < 2)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "orthogonal: weight shape must have rank >= 2, got rank %d",
                                   shape->rank);
        return fill_orthogonal(ctx, rng, init->gain, n / (last > 0 ? last : 1), last, out);
    default:
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "unknown initializer kind %d",
                               (int)init->kind);
    }
}

fedc_status fedc__init_weight(fedc_ctx *ctx, const fedc_layer *layer, int weight_index,
                              const fedc_initializer *init, const fedc_shape *shape, uint64_t seed,
                              float *out) {
    fedc_rng rng =
        FEDC_RNG(seed, (uint64_t)layer->index, (uint64_t)weight_index, FEDC_RNG_PURPOSE_INIT);
    fedc_status st = fedc_init_fill(ctx, init, shape, &rng, out);
    if (st != FEDC_STATUS_OK)
        fedc_ctx_prefixf(ctx, "layer %d (%s) %s", layer->index, layer->name,
                         weight_index == 0 ? "kernel" : "bias");
    return st;
}
