/* agg_order_stats.c — coordinate-wise order statistics over client updates: the median and the
 * trimmed mean (Yin, Chen, Ramchandran, Bartlett 2018, "Byzantine-Robust Distributed Learning:
 * Towards Optimal Statistical Rates"). Each coordinate gathers its K values into a workspace and
 * sorts them; the result depends only on the multiset of values, so never on client order or
 * threads. Must not modify the updates.
 */
#include <stdlib.h>

#include "learning/agg_int.h"

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Sorts coordinate i of every update into col[0..K). Insertion sort for the small K of a round
 * (no call overhead), qsort beyond. Values are finite (checked), so the order is total. */
static void gather_sorted(const float *const *updates, int64_t K, int64_t i, float *col) {
    for (int64_t k = 0; k < K; k++)
        col[k] = updates[k][i];
    if (K > 32) {
        qsort(col, (size_t)K, sizeof *col, cmp_float);
        return;
    }
    for (int64_t a = 1; a < K; a++) {
        float v = col[a];
        int64_t b = a;
        for (; b > 0 && col[b - 1] > v; b--)
            col[b] = col[b - 1];
        col[b] = v;
    }
}

fedc_status fedc_agg_median(fedc_ctx *ctx, const float *const *updates, int64_t K, int64_t P,
                            float *out) {
    fedc_status st = fedc__agg_check_updates(ctx, "median", updates, K, P, out);
    if (st != FEDC_STATUS_OK) return st;
    float *col = fedc_malloc((size_t)K * sizeof *col);
    if (!col)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "median: workspace of %lld floats",
                               (long long)K);
    for (int64_t i = 0; i < P; i++) {
        gather_sorted(updates, K, i, col);
        /* The mean of the two middle values in double: exact, then one rounding to float. */
        out[i] = K % 2 ? col[K / 2] : (float)(0.5 * ((double)col[K / 2 - 1] + (double)col[K / 2]));
    }
    fedc_free(col);
    return FEDC_STATUS_OK;
}

fedc_status fedc_agg_trimmed_mean(fedc_ctx *ctx, const float *const *updates, int64_t K, int64_t P,
                                  double beta, float *out) {
    if (!(beta >= 0.0 && beta < 0.5))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "trimmed mean: trimmed fraction beta must be in [0, 0.5), got %g",
                               beta);
    fedc_status st = fedc__agg_check_updates(ctx, "trimmed mean", updates, K, P, out);
    if (st != FEDC_STATUS_OK) return st;
    /* beta < 0.5 leaves K - 2 trim >= 1 values. */
    int64_t trim = (int64_t)(beta * (double)K);
    float *col = fedc_malloc((size_t)K * sizeof *col);
    if (!col)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "trimmed mean: workspace of %lld floats", (long long)K);
    for (int64_t i = 0; i < P; i++) {
        gather_sorted(updates, K, i, col);
        double sum = 0.0;
        for (int64_t k = trim; k < K - trim; k++)
            sum += col[k];
        out[i] = (float)(sum / (double)(K - 2 * trim));
    }
    fedc_free(col);
    return FEDC_STATUS_OK;
}
