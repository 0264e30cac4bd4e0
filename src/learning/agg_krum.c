/* agg_krum.c — Krum and multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer 2017, "Machine
 * Learning with Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS): score each update by
 * the squared distances to its K - f - 2 nearest neighbours and average the m best. Distances are
 * summed in double in coordinate order, neighbours and winners chosen with ties to the lower
 * client index, so the result is a function of the updates alone. Must not modify the updates.
 */
#include <stdint.h>
#include <string.h>

#include "learning/agg_int.h"

/* Sorts v[0..n) ascending (n is the number of clients: small). */
static void sort_doubles(double *v, int64_t n) {
    for (int64_t a = 1; a < n; a++) {
        double x = v[a];
        int64_t b = a;
        for (; b > 0 && v[b - 1] > x; b--)
            v[b] = v[b - 1];
        v[b] = x;
    }
}

/* ||x - y||^2 in double. Four running sums (coordinates i mod 4), added in a fixed order at the
 * end: the same bits on every run, and four independent add chains instead of one. */
static double squared_distance(const float *x, const float *y, int64_t P) {
    double s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= P; i += 4)
        for (int j = 0; j < 4; j++) {
            double diff = (double)x[i + j] - (double)y[i + j];
            s[j] += diff * diff;
        }
    for (; i < P; i++) {
        double diff = (double)x[i] - (double)y[i];
        s[0] += diff * diff;
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

fedc_status fedc_agg_multi_krum(fedc_ctx *ctx, const float *const *updates, int64_t K, int64_t P,
                                int64_t f, int64_t m, float *out, int64_t *selected) {
    if (f < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "krum: number of Byzantine clients f must be >= 0, got %lld",
                               (long long)f);
    if (K < 2 * f + 3)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "krum: K = %lld clients is too few for f = %lld Byzantine ones "
                               "(need K >= 2f + 3 = %lld)",
                               (long long)K, (long long)f, (long long)(2 * f + 3));
    if (m < 1 || m > K - f)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "krum: m = %lld updates to average must be in [1, K - f = %lld]",
                               (long long)m, (long long)(K - f));
    fedc_status st = fedc__agg_check_updates(ctx, "krum", updates, K, P, out);
    if (st != FEDC_STATUS_OK) return st;

    /* dist: K x K squared distances; row: one row sorted; score: K; chosen: K flags. */
    if ((uint64_t)K > (uint64_t)(SIZE_MAX / sizeof(double)) / (uint64_t)(K + 2))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "krum: %lld x %lld distances do not fit in memory", (long long)K,
                               (long long)K);
    double *dist = fedc_malloc(((size_t)K * (size_t)K + 2 * (size_t)K) * sizeof(double));
    unsigned char *chosen = fedc_calloc((size_t)K, 1);
    if (!dist || !chosen) {
        fedc_free(dist);
        fedc_free(chosen);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "krum: workspace for %lld clients",
                               (long long)K);
    }
    double *row = dist + (size_t)K * (size_t)K, *score = row + K;
    for (int64_t a = 0; a < K; a++) {
        dist[a * K + a] = 0.0;
        for (int64_t b = a + 1; b < K; b++)
            dist[a * K + b] = dist[b * K + a] = squared_distance(updates[a], updates[b], P);
    }
    int64_t neighbours = K - f - 2;
    for (int64_t a = 0; a < K; a++) {
        int64_t n = 0;
        for (int64_t b = 0; b < K; b++)
            if (b != a) row[n++] = dist[a * K + b];
        sort_doubles(row, n);
        double s = 0.0;
        for (int64_t j = 0; j < neighbours; j++)
            s += row[j];
        score[a] = s;
    }
    /* The m lowest scores, each pick the lowest remaining with ties to the lower index. */
    for (int64_t pick = 0; pick < m; pick++) {
        int64_t best = -1;
        for (int64_t a = 0; a < K; a++)
            if (!chosen[a] && (best < 0 || score[a] < score[best])) best = a;
        chosen[best] = 1;
    }
    /* Average the chosen updates in client-index order (a canonical order for the sum). */
    for (int64_t i = 0; i < P; i++) {
        double s = 0.0;
        for (int64_t a = 0; a < K; a++)
            if (chosen[a]) s += updates[a][i];
        out[i] = (float)(s / (double)m);
    }
    if (selected)
        for (int64_t a = 0, n = 0; a < K; a++)
            if (chosen[a]) selected[n++] = a;
    fedc_free(dist);
    fedc_free(chosen);
    return FEDC_STATUS_OK;
}
