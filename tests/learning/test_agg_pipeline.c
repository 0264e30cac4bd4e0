/* test_agg_pipeline.c — the kernels of learning_agg.h composed as aggregators compose them: a
 * DP-FedAvg round with adaptive clipping and accounting (Andrew et al. 2021, Algorithm 1), and the
 * compression path in front of secure aggregation (rotate, discretize, wrap, modular sum, decode,
 * unrotate), as tff.aggregators' distributed-DP pipeline stacks them.
 */
#include <math.h>
#include <string.h>

#include "fedc/learning_agg.h"
#include "harness/harness.h"

enum { K = 8, P = 100 };

static void make_updates(float u[K][P], uint64_t seed) {
    fedc_rng rng = FEDC_RNG(seed, FEDC_RNG_PURPOSE_TEST);
    for (int k = 0; k < K; k++)
        for (int i = 0; i < P; i++)
            u[k][i] = (float)((0.1 + 0.05 * k) * fedc_rng_normal(&rng));
}

/* R rounds of clip-to-C, sum, noise (stddev z C), mean over K, quantile update of C. Returns the
 * final clip; the last round's noised mean goes to mean_out. */
static double dp_rounds(fedc_ctx *ctx, float u[K][P], int rounds, double z, float *mean_out) {
    fedc_quantile_opts qo = fedc_quantile_opts_default();
    double clip = 0.1;
    for (int r = 0; r < rounds; r++) {
        double norms[K];
        float sum[P] = {0};
        for (int k = 0; k < K; k++) {
            double n2 = 0;
            for (int i = 0; i < P; i++)
                n2 += (double)u[k][i] * u[k][i];
            norms[k] = sqrt(n2);
            double scale = norms[k] > clip ? clip / norms[k] : 1.0;
            for (int i = 0; i < P; i++)
                sum[i] += (float)(u[k][i] * scale);
        }
        ASSERT_OK(fedc_dp_add_gaussian_noise(ctx, sum, P, z * clip, 17, (uint64_t)r));
        for (int i = 0; i < P; i++)
            mean_out[i] = sum[i] / K;
        int64_t count;
        double b;
        ASSERT_OK(fedc_quantile_count_below(ctx, norms, K, clip, &count));
        ASSERT_OK(fedc_quantile_noisy_fraction(ctx, count, K, 0.0, 17, (uint64_t)r, &b));
        ASSERT_OK(fedc_quantile_update(ctx, &qo, b, &clip));
    }
    return clip;
}

TEST(dp_fedavg_rounds_are_reproducible_and_track_the_median_norm) {
    static float u[K][P];
    make_updates(u, 5);
    float m1[P], m2[P];
    double c1 = dp_rounds(ctx, u, 60, 0.5, m1);
    double c2 = dp_rounds(ctx, u, 60, 0.5, m2);
    ASSERT_EQ(c1, c2);
    ASSERT_EQ(memcmp(m1, m2, sizeof m1), 0);
    /* Norms are about sqrt(100) (0.1 + 0.05 k): the median lies between clients 3 and 4. */
    double lo = 10 * (0.1 + 0.05 * 3) * 0.8, hi = 10 * (0.1 + 0.05 * 4) * 1.2;
    ASSERT_GE(c1, lo);
    ASSERT_LE(c1, hi);
    /* The privacy of those 60 rounds with every client present (q = 1). */
    fedc_rdp_accountant *acc;
    ASSERT_OK(fedc_rdp_accountant_create(ctx, NULL, 0, &acc));
    for (int r = 0; r < 60; r++)
        ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, acc, 0.5, 1.0, 1));
    double eps;
    ASSERT_OK(fedc_rdp_accountant_epsilon(ctx, acc, 1e-5, &eps, NULL));
    ASSERT_GT(eps, 100.0); /* noise 0.5 without sampling: RDP 120 alpha at order alpha */
    fedc_rdp_accountant_destroy(acc);
}

TEST(compressed_modular_sum_decodes_to_the_true_sum) {
    static float u[K][P];
    make_updates(u, 6);
    const int64_t d = fedc_hadamard_padded_size(P);
    ASSERT_EQ(d, 128);
    const double scale = 4096;
    const int32_t lo = -(1 << 20), hi = 1 << 20;
    int32_t acc[128] = {0}, q[128];
    float rot[128];
    for (int k = 0; k < K; k++) {
        ASSERT_OK(fedc_hadamard_rotate(ctx, u[k], P, rot, d, 3, 9));
        ASSERT_OK(fedc_discretize(ctx, rot, d, scale, true, 3, 9, (uint64_t)k, q));
        ASSERT_OK(fedc_modular_clip(ctx, q, d, lo, hi));
        ASSERT_OK(fedc_modular_add(ctx, acc, q, d, lo, hi));
    }
    float sum[128];
    ASSERT_OK(fedc_undiscretize(ctx, acc, d, scale, sum));
    ASSERT_OK(fedc_hadamard_unrotate(ctx, sum, d, 3, 9));
    /* Each client's rounding moves each rotated coordinate by < 1/scale; the rotation keeps L2
     * norms, so the decoded sum is within sqrt(d) K / scale of the truth in L2. */
    double err2 = 0;
    for (int i = 0; i < P; i++) {
        double truth = 0;
        for (int k = 0; k < K; k++)
            truth += u[k][i];
        err2 += (sum[i] - truth) * (sum[i] - truth);
    }
    ASSERT_LE(sqrt(err2), sqrt((double)d) * K / scale);
    ASSERT_GT(sqrt(err2), 0.0); /* it did round */
}
