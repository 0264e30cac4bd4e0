/* test_agg_compress.c — stochastic quantization, the randomized Hadamard rotation, and
 * discretization with modular clipping (learning_agg.h).
 *
 * Statistical checks use bounds of about six standard deviations, so a correct implementation
 * fails them with probability < 1e-8.
 */
#include <math.h>
#include <string.h>

#include "fedc/learning_agg.h"
#include "harness/harness.h"

TEST(quantize_is_unbiased_and_keeps_endpoints_exact) {
    enum { N = 8, R = 20000 };
    const float x[N] = {-1.0f, 2.0f, 0.3f, 1.7f, -0.55f, 0.0f, 1.0f, 1.999f};
    double mean[N] = {0};
    uint16_t codes[N];
    float deq[N], lo, hi;
    for (int r = 0; r < R; r++) {
        ASSERT_OK(fedc_quantize_stochastic(ctx, x, N, 2, fedc_test_seed(), (uint64_t)r, 3, codes,
                                           &lo, &hi));
        ASSERT_EQ(lo, -1.0f);
        ASSERT_EQ(hi, 2.0f);
        ASSERT_EQ(codes[0], 0);
        ASSERT_EQ(codes[1], 3);
        /* 2 bits: levels -1, 0, 1, 2; 0 and 1 lie on levels, so they never move */
        ASSERT_EQ(codes[5], 1);
        ASSERT_EQ(codes[6], 2);
        ASSERT_OK(fedc_dequantize(ctx, codes, N, 2, lo, hi, deq));
        ASSERT_EQ(deq[0], -1.0f);
        ASSERT_EQ(deq[1], 2.0f);
        for (int i = 0; i < N; i++) {
            ASSERT_LE(fabs(deq[i] - x[i]), 1.0 + 1e-6); /* one step of (2 - -1) / 3 */
            mean[i] += deq[i];
        }
    }
    /* A value between levels has variance f (1 - f) step^2 <= 1/4 */
    for (int i = 0; i < N; i++)
        ASSERT_NEAR(mean[i] / R, x[i], 6 * 0.5 / sqrt(R));
}

TEST(quantize_keys_bits_and_constant_input) {
    float x[100];
    for (int i = 0; i < 100; i++)
        x[i] = sinf((float)i);
    uint16_t a[100], b[100], c[100];
    float lo, hi, deq[100];
    ASSERT_OK(fedc_quantize_stochastic(ctx, x, 100, 4, 1, 2, 3, a, &lo, &hi));
    ASSERT_OK(fedc_quantize_stochastic(ctx, x, 100, 4, 1, 2, 3, b, &lo, &hi));
    ASSERT_OK(fedc_quantize_stochastic(ctx, x, 100, 4, 1, 2, 4, c, &lo, &hi));
    ASSERT_EQ(memcmp(a, b, sizeof a), 0);
    ASSERT_NE(memcmp(a, c, sizeof a), 0); /* another client, other rounding */
    /* 16 bits: within one step of 2/65535 */
    ASSERT_OK(fedc_quantize_stochastic(ctx, x, 100, 16, 1, 2, 3, a, &lo, &hi));
    ASSERT_OK(fedc_dequantize(ctx, a, 100, 16, lo, hi, deq));
    for (int i = 0; i < 100; i++)
        ASSERT_NEAR(deq[i], x[i], (hi - lo) / 65535.0 * 1.0001);
    /* 1 bit: every code is 0 or 1 */
    ASSERT_OK(fedc_quantize_stochastic(ctx, x, 100, 1, 1, 2, 3, a, &lo, &hi));
    for (int i = 0; i < 100; i++)
        ASSERT_LE(a[i], 1);
    const float k[3] = {0.25f, 0.25f, 0.25f};
    ASSERT_OK(fedc_quantize_stochastic(ctx, k, 3, 8, 1, 2, 3, a, &lo, &hi));
    ASSERT_OK(fedc_dequantize(ctx, a, 3, 8, lo, hi, deq));
    ASSERT_EQ(deq[2], 0.25f);
}

TEST(quantize_rejects_bad_arguments) {
    const float x[3] = {1, NAN, 2};
    uint16_t codes[3] = {7, 7, 7};
    float lo, hi, out[3];
    ASSERT_STATUS(fedc_quantize_stochastic(ctx, x, 3, 0, 1, 1, 1, codes, &lo, &hi),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "bits must be in [1, 16], got 0");
    ASSERT_STATUS(fedc_quantize_stochastic(ctx, x, 3, 17, 1, 1, 1, codes, &lo, &hi),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_quantize_stochastic(ctx, x, 3, 8, 1, 1, 1, codes, &lo, &hi),
                  FEDC_STATUS_NON_FINITE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "x[1]");
    ASSERT_EQ(codes[0], 7); /* nothing written */
    const float huge[2] = {-3e38f, 3e38f};
    ASSERT_OK(fedc_quantize_stochastic(ctx, huge, 2, 8, 1, 1, 1, codes, &lo, &hi));
    ASSERT_EQ(codes[1], 255);
    ASSERT_STATUS(fedc_dequantize(ctx, codes, 2, 2, 0.0f, 1.0f, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "codes[1] = 255 exceeds 3 levels");
    ASSERT_STATUS(fedc_dequantize(ctx, codes, 1, 8, 1.0f, 0.0f, out), FEDC_STATUS_INVALID_ARGUMENT);
}

TEST(hadamard_padded_sizes) {
    ASSERT_EQ(fedc_hadamard_padded_size(1), 1);
    ASSERT_EQ(fedc_hadamard_padded_size(2), 2);
    ASSERT_EQ(fedc_hadamard_padded_size(3), 4);
    ASSERT_EQ(fedc_hadamard_padded_size(5), 8);
    ASSERT_EQ(fedc_hadamard_padded_size(1024), 1024);
    ASSERT_EQ(fedc_hadamard_padded_size(1025), 2048);
    ASSERT_EQ(fedc_hadamard_padded_size(INT64_C(1) << 62), INT64_C(1) << 62);
    ASSERT_EQ(fedc_hadamard_padded_size((INT64_C(1) << 62) + 1), -1);
}

TEST(hadamard_rotation_of_a_unit_vector_hand_computed) {
    /* e0 rotated: H D e0 / 2 = s0 (1, 1, 1, 1) / 2, s0 the first sign. */
    const float e0[3] = {1, 0, 0};
    float y[4];
    ASSERT_OK(fedc_hadamard_rotate(ctx, e0, 3, y, 4, 5, 6));
    ASSERT_EQ(fabsf(y[0]), 0.5f);
    for (int i = 1; i < 4; i++)
        ASSERT_EQ(y[i], y[0]);
}

TEST(hadamard_inverse_norm_and_linearity) {
    enum { N = 1000, D = 1024 };
    static float x1[N], x2[N], y1[D], y2[D], ys[D];
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST);
    double n2 = 0;
    for (int i = 0; i < N; i++) {
        x1[i] = (float)fedc_rng_normal(&rng);
        x2[i] = i == 7 ? 100.0f : 0.0f; /* all mass on one coordinate */
        n2 += (double)x1[i] * x1[i];
    }
    ASSERT_OK(fedc_hadamard_rotate(ctx, x1, N, y1, D, 11, 3));
    ASSERT_OK(fedc_hadamard_rotate(ctx, x2, N, y2, D, 11, 3));
    double m2 = 0, maxabs = 0;
    for (int i = 0; i < D; i++) {
        m2 += (double)y1[i] * y1[i];
        ys[i] = y1[i] + y2[i];
        if (fabs(y2[i]) > maxabs) maxabs = fabs(y2[i]);
    }
    ASSERT_NEAR(m2, n2, 1e-5 * n2);          /* orthogonal */
    ASSERT_NEAR(maxabs, 100.0 / 32.0, 1e-5); /* the spike is spread evenly: 100 / sqrt(1024) */
    /* The server undoes the rotation of a sum: the sum of the inputs, within float error. */
    ASSERT_OK(fedc_hadamard_unrotate(ctx, ys, D, 11, 3));
    for (int i = 0; i < N; i++)
        ASSERT_NEAR(ys[i], x1[i] + x2[i], 1e-4);
    for (int i = N; i < D; i++)
        ASSERT_NEAR(ys[i], 0.0, 1e-4);
    ASSERT_OK(fedc_hadamard_unrotate(ctx, y1, D, 11, 3));
    ASSERT_FLOATS_NEAR(y1, x1, N, 1e-5);
    /* Another round rotates differently, and undoing with the wrong round does not recover x. */
    ASSERT_OK(fedc_hadamard_rotate(ctx, x1, N, y2, D, 11, 4));
    ASSERT_OK(fedc_hadamard_rotate(ctx, x1, N, y1, D, 11, 3));
    ASSERT_NE(memcmp(y1, y2, sizeof y1), 0);
    ASSERT_OK(fedc_hadamard_unrotate(ctx, y2, D, 11, 3));
    double err = 0;
    for (int i = 0; i < N; i++)
        err += fabs(y2[i] - x1[i]);
    ASSERT_GT(err, 1.0);
}

TEST(hadamard_rejects_bad_sizes) {
    float x[3] = {1, 2, 3}, y[8];
    ASSERT_STATUS(fedc_hadamard_rotate(ctx, x, 3, y, 8, 1, 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "d must be 4");
    ASSERT_STATUS(fedc_hadamard_rotate(ctx, x, 0, y, 1, 1, 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_hadamard_unrotate(ctx, y, 6, 1, 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "power of two");
}

TEST(discretize_rounds_and_scales) {
    const float x[5] = {0.25f, -0.25f, 1.3f, -2.7f, 0.0f};
    int32_t q[5];
    ASSERT_OK(fedc_discretize(ctx, x, 5, 2.0, false, 0, 0, 0, q));
    ASSERT_EQ(q[0], 1); /* 0.5: ties away from zero */
    ASSERT_EQ(q[1], -1);
    ASSERT_EQ(q[2], 3);  /* 2.6 */
    ASSERT_EQ(q[3], -5); /* -5.4 */
    ASSERT_EQ(q[4], 0);
    float back[5];
    ASSERT_OK(fedc_undiscretize(ctx, q, 5, 2.0, back));
    ASSERT_EQ(back[3], -2.5f);
    /* Stochastic rounding is unbiased: 0.3 rounds up 30% of the time. */
    enum { R = 20000 };
    const float t = 0.3f;
    double sum = 0;
    for (int r = 0; r < R; r++) {
        int32_t v;
        ASSERT_OK(fedc_discretize(ctx, &t, 1, 1.0, true, fedc_test_seed(), (uint64_t)r, 2, &v));
        ASSERT_TRUE(v == 0 || v == 1);
        sum += v;
    }
    ASSERT_NEAR(sum / R, 0.3, 6 * sqrt(0.21 / R));
}

TEST(discretize_rejects_values_out_of_int32) {
    const float x[2] = {1.0f, 3e9f};
    int32_t q[2] = {42, 42};
    ASSERT_STATUS(fedc_discretize(ctx, x, 2, 1.0, false, 0, 0, 0, q), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "x[1]");
    ASSERT_EQ(q[0], 42);
    ASSERT_STATUS(fedc_discretize(ctx, x, 2, 0.0, false, 0, 0, 0, q), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "scale");
    const float nan[1] = {NAN};
    ASSERT_STATUS(fedc_discretize(ctx, nan, 1, 1.0, true, 0, 0, 0, q), FEDC_STATUS_NON_FINITE);
}

TEST(modular_clip_wraps_into_range) {
    int32_t v[8] = {9, -9, 8, -8, 23, 0, 7, INT32_MIN};
    ASSERT_OK(fedc_modular_clip(ctx, v, 8, -8, 8));
    ASSERT_EQ(v[0], -7);
    ASSERT_EQ(v[1], 7);
    ASSERT_EQ(v[2], -8);
    ASSERT_EQ(v[3], -8);
    ASSERT_EQ(v[4], 7); /* 23 = 7 + 16 */
    ASSERT_EQ(v[5], 0);
    ASSERT_EQ(v[6], 7);
    ASSERT_EQ(v[7], 0); /* -2^31 is a multiple of 16 */
    int32_t w[1] = {INT32_MAX};
    ASSERT_OK(fedc_modular_clip(ctx, w, 1, INT32_MIN, INT32_MAX));
    ASSERT_EQ(w[0], INT32_MIN); /* the full range: hi itself wraps to lo */
    ASSERT_STATUS(fedc_modular_clip(ctx, v, 8, 3, 3), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "lo < hi");
}

TEST(modular_sum_of_clients_equals_true_sum_or_wraps_predictably) {
    /* Four clients' floats, discretized with scale 100 into 16-bit modular values [-2^15, 2^15),
     * summed modularly as secure aggregation would: decoded, the true sum. */
    enum { K = 4, N = 6 };
    const float x[K][N] = {{0.5f, -1.25f, 3.0f, 0.01f, -0.3f, 10.0f},
                           {1.5f, 2.25f, -3.0f, 0.02f, -0.3f, 20.0f},
                           {-0.5f, 0.0f, 1.0f, 0.03f, -0.3f, 30.0f},
                           {2.0f, 1.0f, 0.5f, 0.04f, -0.3f, 40.0f}};
    const int32_t lo = -32768, hi = 32768;
    int32_t acc[N] = {0}, q[N];
    for (int k = 0; k < K; k++) {
        ASSERT_OK(fedc_discretize(ctx, x[k], N, 100.0, false, 0, 0, (uint64_t)k, q));
        ASSERT_OK(fedc_modular_clip(ctx, q, N, lo, hi));
        ASSERT_OK(fedc_modular_add(ctx, acc, q, N, lo, hi));
    }
    float sum[N];
    ASSERT_OK(fedc_undiscretize(ctx, acc, N, 100.0, sum));
    for (int i = 0; i < N; i++) {
        double truth = 0;
        for (int k = 0; k < K; k++)
            truth += x[k][i];
        ASSERT_NEAR(sum[i], truth, 1e-5 * fmax(1.0, fabs(truth)));
    }
    /* 8-bit range [-128, 128): 100 + 100 + 50 = 250 wraps to 250 - 256 = -6; -100 - 100 = -200
     * wraps to 56. */
    int32_t a[2] = {0, 0};
    const int32_t c1[2] = {100, -100}, c2[2] = {100, -100}, c3[2] = {50, 0};
    ASSERT_OK(fedc_modular_add(ctx, a, c1, 2, -128, 128));
    ASSERT_OK(fedc_modular_add(ctx, a, c2, 2, -128, 128));
    ASSERT_OK(fedc_modular_add(ctx, a, c3, 2, -128, 128));
    ASSERT_EQ(a[0], -6);
    ASSERT_EQ(a[1], 56);
}
