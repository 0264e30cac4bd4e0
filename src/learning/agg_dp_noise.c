/* agg_dp_noise.c — the Gaussian mechanism: independent normal noise on a vector, drawn from the
 * keyed stream of (seed, round), so the server's noise is the same on any number of threads.
 * Must not draw from any other stream or keep state between calls.
 */
#include <math.h>

#include "fedc/learning_agg.h"

fedc_status fedc_dp_add_gaussian_noise(fedc_ctx *ctx, float *v, int64_t n, double stddev,
                                       uint64_t seed, uint64_t round) {
    if (n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "gaussian noise: n must be >= 0, got %lld", (long long)n);
    if (!v && n > 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "gaussian noise: v is NULL");
    if (!(stddev >= 0.0) || !isfinite(stddev))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "gaussian noise: stddev must be a finite number >= 0, got %g",
                               stddev);
    if (stddev == 0.0) return FEDC_STATUS_OK;
    fedc_rng rng = FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_NOISE);
    /* The noise is drawn and scaled in double, then added once, so v[i] sees one rounding. */
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((double)v[i] + stddev * fedc_rng_normal(&rng));
    return FEDC_STATUS_OK;
}
