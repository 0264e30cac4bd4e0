/* quantize_native.c — the compression stage of an aggregator (FEDC_AGGREGATOR_QUANTIZE): a
 * client's update, quantized stochastically and decoded again, which is what the server sums
 * when clients send the codes, optionally in a randomly rotated basis (the round's Hadamard
 * rotation, undone after decoding). The draws are keyed by (seed, round, client key), so a
 * round's result does not depend on threads.
 */
#include <string.h>

#include "fedc/learning_agg.h"
#include "learning/learning_int.h"

fedc_status fedc__native_quantize(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                                  fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    int64_t bits, threshold, seed;
    if (!fedc__blob_get_i64(blob, blob_size, "bits", &bits) ||
        !fedc__blob_get_i64(blob, blob_size, "threshold", &threshold) ||
        !fedc__blob_get_i64(blob, blob_size, "seed", &seed) || bits < 1 || bits > 16)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "quantize: missing or bad 'bits', 'threshold' or 'seed'");
    fedc_value *update = fedc__field(arg, "update");
    const float *u = fedc__vector_of(update, p->P);
    const int64_t *key = fedc__scalar_of(fedc__field(arg, "key"), FEDC_DTYPE_INT64);
    const int32_t *round = fedc__scalar_of(fedc__field(arg, "round"), FEDC_DTYPE_INT32);
    if (!u || !key || !round)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "quantize expects <update=float32[%lld],key=int64,round=int32>",
                               (long long)p->P);
    if (p->P < threshold || p->P < 1) {
        *out = fedc_value_retain(update);
        return FEDC_STATUS_OK;
    }
    int64_t rotate = 0, n = p->P;
    fedc__blob_get_i64(blob, blob_size, "rotate", &rotate);
    uint64_t rd = (uint64_t)*round;
    if (rotate) n = fedc_hadamard_padded_size(p->P);
    uint16_t *codes = n > 0 ? fedc_malloc((size_t)n * sizeof *codes) : NULL;
    float *work = n > 0 ? fedc_malloc((size_t)n * sizeof *work) : NULL;
    fedc_status st = codes && work ? FEDC_STATUS_OK
                                   : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                                     "out of memory quantizing an update");
    float lo, hi;
    if (st >= 0 && rotate) st = fedc_hadamard_rotate(ctx, u, p->P, work, n, (uint64_t)seed, rd);
    if (st >= 0)
        st = fedc_quantize_stochastic(ctx, rotate ? work : u, n, (int)bits, (uint64_t)seed, rd,
                                      (uint64_t)*key, codes, &lo, &hi);
    if (st >= 0) st = fedc_dequantize(ctx, codes, n, (int)bits, lo, hi, work);
    if (st >= 0 && rotate) st = fedc_hadamard_unrotate(ctx, work, n, (uint64_t)seed, rd);
    fedc_value *v = NULL;
    if (st >= 0) st = fedc__vector_value(ctx, work, p->P, &v);
    fedc_free(codes);
    fedc_free(work);
    if (st < 0) return fedc_ctx_prefixf(ctx, "quantize");
    *out = v;
    return FEDC_STATUS_OK;
}
