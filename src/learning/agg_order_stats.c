/* agg_order_stats.c — coordinate-wise order statistics over client updates: the median and the
 * trimmed mean (Yin, Chen, Ramchandran, Bartlett 2018, "Byzantine-Robust Distributed Learning:
 * Towards Optimal Statistical Rates"). Each coordinate gathers its K values into a workspace and
 * selects (median) or sorts (trimmed mean) them; the result depends only on the multiset of
 * values, so never on client order or threads. Must not modify the updates.
 */

#include "learning/agg_int.h"

/* Sorting and selection are written out over floats (no qsort: an indirect call per comparison
 * cost more than the comparisons themselves at the K of a round). Values are finite (checked), so
 * the order is total and the k-th smallest value does not depend on where it started. */

static void insertion_sort(float *v, int64_t n) {
    for (int64_t a = 1; a < n; a++) {
        float x = v[a];
        int64_t b = a;
        for (; b > 0 && v[b - 1] > x; b--)
            v[b] = v[b - 1];
        v[b] = x;
    }
}

static void swap_floats(float *a, float *b) {
    float t = *a;
    *a = *b;
    *b = t;
}

/* Rearranges v[0..n) so v[k] is the k-th smallest, v[< k] <= v[k] <= v[> k] (Hoare's selection,
 * pivot the median of three so sorted inputs stay linear). */
static void select_kth(float *v, int64_t n, int64_t k) {
    int64_t lo = 0, hi = n - 1;
    while (hi - lo > 16) {
        int64_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap_floats(&v[mid], &v[lo]);
        if (v[hi] < v[lo]) swap_floats(&v[hi], &v[lo]);
        if (v[hi] < v[mid]) swap_floats(&v[hi], &v[mid]);
        float pivot = v[mid];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) swap_floats(&v[i++], &v[j--]);
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return; /* v[j+1..i-1] all equal the pivot, k among them */
    }
    insertion_sort(v + lo, hi - lo + 1);
}

/* Sorts v[0..n): quicksort by the same partition, insertion sort below 16. */
static void sort_floats(float *v, int64_t n) {
    while (n > 16) {
        int64_t mid = n / 2, hi = n - 1;
        if (v[mid] < v[0]) swap_floats(&v[mid], &v[0]);
        if (v[hi] < v[0]) swap_floats(&v[hi], &v[0]);
        if (v[hi] < v[mid]) swap_floats(&v[hi], &v[mid]);
        float pivot = v[mid];
        int64_t i = 0, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) swap_floats(&v[i++], &v[j--]);
        }
        /* Recurse into the smaller side, loop on the larger: stack depth O(log n). */
        if (j + 1 < n - i) {
            sort_floats(v, j + 1);
            v += i;
            n -= i;
        } else {
            sort_floats(v + i, n - i);
            n = j + 1;
        }
    }
    insertion_sort(v, n);
}

static void gather(const float *const *updates, int64_t K, int64_t i, float *col) {
    for (int64_t k = 0; k < K; k++)
        col[k] = updates[k][i];
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
        gather(updates, K, i, col);
        select_kth(col, K, K / 2);
        if (K % 2) {
            out[i] = col[K / 2];
        } else {
            /* The lower middle value is the largest of those selected below K/2. */
            float below = col[0];
            for (int64_t k = 1; k < K / 2; k++)
                if (col[k] > below) below = col[k];
            /* The mean in double: exact, then one rounding to float. */
            out[i] = (float)(0.5 * ((double)below + (double)col[K / 2]));
        }
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
        gather(updates, K, i, col);
        /* Sorted, so the kept values are summed smallest first whatever the clients' order. */
        sort_floats(col, K);
        double sum = 0.0;
        for (int64_t k = trim; k < K - trim; k++)
            sum += col[k];
        out[i] = (float)(sum / (double)(K - 2 * trim));
    }
    fedc_free(col);
    return FEDC_STATUS_OK;
}
