/* agg_quantile.c — adaptive clipping by quantile estimation (Andrew, Thakkar, McMahan, Ramaswamy
 * 2021, "Differentially Private Learning with Adaptive Clipping", NeurIPS; the update rule of
 * tff.aggregators.PrivateQuantileEstimationProcess). The clip norm C follows the target quantile
 * gamma of the clients' update norms: C <- C exp(-lr (b - gamma)) where b is the fraction of
 * norms <= C. Must not keep state: the caller holds C between rounds.
 */
#include <math.h>

#include "fedc/learning_agg.h"

fedc_quantile_opts fedc_quantile_opts_default(void) {
    return (fedc_quantile_opts){.target_quantile = 0.5, .learning_rate = 0.2, .geometric = true};
}

fedc_status fedc_quantile_count_below(fedc_ctx *ctx, const double *norms, int64_t n, double clip,
                                      int64_t *count) {
    if (n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile count: n must be >= 0, got %lld", (long long)n);
    if (!norms && n > 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "quantile count: norms is NULL");
    if (!(clip >= 0.0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile count: clip must be >= 0, got %g", clip);
    int64_t c = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(norms[i]))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_NON_FINITE,
                                   "quantile count: norm of client %lld is NaN", (long long)i);
        c += norms[i] <= clip;
    }
    *count = c;
    return FEDC_STATUS_OK;
}

fedc_status fedc_quantile_noisy_fraction(fedc_ctx *ctx, int64_t count, double expected_clients,
                                         double noise_stddev, uint64_t seed, uint64_t round,
                                         double *fraction) {
    if (count < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile fraction: count must be >= 0, got %lld", (long long)count);
    if (!(expected_clients > 0.0) || !isfinite(expected_clients))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile fraction: expected_clients must be a finite number > 0, "
                               "got %g",
                               expected_clients);
    if (!(noise_stddev >= 0.0) || !isfinite(noise_stddev))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile fraction: noise_stddev must be a finite number >= 0, "
                               "got %g",
                               noise_stddev);
    double noise = 0.0;
    if (noise_stddev > 0.0) {
        fedc_rng rng = FEDC_RNG(seed, round, FEDC_AGG_STREAM_CLIP_COUNT, FEDC_RNG_PURPOSE_NOISE);
        noise = noise_stddev * fedc_rng_normal(&rng);
    }
    *fraction = ((double)count + noise) / expected_clients;
    return FEDC_STATUS_OK;
}

fedc_status fedc_quantile_update(fedc_ctx *ctx, const fedc_quantile_opts *opts, double fraction,
                                 double *clip) {
    if (!(opts->target_quantile >= 0.0 && opts->target_quantile <= 1.0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile update: target_quantile must be in [0, 1], got %g",
                               opts->target_quantile);
    if (!(opts->learning_rate >= 0.0) || !isfinite(opts->learning_rate))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile update: learning_rate must be a finite number >= 0, got "
                               "%g",
                               opts->learning_rate);
    if (!(*clip >= 0.0) || !isfinite(*clip))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile update: clip must be a finite number >= 0, got %g", *clip);
    if (!isfinite(fraction))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantile update: fraction must be finite, got %g", fraction);
    double step = opts->learning_rate * (fraction - opts->target_quantile);
    double next = opts->geometric ? *clip * exp(-step) : *clip - step;
    if (!isfinite(next))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                               "quantile update: clip %g with step %g overflows", *clip, step);
    *clip = next > 0.0 ? next : 0.0; /* a norm bound below 0 means nothing */
    return FEDC_STATUS_OK;
}
