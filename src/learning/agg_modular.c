/* agg_modular.c — discretization to int32 and modular clipping (tff.aggregators'
 * DiscretizationFactory and ModularClippingSumFactory): values are scaled and rounded to integers
 * and wrapped into [lo, hi), so the sum of clients' values wraps exactly as secure aggregation's
 * modular sum does. Must not overflow: wrapping is done in 64-bit arithmetic.
 */
#include <math.h>

#include "fedc/learning_agg.h"

static fedc_status check_scale(fedc_ctx *ctx, const char *what, int64_t n, const void *in,
                               const void *out, double scale) {
    if (n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: n must be >= 0, got %lld",
                               what, (long long)n);
    if ((!in || !out) && n > 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: %s is NULL", what,
                               !in ? "input" : "out");
    if (!(scale > 0.0) || !isfinite(scale))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: scale must be a finite number > 0, got %g", what, scale);
    return FEDC_STATUS_OK;
}

fedc_status fedc_discretize(fedc_ctx *ctx, const float *x, int64_t n, double scale, bool stochastic,
                            uint64_t seed, uint64_t round_index, uint64_t client, int32_t *out) {
    fedc_status st = check_scale(ctx, "discretize", n, x, out, scale);
    if (st != FEDC_STATUS_OK) return st;
    /* Check everything before writing, so an error leaves out untouched. */
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_NON_FINITE, "discretize: x[%lld] is %g",
                                   (long long)i, (double)x[i]);
        double t = (double)x[i] * scale;
        /* Either rounding of t stays within [floor t, ceil t]: both ends must fit int32. */
        if (floor(t) < (double)INT32_MIN || ceil(t) > (double)INT32_MAX)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                                   "discretize: x[%lld] = %g times scale %g = %g does not fit "
                                   "int32",
                                   (long long)i, (double)x[i], scale, t);
    }
    fedc_rng rng =
        FEDC_RNG(seed, round_index, client, FEDC_AGG_STREAM_DISCRETIZE, FEDC_RNG_PURPOSE_QUANTIZE);
    for (int64_t i = 0; i < n; i++) {
        double t = (double)x[i] * scale, r;
        if (stochastic) {
            double fl = floor(t);
            r = fl + (fedc_rng_uniform_double(&rng) < t - fl ? 1.0 : 0.0);
        } else {
            r = round(t);
        }
        out[i] = (int32_t)r;
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_undiscretize(fedc_ctx *ctx, const int32_t *v, int64_t n, double scale,
                              float *out) {
    fedc_status st = check_scale(ctx, "undiscretize", n, v, out, scale);
    if (st != FEDC_STATUS_OK) return st;
    for (int64_t i = 0; i < n; i++)
        out[i] = (float)((double)v[i] / scale);
    return FEDC_STATUS_OK;
}

static fedc_status check_range(fedc_ctx *ctx, const char *what, int64_t n, const void *v,
                               int32_t lo, int32_t hi) {
    if (lo >= hi)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: need lo < hi, got [%ld, %ld)", what, (long)lo, (long)hi);
    if (n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: n must be >= 0, got %lld",
                               what, (long long)n);
    if (!v && n > 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: values are NULL", what);
    return FEDC_STATUS_OK;
}

/* lo + ((x - lo) mod (hi - lo)) with the mod taken non-negative; |x - lo| < 2^34, no overflow. */
static int32_t wrap(int64_t x, int32_t lo, int32_t hi) {
    int64_t width = (int64_t)hi - (int64_t)lo;
    int64_t r = (x - (int64_t)lo) % width;
    if (r < 0) r += width;
    return (int32_t)((int64_t)lo + r);
}

fedc_status fedc_modular_clip(fedc_ctx *ctx, int32_t *v, int64_t n, int32_t lo, int32_t hi) {
    fedc_status st = check_range(ctx, "modular clip", n, v, lo, hi);
    if (st != FEDC_STATUS_OK) return st;
    for (int64_t i = 0; i < n; i++)
        v[i] = wrap(v[i], lo, hi);
    return FEDC_STATUS_OK;
}

fedc_status fedc_modular_add(fedc_ctx *ctx, int32_t *acc, const int32_t *v, int64_t n, int32_t lo,
                             int32_t hi) {
    fedc_status st = check_range(ctx, "modular add", n, acc, lo, hi);
    if (st != FEDC_STATUS_OK) return st;
    if (!v && n > 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "modular add: v is NULL");
    for (int64_t i = 0; i < n; i++)
        acc[i] = wrap((int64_t)acc[i] + (int64_t)v[i], lo, hi);
    return FEDC_STATUS_OK;
}
