/* agg_quantize.c — uniform stochastic quantization of a tensor to b bits (the unbiased
 * quantizer of Suresh, Yu, Kumar, McMahan 2017, "Distributed Mean Estimation with Limited
 * Communication", and of tff.aggregators' stochastic discretization): the range [min, max] is cut
 * into 2^b - 1 equal steps and each value rounds to one of its two neighbouring levels with the
 * probabilities that keep its expectation. Must not draw from any stream but the client's.
 */
#include <math.h>

#include "fedc/learning_agg.h"

static fedc_status check_bits(fedc_ctx *ctx, const char *what, int bits) {
    if (bits < 1 || bits > 16)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: bits must be in [1, 16], got %d", what, bits);
    return FEDC_STATUS_OK;
}

fedc_status fedc_quantize_stochastic(fedc_ctx *ctx, const float *x, int64_t n, int bits,
                                     uint64_t seed, uint64_t round, uint64_t client,
                                     uint16_t *codes, float *lo, float *hi) {
    fedc_status st = check_bits(ctx, "quantize", bits);
    if (st != FEDC_STATUS_OK) return st;
    if (n < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantize: n must be >= 1, got %lld", (long long)n);
    if (!x || !codes || !lo || !hi)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "quantize: %s is NULL",
                               !x       ? "x"
                               : !codes ? "codes"
                               : !lo    ? "lo"
                                        : "hi");
    float mn = x[0], mx = x[0];
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_NON_FINITE, "quantize: x[%lld] is %g",
                                   (long long)i, (double)x[i]);
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
    }
    /* In double, the range of two finite floats is finite and, when not 0, at least the
     * smallest float subnormal, so the scale to levels (<= 65535 / 2^-149) is finite too. */
    double range = (double)mx - (double)mn;
    const uint32_t levels = (1u << bits) - 1u;
    double scale = range > 0.0 ? (double)levels / range : 0.0;
    fedc_rng rng = FEDC_RNG(seed, round, client, FEDC_RNG_PURPOSE_QUANTIZE);
    for (int64_t i = 0; i < n; i++) {
        /* One draw per value, always, so where the stream stands does not depend on the data. */
        double u = fedc_rng_uniform_double(&rng);
        if (x[i] == mn) {
            codes[i] = 0;
        } else if (x[i] == mx) {
            codes[i] = (uint16_t)levels;
        } else {
            double t = ((double)x[i] - (double)mn) * scale;
            double fl = floor(t);
            uint32_t c = (uint32_t)fl + (u < t - fl ? 1u : 0u);
            codes[i] = (uint16_t)(c > levels ? levels : c);
        }
    }
    *lo = mn;
    *hi = mx;
    return FEDC_STATUS_OK;
}

fedc_status fedc_dequantize(fedc_ctx *ctx, const uint16_t *codes, int64_t n, int bits, float lo,
                            float hi, float *out) {
    fedc_status st = check_bits(ctx, "dequantize", bits);
    if (st != FEDC_STATUS_OK) return st;
    if (n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "dequantize: n must be >= 0, got %lld", (long long)n);
    if ((!codes || !out) && n > 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "dequantize: %s is NULL",
                               !codes ? "codes" : "out");
    if (!(lo <= hi) || !isfinite(lo) || !isfinite(hi))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "dequantize: need finite lo <= hi, got [%g, %g]", (double)lo,
                               (double)hi);
    const uint32_t levels = (1u << bits) - 1u;
    for (int64_t i = 0; i < n; i++)
        if (codes[i] > levels)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "dequantize: codes[%lld] = %u exceeds %u levels of %d bits",
                                   (long long)i, (unsigned)codes[i], (unsigned)levels, bits);
    double step = ((double)hi - (double)lo) / (double)levels;
    for (int64_t i = 0; i < n; i++) {
        if (codes[i] == 0)
            out[i] = lo;
        else if (codes[i] == levels)
            out[i] = hi;
        else
            out[i] = (float)((double)lo + (double)codes[i] * step);
    }
    return FEDC_STATUS_OK;
}
