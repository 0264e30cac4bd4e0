/* secure_natives.c — the secure mean of an aggregator (FEDC_AGGREGATOR_SECURE_MEAN), computed as
 * secure aggregation computes it: each client turns its update into integer codes of `bits` bits
 * (fedc_discretize, stochastic rounding keyed by seed, round and client), the codes are summed
 * modulo 2^T (fedc_modular_add, in [-2^(T-1), 2^(T-1))), and only that sum is decoded. T leaves
 * room for `capacity` clients, so the sum of a round within capacity never wraps.
 */
#include <math.h>
#include <string.h>

#include "fedc/learning_agg.h"
#include "learning/learning_int.h"

static fedc_status bad_blob(fedc_ctx *ctx, const char *what) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                           "%s: missing or bad options in the computation", what);
}

/* The codes' scale for bound B: the largest code 2^(bits-1) - 1 stands for B. */
static double code_scale(int64_t bits, double bound) {
    return bound > 0 ? (double)(((int64_t)1 << (bits - 1)) - 1) / bound : 0;
}

fedc_status fedc__native_secure_encode(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    int64_t bits, seed;
    if (!fedc__blob_get_i64(blob, blob_size, "bits", &bits) ||
        !fedc__blob_get_i64(blob, blob_size, "seed", &seed) || bits < 2 || bits > 24)
        return bad_blob(ctx, "secure encode");
    const float *u = fedc__vector_of(fedc__field(arg, "update"), p->P);
    const int64_t *key = fedc__scalar_of(fedc__field(arg, "key"), FEDC_DTYPE_INT64);
    const int32_t *round = fedc__scalar_of(fedc__field(arg, "round"), FEDC_DTYPE_INT32);
    const float *bound_p = fedc__scalar_of(fedc__field(arg, "bound"), FEDC_DTYPE_FLOAT32);
    if (!u || !bound_p || !key || !round)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "secure encode expects <update=float32[%lld],bound=float32,"
                               "key=int64,round=int32>",
                               (long long)p->P);
    float bound = *bound_p;
    size_t n = (size_t)(p->P ? p->P : 1);
    float *clamped = fedc_malloc(n * sizeof *clamped);
    int32_t *codes = fedc_calloc(n, sizeof *codes);
    fedc_status st = clamped && codes ? FEDC_STATUS_OK
                                      : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                                        "out of memory encoding an update");
    double scale = code_scale(bits, bound);
    /* a clipped update's coordinates are within its norm; clamping catches rounding */
    for (int64_t i = 0; st >= 0 && i < p->P; i++)
        clamped[i] = u[i] > bound ? bound : u[i] < -bound ? -bound : u[i];
    if (st >= 0 && scale > 0)
        st = fedc_discretize(ctx, clamped, p->P, scale, true, (uint64_t)seed, (uint64_t)*round,
                             (uint64_t)*key, codes);
    if (st >= 0) st = fedc__typed_vector_value(ctx, FEDC_DTYPE_INT32, codes, p->P, out);
    fedc_free(clamped);
    fedc_free(codes);
    return st < 0 ? fedc_ctx_prefixf(ctx, "secure encode") : st;
}

fedc_status fedc__native_secure_add(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                    size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    int64_t T;
    if (!fedc__blob_get_i64(blob, blob_size, "modulus_bits", &T) || T < 2 || T > 31)
        return bad_blob(ctx, "secure add");
    const int32_t *a = fedc__typed_vector_of(fedc_value_item(arg, 0), FEDC_DTYPE_INT32, p->P);
    const int32_t *b = fedc__typed_vector_of(fedc_value_item(arg, 1), FEDC_DTYPE_INT32, p->P);
    if (!a || !b)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "secure add expects <int32[%lld],int32[%lld]>", (long long)p->P,
                               (long long)p->P);
    int32_t *sum = fedc_malloc((size_t)(p->P ? p->P : 1) * sizeof *sum);
    if (!sum) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory in secure add");
    memcpy(sum, a, (size_t)p->P * sizeof *sum);
    int32_t half = (int32_t)((int64_t)1 << (T - 1));
    fedc_status st = fedc_modular_add(ctx, sum, b, p->P, -half, half);
    if (st >= 0) st = fedc__typed_vector_value(ctx, FEDC_DTYPE_INT32, sum, p->P, out);
    fedc_free(sum);
    return st;
}

fedc_status fedc__native_secure_decode(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    int64_t bits, capacity;
    if (!fedc__blob_get_i64(blob, blob_size, "bits", &bits) ||
        !fedc__blob_get_i64(blob, blob_size, "capacity", &capacity) || bits < 2 || bits > 24)
        return bad_blob(ctx, "secure decode");
    const int32_t *sum = fedc__typed_vector_of(fedc__field(arg, "sum"), FEDC_DTYPE_INT32, p->P);
    const float *bound = fedc__scalar_of(fedc__field(arg, "bound"), FEDC_DTYPE_FLOAT32);
    const float *clients = fedc__scalar_of(fedc__field(arg, "clients"), FEDC_DTYPE_FLOAT32);
    if (!sum || !bound || !clients)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "secure decode expects <sum=int32[%lld],bound=float32,"
                               "clients=float32>",
                               (long long)p->P);
    if (*clients > (float)capacity)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                               "secure mean: %.0f clients in the round, more than its capacity "
                               "%lld (the modular sum could wrap)",
                               *clients, (long long)capacity);
    float *v = fedc_calloc((size_t)(p->P ? p->P : 1), sizeof *v);
    if (!v)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory in secure decode");
    double scale = code_scale(bits, *bound);
    fedc_status st = scale > 0 ? fedc_undiscretize(ctx, sum, p->P, scale, v) : FEDC_STATUS_OK;
    if (st >= 0) st = fedc__vector_value(ctx, v, p->P, out);
    fedc_free(v);
    return st;
}
