/* test_agg_clip.c — adaptive clipping by quantile estimation (learning_agg.h): the geometric and
 * arithmetic updates on hand-computed sequences, convergence to the target quantile, and the
 * noised fraction. The update rule is Andrew et al. 2021, "Differentially Private Learning with
 * Adaptive Clipping", Algorithm 1: C <- C exp(-lr (b - gamma)).
 */
#include <math.h>

#include "fedc/learning_agg.h"
#include "harness/harness.h"

TEST(quantile_count_is_norms_at_or_below_clip) {
    const double norms[] = {0.5, 1.0, 1.5, 2.0, 1.0000001};
    int64_t c;
    ASSERT_OK(fedc_quantile_count_below(ctx, norms, 5, 1.0, &c));
    ASSERT_EQ(c, 2); /* 0.5 and exactly 1.0 */
    ASSERT_OK(fedc_quantile_count_below(ctx, norms, 5, 0.0, &c));
    ASSERT_EQ(c, 0);
    ASSERT_OK(fedc_quantile_count_below(ctx, norms, 5, 100.0, &c));
    ASSERT_EQ(c, 5);
    const double bad[] = {1.0, NAN};
    ASSERT_STATUS(fedc_quantile_count_below(ctx, bad, 2, 1.0, &c), FEDC_STATUS_NON_FINITE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client 1");
    ASSERT_STATUS(fedc_quantile_count_below(ctx, norms, 5, -1.0, &c), FEDC_STATUS_INVALID_ARGUMENT);
}

TEST(quantile_geometric_update_hand_computed_sequence) {
    /* 100 clients with norms 1, 2, ..., 100; C0 = 1, gamma 0.5, lr 0.2. Round 1: only the norm 1
     * is <= 1, b = 0.01, C1 = exp(-0.2 (0.01 - 0.5)) = exp(0.098) = 1.10296; round 2: still one
     * norm <= 1.103, C2 = exp(0.196); round 3: C3 = exp(0.294) = 1.3418, b = 0.01 again. */
    double norms[100];
    for (int i = 0; i < 100; i++)
        norms[i] = i + 1;
    fedc_quantile_opts o = fedc_quantile_opts_default();
    ASSERT_EQ(o.target_quantile, 0.5);
    double clip = 1.0;
    for (int round = 1; round <= 3; round++) {
        int64_t count;
        double b;
        ASSERT_OK(fedc_quantile_count_below(ctx, norms, 100, clip, &count));
        ASSERT_EQ(count, 1);
        ASSERT_OK(fedc_quantile_noisy_fraction(ctx, count, 100, 0.0, 1, (uint64_t)round, &b));
        ASSERT_EQ(b, 0.01);
        ASSERT_OK(fedc_quantile_update(ctx, &o, b, &clip));
        ASSERT_NEAR(clip, exp(0.098 * round), 1e-12);
    }
    /* It then climbs to the median of the norms (50.5) and stays within a step of it. */
    for (int round = 4; round <= 400; round++) {
        int64_t count;
        ASSERT_OK(fedc_quantile_count_below(ctx, norms, 100, clip, &count));
        ASSERT_OK(fedc_quantile_update(ctx, &o, (double)count / 100.0, &clip));
    }
    ASSERT_GE(clip, 49.0);
    ASSERT_LE(clip, 52.0);
    /* A target of 0.9 leads to the 90th percentile instead. */
    o.target_quantile = 0.9;
    for (int round = 0; round < 400; round++) {
        int64_t count;
        ASSERT_OK(fedc_quantile_count_below(ctx, norms, 100, clip, &count));
        ASSERT_OK(fedc_quantile_update(ctx, &o, (double)count / 100.0, &clip));
    }
    ASSERT_GE(clip, 89.0);
    ASSERT_LE(clip, 92.0);
}

TEST(quantile_at_target_leaves_clip_unchanged) {
    fedc_quantile_opts o = fedc_quantile_opts_default();
    double clip = 3.25;
    ASSERT_OK(fedc_quantile_update(ctx, &o, 0.5, &clip));
    ASSERT_EQ(clip, 3.25);
}

TEST(quantile_arithmetic_update_and_floor) {
    fedc_quantile_opts o = {.target_quantile = 0.5, .learning_rate = 0.5, .geometric = false};
    double clip = 1.0;
    ASSERT_OK(fedc_quantile_update(ctx, &o, 1.0, &clip)); /* 1 - 0.5 (1 - 0.5) */
    ASSERT_EQ(clip, 0.75);
    ASSERT_OK(fedc_quantile_update(ctx, &o, 0.0, &clip)); /* 0.75 + 0.25 */
    ASSERT_EQ(clip, 1.0);
    o.learning_rate = 4.0;
    ASSERT_OK(fedc_quantile_update(ctx, &o, 1.0, &clip)); /* 1 - 2 < 0: floored */
    ASSERT_EQ(clip, 0.0);
}

TEST(quantile_noisy_fraction_keys_and_statistics) {
    double a, b, c;
    ASSERT_OK(fedc_quantile_noisy_fraction(ctx, 30, 100, 5.0, 9, 4, &a));
    ASSERT_OK(fedc_quantile_noisy_fraction(ctx, 30, 100, 5.0, 9, 4, &b));
    ASSERT_OK(fedc_quantile_noisy_fraction(ctx, 30, 100, 5.0, 9, 5, &c));
    ASSERT_EQ(a, b);
    ASSERT_NE(a, c);
    /* Over many rounds: mean 0.3, standard deviation 5 / 100. */
    enum { R = 20000 };
    double sum = 0, sum2 = 0;
    for (int r = 0; r < R; r++) {
        double f;
        ASSERT_OK(
            fedc_quantile_noisy_fraction(ctx, 30, 100, 5.0, fedc_test_seed(), (uint64_t)r, &f));
        sum += f;
        sum2 += f * f;
    }
    double mean = sum / R, var = sum2 / R - mean * mean;
    ASSERT_NEAR(mean, 0.3, 6 * 0.05 / sqrt(R));
    ASSERT_NEAR(var, 0.0025, 6 * 0.0025 * sqrt(2.0 / R));
    /* The clip-count stream is not the aggregate's noise stream. */
    float v = 0;
    ASSERT_OK(fedc_dp_add_gaussian_noise(ctx, &v, 1, 5.0, 9, 4));
    ASSERT_NE((double)v / 100.0 + 0.3, a);
}

TEST(quantile_rejects_bad_arguments) {
    fedc_quantile_opts o = fedc_quantile_opts_default();
    double clip = 1.0, f;
    o.target_quantile = 1.5;
    ASSERT_STATUS(fedc_quantile_update(ctx, &o, 0.5, &clip), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "target_quantile");
    o = fedc_quantile_opts_default();
    o.learning_rate = -1;
    ASSERT_STATUS(fedc_quantile_update(ctx, &o, 0.5, &clip), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "learning_rate");
    o = fedc_quantile_opts_default();
    clip = -2;
    ASSERT_STATUS(fedc_quantile_update(ctx, &o, 0.5, &clip), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_EQ(clip, -2.0);
    clip = 1;
    ASSERT_STATUS(fedc_quantile_update(ctx, &o, INFINITY, &clip), FEDC_STATUS_INVALID_ARGUMENT);
    o.learning_rate = 1e6;
    ASSERT_STATUS(fedc_quantile_update(ctx, &o, -1e6, &clip), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_EQ(clip, 1.0);
    ASSERT_STATUS(fedc_quantile_noisy_fraction(ctx, 3, 0.0, 1.0, 1, 1, &f),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "expected_clients");
    ASSERT_STATUS(fedc_quantile_noisy_fraction(ctx, 3, 10.0, -1.0, 1, 1, &f),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "noise_stddev");
    ASSERT_STATUS(fedc_quantile_noisy_fraction(ctx, -3, 10.0, 1.0, 1, 1, &f),
                  FEDC_STATUS_INVALID_ARGUMENT);
}
