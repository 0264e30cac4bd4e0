/* test_agg_robust.c — coordinate-wise median, trimmed mean and (multi-)Krum (learning_agg.h) on
 * hand-computed cases, under Byzantine clients holding huge values, and their errors.
 */
#include <math.h>
#include <stdlib.h>

#include "fedc/learning_agg.h"
#include "harness/harness.h"

TEST(median_odd_and_even_hand_computed) {
    const float a[] = {1, 10, 0}, b[] = {3, -2, 0}, c[] = {2, 5, 0}, d[] = {4, 7, 0};
    const float *const three[] = {a, b, c};
    float out[3];
    ASSERT_OK(fedc_agg_median(ctx, three, 3, 3, out));
    ASSERT_EQ(out[0], 2.0f);
    ASSERT_EQ(out[1], 5.0f);
    ASSERT_EQ(out[2], 0.0f);
    /* K even: the mean of the two middle values, (2 + 3) / 2 and (5 + 7) / 2 */
    const float *const four[] = {a, b, c, d};
    ASSERT_OK(fedc_agg_median(ctx, four, 4, 3, out));
    ASSERT_EQ(out[0], 2.5f);
    ASSERT_EQ(out[1], 6.0f);
    /* one client: itself */
    ASSERT_OK(fedc_agg_median(ctx, four, 1, 3, out));
    ASSERT_EQ(out[1], 10.0f);
}

TEST(trimmed_mean_hand_computed) {
    const float v[5][1] = {{100}, {2}, {4}, {1}, {3}};
    const float *const u[] = {v[0], v[1], v[2], v[3], v[4]};
    float out;
    ASSERT_OK(fedc_agg_trimmed_mean(ctx, u, 5, 1, 0.2, &out)); /* drop 1 and 100: (2+3+4)/3 */
    ASSERT_EQ(out, 3.0f);
    ASSERT_OK(fedc_agg_trimmed_mean(ctx, u, 5, 1, 0.0, &out)); /* the mean: 110 / 5 */
    ASSERT_EQ(out, 22.0f);
    ASSERT_OK(fedc_agg_trimmed_mean(ctx, u, 5, 1, 0.49, &out)); /* floor(2.45) = 2 each side */
    ASSERT_EQ(out, 3.0f);
    ASSERT_OK(fedc_agg_trimmed_mean(ctx, u, 5, 1, 0.19, &out)); /* floor(0.95) = 0: the mean */
    ASSERT_EQ(out, 22.0f);
}

TEST(krum_and_multi_krum_hand_computed) {
    /* Values 0, 1, 2, 3, 100 with f = 1: each scores its K - f - 2 = 2 nearest squared distances:
     * 0 -> 1 + 4 = 5, 1 -> 1 + 1 = 2, 2 -> 1 + 1 = 2, 3 -> 1 + 4 = 5, 100 -> 97^2 + 98^2. */
    const float v[5][1] = {{0}, {1}, {2}, {3}, {100}};
    const float *const u[] = {v[0], v[1], v[2], v[3], v[4]};
    float out;
    int64_t sel[5];
    ASSERT_OK(fedc_agg_multi_krum(ctx, u, 5, 1, 1, 1, &out, sel));
    ASSERT_EQ(sel[0], 1); /* 1 and 2 tie: the lower index */
    ASSERT_EQ(out, 1.0f);
    ASSERT_OK(fedc_agg_multi_krum(ctx, u, 5, 1, 1, 3, &out, sel));
    ASSERT_EQ(sel[0], 0); /* 0 and 3 tie for third: 0 */
    ASSERT_EQ(sel[1], 1);
    ASSERT_EQ(sel[2], 2);
    ASSERT_EQ(out, 1.0f);
    ASSERT_OK(fedc_agg_multi_krum(ctx, u, 5, 1, 1, 4, &out, NULL));
    ASSERT_EQ(out, 1.5f);
    /* f = 0, P = 2: neighbours K - 2 = 3 */
    const float w[5][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {10, 10}};
    const float *const uw[] = {w[0], w[1], w[2], w[3], w[4]};
    float o2[2];
    /* scores: (0,0): 1+1+2 = 4; (1,0): 1+1+2 = 4; (0,1): 4; (1,1): 4; (10,10): 162+181+181 */
    ASSERT_OK(fedc_agg_multi_krum(ctx, uw, 5, 2, 0, 1, o2, sel));
    ASSERT_EQ(sel[0], 0);
    ASSERT_OK(fedc_agg_multi_krum(ctx, uw, 5, 2, 0, 4, o2, sel));
    ASSERT_EQ(o2[0], 0.5f);
    ASSERT_EQ(o2[1], 0.5f);
}

TEST(robust_aggregates_ignore_byzantine_clients) {
    enum { K = 10, F = 3, P = 50 };
    static float v[K][P];
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST);
    for (int k = 0; k < K; k++)
        for (int i = 0; i < P; i++)
            v[k][i] = k < K - F ? 1.0f + 0.1f * (2 * fedc_rng_uniform(&rng) - 1)
                                : (k % 2 ? 1e6f : -3e5f) * (float)(i + 1);
    const float *u[K];
    for (int k = 0; k < K; k++)
        u[k] = v[k];
    float med[P], tm[P], krum[P], mk[P];
    int64_t sel[K];
    ASSERT_OK(fedc_agg_median(ctx, u, K, P, med));
    ASSERT_OK(fedc_agg_trimmed_mean(ctx, u, K, P, 0.3, tm));
    ASSERT_OK(fedc_agg_multi_krum(ctx, u, K, P, F, 1, krum, NULL));
    ASSERT_OK(fedc_agg_multi_krum(ctx, u, K, P, F, K - F, mk, sel));
    for (int i = 0; i < P; i++) {
        ASSERT_NEAR(med[i], 1.0, 0.1);
        ASSERT_NEAR(tm[i], 1.0, 0.1);
        ASSERT_NEAR(krum[i], 1.0, 0.1);
        ASSERT_NEAR(mk[i], 1.0, 0.1);
    }
    for (int j = 0; j < K - F; j++)
        ASSERT_EQ(sel[j], j); /* exactly the honest clients */
}

TEST(robust_aggregates_do_not_depend_on_client_order_for_order_statistics) {
    const float a[] = {5, 1}, b[] = {-1, 7}, c[] = {2, 2}, d[] = {9, -4};
    const float *const x[] = {a, b, c, d}, *const y[] = {d, c, a, b};
    float mx[2], my[2];
    ASSERT_OK(fedc_agg_median(ctx, x, 4, 2, mx));
    ASSERT_OK(fedc_agg_median(ctx, y, 4, 2, my));
    ASSERT_FLOATS_NEAR(mx, my, 2, 0.0);
    ASSERT_OK(fedc_agg_trimmed_mean(ctx, x, 4, 2, 0.25, mx));
    ASSERT_OK(fedc_agg_trimmed_mean(ctx, y, 4, 2, 0.25, my));
    ASSERT_FLOATS_NEAR(mx, my, 2, 0.0);
    ASSERT_EQ(mx[0], 3.5f);
}

TEST(robust_aggregates_reject_bad_arguments) {
    const float a[] = {1, 2}, b[] = {1, NAN}, c[] = {0, 0};
    const float *const u[] = {a, b, c, a, c};
    const float *const ok[] = {a, c, a, c, a};
    float out[2];
    ASSERT_STATUS(fedc_agg_median(ctx, u, 5, 2, out), FEDC_STATUS_NON_FINITE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client 1, coordinate 1");
    ASSERT_STATUS(fedc_agg_median(ctx, ok, 0, 2, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "K = 0");
    ASSERT_STATUS(fedc_agg_trimmed_mean(ctx, ok, 5, 2, 0.5, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "beta");
    ASSERT_STATUS(fedc_agg_trimmed_mean(ctx, ok, 5, 2, -0.1, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_agg_multi_krum(ctx, ok, 5, 2, 2, 1, out, NULL),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "too few");
    ASSERT_STATUS(fedc_agg_multi_krum(ctx, ok, 5, 2, 1, 5, out, NULL),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "m = 5");
    ASSERT_STATUS(fedc_agg_multi_krum(ctx, ok, 5, 2, -1, 1, out, NULL),
                  FEDC_STATUS_INVALID_ARGUMENT);
    const float *const with_null[] = {a, NULL, a};
    ASSERT_STATUS(fedc_agg_median(ctx, with_null, 3, 2, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client 1");
}

typedef struct {
    const float *const *u;
    float *out;
} robust_args;

static fedc_status run_median(fedc_ctx *ctx, void *arg) {
    robust_args *a = arg;
    return fedc_agg_median(ctx, a->u, 5, 2, a->out);
}
static fedc_status run_trimmed(fedc_ctx *ctx, void *arg) {
    robust_args *a = arg;
    return fedc_agg_trimmed_mean(ctx, a->u, 5, 2, 0.2, a->out);
}
static fedc_status run_krum(fedc_ctx *ctx, void *arg) {
    robust_args *a = arg;
    return fedc_agg_multi_krum(ctx, a->u, 5, 2, 1, 2, a->out, NULL);
}

TEST(robust_aggregates_survive_allocation_failures) {
    const float a[] = {1, 2}, c[] = {0, 0};
    const float *const u[] = {a, c, a, c, a};
    float out[2];
    robust_args args = {u, out};
    ASSERT_GE(fedc_test_alloc_sweep(ctx, run_median, NULL, &args), 1);
    ASSERT_GE(fedc_test_alloc_sweep(ctx, run_trimmed, NULL, &args), 1);
    ASSERT_GE(fedc_test_alloc_sweep(ctx, run_krum, NULL, &args), 1);
    ASSERT_EQ(out[0], 1.0f); /* krum, m = 2 of {a, c, a, c, a}: the two a's at distance 0 */
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

TEST(order_statistics_match_a_plain_sort_for_many_clients) {
    /* K beyond the small-input paths, with many ties (values from a few levels) and sorted and
     * reversed columns, against qsort. */
    enum { P = 64 };
    for (int K = 17; K <= 130; K += 37) {
        float *v = fedc_malloc((size_t)K * P * sizeof(float)), col[130], med[P], tm[P];
        const float *u[130];
        fedc_rng rng = FEDC_RNG(fedc_test_seed(), (uint64_t)K, FEDC_RNG_PURPOSE_TEST);
        for (int k = 0; k < K; k++) {
            u[k] = v + (size_t)k * P;
            for (int i = 0; i < P; i++) {
                float r = i % 4 == 0   ? (float)fedc_rng_below(&rng, 5)
                          : i % 4 == 1 ? (float)k
                          : i % 4 == 2 ? (float)-k
                                       : (float)fedc_rng_normal(&rng);
                v[(size_t)k * P + i] = r;
            }
        }
        ASSERT_OK(fedc_agg_median(ctx, u, K, P, med));
        ASSERT_OK(fedc_agg_trimmed_mean(ctx, u, K, P, 0.2, tm));
        int64_t trim = (int64_t)(0.2 * K);
        for (int i = 0; i < P; i++) {
            for (int k = 0; k < K; k++)
                col[k] = u[k][i];
            qsort(col, (size_t)K, sizeof(float), cmp_float);
            float want =
                K % 2 ? col[K / 2] : (float)(0.5 * ((double)col[K / 2 - 1] + (double)col[K / 2]));
            ASSERT_EQ(med[i], want);
            double s = 0;
            for (int64_t k = trim; k < K - trim; k++)
                s += col[k];
            ASSERT_EQ(tm[i], (float)(s / (double)(K - 2 * trim)));
        }
        fedc_free(v);
    }
}
