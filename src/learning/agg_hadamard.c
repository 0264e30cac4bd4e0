/* agg_hadamard.c — the randomized Hadamard rotation that precedes quantization (Suresh et al.
 * 2017; tff.aggregators.HadamardTransformFactory): random signs, then the fast
 * Walsh-Hadamard transform, scaled by 1/sqrt(d) so the rotation is orthogonal. The signs come from
 * the round's stream, the same for every client, so the server undoes the rotation of the sum.
 * Must not allocate: the transform runs in place in the caller's buffer.
 */
#include <math.h>
#include <string.h>

#include "fedc/learning_agg.h"

int64_t fedc_hadamard_padded_size(int64_t n) {
    if (n > (INT64_C(1) << 62)) return -1; /* the next power of two does not fit */
    int64_t d = 1;
    while (d < n)
        d *= 2;
    return d;
}

/* The unnormalized transform in place, butterflies of growing span; adds and subtracts in a
 * fixed order, so the same input gives the same bits. */
static void fwht(float *v, int64_t d) {
    for (int64_t h = 1; h < d; h *= 2)
        for (int64_t i = 0; i < d; i += 2 * h)
            for (int64_t j = i; j < i + h; j++) {
                float a = v[j], b = v[j + h];
                v[j] = a + b;
                v[j + h] = a - b;
            }
}

/* Applies the round's signs to v[0..d): one 32-bit draw gives 32 signs. */
static void apply_signs(float *v, int64_t d, uint64_t seed, uint64_t round) {
    fedc_rng rng = FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_QUANTIZE);
    uint32_t bits = 0;
    for (int64_t i = 0; i < d; i++) {
        if (i % 32 == 0) bits = fedc_rng_u32(&rng);
        if (bits & 1u) v[i] = -v[i];
        bits >>= 1;
    }
}

static void scale(float *v, int64_t d) {
    /* 1/sqrt(d) is exact for even powers of two; in float otherwise, one rounding per value. */
    float s = (float)(1.0 / sqrt((double)d));
    for (int64_t i = 0; i < d; i++)
        v[i] *= s;
}

fedc_status fedc_hadamard_rotate(fedc_ctx *ctx, const float *x, int64_t n, float *out, int64_t d,
                                 uint64_t seed, uint64_t round) {
    if (n < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "hadamard rotate: n must be >= 1, got %lld", (long long)n);
    if (d != fedc_hadamard_padded_size(n))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "hadamard rotate: d must be %lld (n = %lld padded to a power of "
                               "two), got %lld",
                               (long long)fedc_hadamard_padded_size(n), (long long)n, (long long)d);
    if (!x || !out)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "hadamard rotate: %s is NULL",
                               !x ? "x" : "out");
    memmove(out, x, (size_t)n * sizeof *out);
    memset(out + n, 0, (size_t)(d - n) * sizeof *out);
    apply_signs(out, d, seed, round);
    fwht(out, d);
    scale(out, d);
    return FEDC_STATUS_OK;
}

fedc_status fedc_hadamard_unrotate(fedc_ctx *ctx, float *y, int64_t d, uint64_t seed,
                                   uint64_t round) {
    if (d < 1 || (d & (d - 1)) != 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "hadamard unrotate: d must be a power of two >= 1, got %lld",
                               (long long)d);
    if (!y)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "hadamard unrotate: y is NULL");
    /* H is symmetric and H H = d I, so (H D / sqrt(d))^-1 = D H / sqrt(d). */
    fwht(y, d);
    scale(y, d);
    apply_signs(y, d, seed, round);
    return FEDC_STATUS_OK;
}
