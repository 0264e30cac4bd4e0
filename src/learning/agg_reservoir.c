/* agg_reservoir.c — reservoir sampling (Vitter 1985, "Random Sampling with a Reservoir",
 * Algorithm R) with the keyed stream: k of a stream of N values, each kept with probability k/N,
 * in one pass and O(k) memory. The draws depend only on (seed, round) and the position in the
 * stream. Must not store values itself: the caller owns the slots.
 */
#include <string.h>

#include "fedc/learning_agg.h"

fedc_status fedc_reservoir_init(fedc_ctx *ctx, fedc_reservoir *r, int64_t k, uint64_t seed,
                                uint64_t round) {
    if (!r) return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "reservoir: r is NULL");
    if (k < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "reservoir: capacity k must be >= 1, got %lld", (long long)k);
    r->capacity = k;
    r->seen = 0;
    r->rng = FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_SAMPLING);
    return FEDC_STATUS_OK;
}

int64_t fedc_reservoir_offer(fedc_reservoir *r) {
    int64_t i = r->seen++;
    if (i < r->capacity) return i;
    /* The (i+1)-th value replaces a uniform slot with probability k / (i + 1). */
    uint64_t j = fedc_rng_below(&r->rng, (uint64_t)i + 1);
    return j < (uint64_t)r->capacity ? (int64_t)j : -1;
}

fedc_status fedc_reservoir_sample(fedc_ctx *ctx, const float *values, int64_t n, int64_t k,
                                  uint64_t seed, uint64_t round, float *out, int64_t *kept) {
    if (n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "reservoir: n must be >= 0, got %lld", (long long)n);
    if ((!values && n > 0) || !out || !kept)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "reservoir: %s is NULL",
                               (!values && n > 0) ? "values"
                               : !out             ? "out"
                                                  : "kept");
    fedc_reservoir r;
    fedc_status st = fedc_reservoir_init(ctx, &r, k, seed, round);
    if (st != FEDC_STATUS_OK) return st;
    for (int64_t i = 0; i < n; i++) {
        int64_t slot = fedc_reservoir_offer(&r);
        if (slot >= 0) out[slot] = values[i];
    }
    *kept = n < k ? n : k;
    return FEDC_STATUS_OK;
}
