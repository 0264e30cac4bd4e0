/* test_init.c — initializers: constants exactly, random ones by their bounds and moments
 * (Keras's fans and truncation), orthogonal by Q^T Q = I, keyed-stream determinism and
 * independence between layers, and argument errors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/nn.h"
#include "harness/harness.h"

static float *fill(fedc_ctx *ctx, fedc_init_kind kind, fedc_shape shape, uint64_t seed) {
    fedc_initializer init = fedc_initializer_make(kind);
    float *out = malloc((size_t)fedc_shape_numel(&shape) * sizeof(float));
    fedc_rng rng = FEDC_RNG(seed, 1, FEDC_RNG_PURPOSE_INIT);
    ASSERT_OK(fedc_init_fill(ctx, &init, &shape, &rng, out));
    return out;
}

static void moments(const float *x, int64_t n, double *mean, double *sd, double *absmax) {
    double s = 0, s2 = 0, mx = 0;
    for (int64_t i = 0; i < n; i++) {
        s += x[i];
        s2 += (double)x[i] * x[i];
        if (fabs(x[i]) > mx) mx = fabs(x[i]);
    }
    *mean = s / (double)n;
    *sd = sqrt(s2 / (double)n - *mean * *mean);
    *absmax = mx;
}

TEST(constants) {
    fedc_shape s = FEDC_SHAPE(3, 4);
    float *z = fill(ctx, FEDC_INIT_ZEROS, s, 1), *o = fill(ctx, FEDC_INIT_ONES, s, 1);
    for (int i = 0; i < 12; i++) {
        ASSERT_EQ(z[i], 0.0f);
        ASSERT_EQ(o[i], 1.0f);
    }
    fedc_initializer c = fedc_initializer_make(FEDC_INIT_CONSTANT);
    c.value = 0.25;
    fedc_rng rng = FEDC_RNG(1, 2);
    ASSERT_OK(fedc_init_fill(ctx, &c, &s, &rng, z));
    for (int i = 0; i < 12; i++)
        ASSERT_EQ(z[i], 0.25f);
    free(z);
    free(o);
}

TEST(variance_scaling_moments) {
    /* Dense [400, 300]: fan_in 400, fan_out 300. Conv [3, 3, 16, 32]: fan_in 144, fan_out 288. */
    struct {
        fedc_init_kind kind;
        fedc_shape shape;
        double sd, bound;
    } cases[] = {
        {FEDC_INIT_GLOROT_UNIFORM, FEDC_SHAPE(400, 300), sqrt(6.0 / 700) / sqrt(3.0),
         sqrt(6.0 / 700)},
        {FEDC_INIT_GLOROT_NORMAL, FEDC_SHAPE(400, 300), sqrt(2.0 / 700),
         2 * sqrt(2.0 / 700) / 0.87962566},
        {FEDC_INIT_HE_NORMAL, FEDC_SHAPE(400, 300), sqrt(2.0 / 400),
         2 * sqrt(2.0 / 400) / 0.87962566},
        {FEDC_INIT_HE_UNIFORM, FEDC_SHAPE(3, 3, 16, 32), sqrt(6.0 / 144) / sqrt(3.0),
         sqrt(6.0 / 144)},
        {FEDC_INIT_LECUN_NORMAL, FEDC_SHAPE(3, 3, 16, 32), sqrt(1.0 / 144),
         2 * sqrt(1.0 / 144) / 0.87962566},
        {FEDC_INIT_RANDOM_NORMAL, FEDC_SHAPE(400, 300), 0.05, 1.0},
        {FEDC_INIT_RANDOM_UNIFORM, FEDC_SHAPE(400, 300), 0.05 / sqrt(3.0), 0.05},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float *x = fill(ctx, cases[c].kind, cases[c].shape, 7);
        int64_t n = fedc_shape_numel(&cases[c].shape);
        double mean, sd, mx;
        moments(x, n, &mean, &sd, &mx);
        ASSERT_NEAR(mean, 0.0, 4 * cases[c].sd / sqrt((double)n));
        ASSERT_NEAR(sd / cases[c].sd, 1.0, 0.03);
        ASSERT_LE(mx, cases[c].bound * (1 + 1e-6));
        free(x);
    }
}

TEST(orthogonal_rows_or_columns) {
    for (int tall = 0; tall < 2; tall++) {
        int64_t r = tall ? 7 : 3, c = tall ? 3 : 7;
        float *q = fill(ctx, FEDC_INIT_ORTHOGONAL, FEDC_SHAPE(r, c), 3);
        /* tall: Q^T Q = I (columns orthonormal); wide: Q Q^T = I (rows orthonormal) */
        int64_t k = tall ? c : r;
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < k; j++) {
                double dot = 0;
                for (int64_t t = 0; t < (tall ? r : c); t++)
                    dot += tall ? (double)q[t * c + i] * q[t * c + j]
                                : (double)q[i * c + t] * q[j * c + t];
                ASSERT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-6);
            }
        free(q);
    }
}

TEST(keyed_determinism_and_layer_independence) {
    float *a = fill(ctx, FEDC_INIT_GLOROT_UNIFORM, FEDC_SHAPE(20, 10), 5);
    float *b = fill(ctx, FEDC_INIT_GLOROT_UNIFORM, FEDC_SHAPE(20, 10), 5);
    float *c = fill(ctx, FEDC_INIT_GLOROT_UNIFORM, FEDC_SHAPE(20, 10), 6);
    ASSERT_TRUE(memcmp(a, b, 200 * sizeof(float)) == 0);
    ASSERT_TRUE(memcmp(a, c, 200 * sizeof(float)) != 0);
    free(a);
    free(b);
    free(c);
    /* Layer 0's kernel does not depend on what follows it. */
    fedc_layer_spec l1[] = {fedc_layer_dense(8, FEDC_ACTIVATION_RELU)};
    fedc_layer_spec l2[] = {fedc_layer_dense(8, FEDC_ACTIVATION_RELU),
                            fedc_layer_dense(30, FEDC_ACTIVATION_RELU)};
    fedc_model *m1, *m2;
    fedc_shape in = FEDC_SHAPE(5);
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = 99;
    ASSERT_OK(fedc_model_create(ctx, &in, l1, 1, &o, &m1));
    ASSERT_OK(fedc_model_create(ctx, &in, l2, 2, &o, &m2));
    ASSERT_TRUE(memcmp(fedc_model_params(m1), fedc_model_params(m2), 48 * sizeof(float)) == 0);
    /* fedc_model_init with the same seed gives the same values again. */
    fedc_model_params(m2)[3] = 123.0f;
    ASSERT_OK(fedc_model_init(ctx, m2, 99));
    ASSERT_TRUE(memcmp(fedc_model_params(m1), fedc_model_params(m2), 48 * sizeof(float)) == 0);
    fedc_model_destroy(m1);
    fedc_model_destroy(m2);
}

TEST(argument_errors) {
    float out[4];
    fedc_rng rng = FEDC_RNG(1, 2);
    fedc_shape s = FEDC_SHAPE(4);
    fedc_initializer u = fedc_initializer_make(FEDC_INIT_RANDOM_UNIFORM);
    u.minval = 1;
    u.maxval = 0;
    ASSERT_STATUS(fedc_init_fill(ctx, &u, &s, &rng, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "random_uniform: minval 1 > maxval 0");
    fedc_initializer n = fedc_initializer_make(FEDC_INIT_RANDOM_NORMAL);
    n.stddev = -1;
    ASSERT_STATUS(fedc_init_fill(ctx, &n, &s, &rng, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "stddev must be >= 0, got -1");
    fedc_initializer q = fedc_initializer_make(FEDC_INIT_ORTHOGONAL);
    ASSERT_STATUS(fedc_init_fill(ctx, &q, &s, &rng, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "orthogonal: weight shape must have rank >= 2");
    /* Through a model, the message names the layer and the weight. */
    fedc_layer_spec l = fedc_layer_dense(4, FEDC_ACTIVATION_LINEAR);
    l.bias_init = q;
    fedc_model *m;
    ASSERT_STATUS(fedc_model_create(ctx, &s, &l, 1, NULL, &m), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "layer 0 (dense) bias: orthogonal");
    ASSERT_STREQ(fedc_init_name(FEDC_INIT_HE_NORMAL), "he_normal");
    ASSERT_STREQ(fedc_init_name((fedc_init_kind)-1), "invalid");
}

static fedc_status sweep_orthogonal(fedc_ctx *ctx, void *arg) {
    fedc_initializer q = fedc_initializer_make(FEDC_INIT_ORTHOGONAL);
    fedc_rng rng = FEDC_RNG(1, 2);
    fedc_shape s = FEDC_SHAPE(4, 4);
    return fedc_init_fill(ctx, &q, &s, &rng, arg);
}

TEST(orthogonal_allocation_failure) {
    float out[16];
    ASSERT_EQ(fedc_test_alloc_sweep(ctx, sweep_orthogonal, NULL, out), 1);
}
