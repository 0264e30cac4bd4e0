/* test_loss.c — the losses against values worked by hand (Keras's definitions: clipping,
 * normalization, sample weights, SUM_OVER_BATCH_SIZE), and their argument errors.
 */
#include <math.h>

#include "fedc/nn.h"
#include "harness/harness.h"

static double eval(fedc_ctx *ctx, fedc_loss_kind kind, bool logits, fedc_shape ps, float *p,
                   fedc_dtype tdt, fedc_shape ts, void *t, float *w) {
    fedc_loss l = {kind, logits};
    fedc_tensor pt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, p);
    fedc_tensor tt = fedc_tensor_view(tdt, &ts, t);
    fedc_shape ws = FEDC_SHAPE(ps.dims[0]);
    fedc_tensor wt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ws, w);
    double v = NAN;
    ASSERT_OK(fedc_loss_eval(ctx, &l, &pt, &tt, w ? &wt : NULL, &v, NULL));
    return v;
}

TEST(sparse_categorical_known_values) {
    float logits[] = {1, 2, 3, 0, 0, 0};
    int32_t lab[] = {2, 0};
    double v = eval(ctx, FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true, FEDC_SHAPE(2, 3), logits,
                    FEDC_DTYPE_INT32, FEDC_SHAPE(2), lab, NULL);
    ASSERT_NEAR(v, (0.40760596444438 + log(3.0)) / 2, 1e-7);
    float w[] = {2, 0};
    v = eval(ctx, FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true, FEDC_SHAPE(2, 3), logits,
             FEDC_DTYPE_INT32, FEDC_SHAPE(2), lab, w);
    ASSERT_NEAR(v, 2 * 0.40760596444438 / 2, 1e-7);
    float probs[] = {0.2f, 0.3f, 0.5f, 1.0f, 0.0f, 0.0f};
    float flab[] = {1, 1};
    v = eval(ctx, FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false, FEDC_SHAPE(2, 3), probs,
             FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2), flab, NULL);
    /* p = 0 is clipped to 1e-7 */
    ASSERT_NEAR(v, (-log((double)0.3f) - log(1e-7)) / 2, 1e-6);
}

TEST(sequence_outputs_average_over_steps) {
    /* [2 examples, 3 steps, 4 classes] of zero logits: every step's loss is ln 4, and Keras
     * averages over the 6 steps; weights are per example. */
    float z[24] = {0};
    int32_t lab[6] = {0, 1, 2, 3, 0, 1};
    double v = eval(ctx, FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true, FEDC_SHAPE(2, 3, 4), z,
                    FEDC_DTYPE_INT32, FEDC_SHAPE(2, 3), lab, NULL);
    ASSERT_NEAR(v, log(4.0), 1e-7);
    float w[2] = {1, 0};
    v = eval(ctx, FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true, FEDC_SHAPE(2, 3, 4), z,
             FEDC_DTYPE_INT32, FEDC_SHAPE(2, 3), lab, w);
    ASSERT_NEAR(v, log(4.0) / 2, 1e-7);
}

TEST(categorical_binary_mse_known_values) {
    float p[] = {1, 1, 2}; /* normalized to 0.25, 0.25, 0.5 */
    float t[] = {0, 0, 1};
    double v = eval(ctx, FEDC_LOSS_CATEGORICAL_CROSSENTROPY, false, FEDC_SHAPE(1, 3), p,
                    FEDC_DTYPE_FLOAT32, FEDC_SHAPE(1, 3), t, NULL);
    ASSERT_NEAR(v, log(2.0), 1e-7);
    float z[] = {0, 0, (float)log(2.0)};
    v = eval(ctx, FEDC_LOSS_CATEGORICAL_CROSSENTROPY, true, FEDC_SHAPE(1, 3), z, FEDC_DTYPE_FLOAT32,
             FEDC_SHAPE(1, 3), t, NULL);
    ASSERT_NEAR(v, log(2.0), 1e-7);
    float bp[] = {0.8f, 0.25f}, bt[] = {1, 0};
    v = eval(ctx, FEDC_LOSS_BINARY_CROSSENTROPY, false, FEDC_SHAPE(1, 2), bp, FEDC_DTYPE_FLOAT32,
             FEDC_SHAPE(1, 2), bt, NULL);
    ASSERT_NEAR(v, (-log((double)0.8f + 1e-7) - log(0.75 + 1e-7)) / 2, 1e-7);
    float bz[] = {0, 100};
    v = eval(ctx, FEDC_LOSS_BINARY_CROSSENTROPY, true, FEDC_SHAPE(2, 1), bz, FEDC_DTYPE_FLOAT32,
             FEDC_SHAPE(2, 1), bt, NULL);
    ASSERT_NEAR(v, (log(2.0) + 100.0) / 2, 1e-7);
    float mp[] = {1, 2, 3, 4}, mt[] = {0, 0, 0, 0}, mw[] = {1, 0};
    v = eval(ctx, FEDC_LOSS_MEAN_SQUARED_ERROR, false, FEDC_SHAPE(2, 2), mp, FEDC_DTYPE_FLOAT32,
             FEDC_SHAPE(2, 2), mt, NULL);
    ASSERT_NEAR(v, 7.5, 1e-12);
    v = eval(ctx, FEDC_LOSS_MEAN_SQUARED_ERROR, false, FEDC_SHAPE(2, 2), mp, FEDC_DTYPE_FLOAT32,
             FEDC_SHAPE(2, 2), mt, mw);
    ASSERT_NEAR(v, 1.25, 1e-12);
    ASSERT_STREQ(fedc_loss_name(FEDC_LOSS_MEAN_SQUARED_ERROR), "mean_squared_error");
    ASSERT_STREQ(fedc_loss_name((fedc_loss_kind)9), "invalid");
}

TEST(gradient_known_values) {
    /* Sparse CE from logits: dL/dz = (softmax(z) - onehot) / batch. */
    float z[] = {0, 0};
    int64_t lab[] = {1};
    fedc_shape ps = FEDC_SHAPE(1, 2), ts = FEDC_SHAPE(1);
    fedc_tensor pt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, z);
    fedc_tensor tt = fedc_tensor_view(FEDC_DTYPE_INT64, &ts, lab), g;
    ASSERT_OK(fedc_tensor_alloc(ctx, &g, FEDC_DTYPE_FLOAT32, &ps));
    fedc_loss l = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true};
    double v;
    ASSERT_OK(fedc_loss_eval(ctx, &l, &pt, &tt, NULL, &v, &g));
    const float want[] = {0.5f, -0.5f};
    ASSERT_FLOATS_NEAR((const float *)g.data, want, 2, 1e-7);
    fedc_tensor_free(&g);
}

TEST(argument_errors) {
    float p[6] = {0.1f, 0.2f, 0.7f, 0.3f, 0.3f, 0.4f};
    int32_t lab[2] = {0, 5};
    fedc_shape ps = FEDC_SHAPE(2, 3), ts = FEDC_SHAPE(2), bad = FEDC_SHAPE(3);
    fedc_tensor pt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, p);
    fedc_tensor tt = fedc_tensor_view(FEDC_DTYPE_INT32, &ts, lab);
    fedc_loss l = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    double v;
    ASSERT_STATUS(fedc_loss_eval(ctx, &l, &pt, &tt, NULL, &v, NULL), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "sparse_categorical_crossentropy: row 1 has class 5, expected an integer in "
                    "[0, 3)");
    fedc_tensor tb = fedc_tensor_view(FEDC_DTYPE_INT32, &bad, lab);
    ASSERT_STATUS(fedc_loss_eval(ctx, &l, &pt, &tb, NULL, &v, NULL), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "target must have shape [2], got [3]");
    l.kind = FEDC_LOSS_MEAN_SQUARED_ERROR;
    ASSERT_STATUS(fedc_loss_eval(ctx, &l, &pt, &tt, NULL, &v, NULL), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "mean_squared_error: target must be contiguous float32");
    fedc_tensor t2 = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, p);
    fedc_tensor wt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &bad, p);
    ASSERT_STATUS(fedc_loss_eval(ctx, &l, &pt, &t2, &wt, &v, NULL), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "sample_weight must have shape [2], got [3]");
    fedc_tensor dp = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &bad, p);
    ASSERT_STATUS(fedc_loss_eval(ctx, &l, &pt, &t2, NULL, &v, &dp), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "dpred must have shape [2,3], got [3]");
    l.kind = (fedc_loss_kind)77;
    ASSERT_STATUS(fedc_loss_eval(ctx, &l, &pt, &t2, NULL, &v, NULL), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "unknown loss kind 77");
}
