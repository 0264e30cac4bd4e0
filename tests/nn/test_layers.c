/* test_layers.c — each layer's forward pass against answers worked by hand (Dense, Conv2D valid
 * and same, pooling, Flatten, Reshape, Dropout, activations), and its build errors: status and
 * a message naming the layer and what was wrong.
 */
#include <math.h>
#include <string.h>

#include "fedc/nn.h"
#include "harness/harness.h"

/* Builds a one-layer model without initialization, copies `params` in, runs a forward. */
static fedc_model *one_layer(fedc_ctx *ctx, fedc_layer_spec spec, fedc_shape in,
                             const float *params) {
    fedc_model *m;
    fedc_model_opts o = fedc_model_opts_default();
    o.no_init = true;
    ASSERT_OK(fedc_model_create(ctx, &in, &spec, 1, &o, &m));
    if (params)
        memcpy(fedc_model_params(m), params, (size_t)fedc_model_num_params(m) * sizeof(float));
    return m;
}

static fedc_tensor run(fedc_ctx *ctx, fedc_model *m, fedc_shape xs, float *x, bool training) {
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x), y;
    ASSERT_OK(fedc_model_forward(ctx, m, &xt, training, &y));
    return y;
}

TEST(dense_known_answer) {
    const float p[] = {1, 2, 3, 4, 5, 6, 0.5f, -1, 0}; /* W [2,3] then b [3] */
    fedc_model *m = one_layer(ctx, fedc_layer_dense(3, FEDC_ACTIVATION_LINEAR), FEDC_SHAPE(2), p);
    ASSERT_EQ(fedc_model_num_params(m), 9);
    float x[] = {1, 2, -1, 0};
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(2, 2), x, false);
    ASSERT_EQ(y.shape.rank, 2);
    ASSERT_EQ(y.shape.dims[1], 3);
    const float want[] = {9.5f, 11, 15, -0.5f, -3, -3};
    ASSERT_FLOATS_NEAR((const float *)y.data, want, 6, 1e-6);
    fedc_model_destroy(m);
}

TEST(dense_relu_and_softmax_activation) {
    const float p[] = {1, -1, 0, 0};
    fedc_model *m = one_layer(ctx, fedc_layer_dense(2, FEDC_ACTIVATION_RELU), FEDC_SHAPE(1), p);
    float x[] = {2, -3};
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(2, 1), x, false);
    const float want[] = {2, 0, 0, 3};
    ASSERT_FLOATS_NEAR((const float *)y.data, want, 4, 0);
    fedc_model_destroy(m);
    const float q[] = {0, 1, 0, 0};
    m = one_layer(ctx, fedc_layer_dense(2, FEDC_ACTIVATION_SOFTMAX), FEDC_SHAPE(1), q);
    float x2[] = {(float)log(2.0)};
    y = run(ctx, m, FEDC_SHAPE(1, 1), x2, false);
    const float want2[] = {1.0f / 3, 2.0f / 3};
    ASSERT_FLOATS_NEAR((const float *)y.data, want2, 2, 1e-6);
    fedc_model_destroy(m);
}

TEST(conv2d_valid_and_same_known_answer) {
    const float k[] = {1, 0, 0, 1, 0.5f}; /* kernel [2,2,1,1] = identity diagonal, bias 0.5 */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    fedc_model *m =
        one_layer(ctx, fedc_layer_conv2d(1, 2, 2, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_LINEAR),
                  FEDC_SHAPE(3, 3, 1), k);
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(1, 3, 3, 1), x, false);
    ASSERT_EQ(y.shape.dims[1], 2);
    const float want[] = {6.5f, 8.5f, 12.5f, 14.5f};
    ASSERT_FLOATS_NEAR((const float *)y.data, want, 4, 1e-6);
    fedc_model_destroy(m);
    m = one_layer(ctx, fedc_layer_conv2d(1, 2, 2, 1, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_LINEAR),
                  FEDC_SHAPE(3, 3, 1), k);
    y = run(ctx, m, FEDC_SHAPE(1, 3, 3, 1), x, false);
    /* TensorFlow puts SAME's extra padding at the bottom/right. */
    const float want_same[] = {6.5f, 8.5f, 3.5f, 12.5f, 14.5f, 6.5f, 7.5f, 8.5f, 9.5f};
    ASSERT_FLOATS_NEAR((const float *)y.data, want_same, 9, 1e-6);
    fedc_model_destroy(m);
}

TEST(conv2d_kernel_layout_is_keras) {
    /* kernel [1,1,2,3]: out[f] = sum_c x[c] * K[c][f] */
    const float k[] = {1, 2, 3, 10, 20, 30, 0, 0, 0};
    fedc_model *m =
        one_layer(ctx, fedc_layer_conv2d(3, 1, 1, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_LINEAR),
                  FEDC_SHAPE(1, 1, 2), k);
    float x[] = {1, 2};
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(1, 1, 1, 2), x, false);
    const float want[] = {21, 42, 63};
    ASSERT_FLOATS_NEAR((const float *)y.data, want, 3, 0);
    fedc_model_destroy(m);
}

TEST(pooling_known_answer) {
    float x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    fedc_model *m = one_layer(ctx, fedc_layer_maxpool2d(2, 2, 0, 0, FEDC_PADDING_VALID),
                              FEDC_SHAPE(4, 4, 1), NULL);
    ASSERT_EQ(fedc_model_num_params(m), 0);
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(1, 4, 4, 1), x, false);
    const float want_max[] = {6, 8, 14, 16};
    ASSERT_FLOATS_NEAR((const float *)y.data, want_max, 4, 0);
    fedc_model_destroy(m);
    m = one_layer(ctx, fedc_layer_avgpool2d(2, 2, 0, 0, FEDC_PADDING_VALID), FEDC_SHAPE(4, 4, 1),
                  NULL);
    y = run(ctx, m, FEDC_SHAPE(1, 4, 4, 1), x, false);
    const float want_avg[] = {3.5f, 5.5f, 11.5f, 13.5f};
    ASSERT_FLOATS_NEAR((const float *)y.data, want_avg, 4, 0);
    fedc_model_destroy(m);
}

TEST(flatten_and_reshape_shapes) {
    fedc_layer_spec l[] = {fedc_layer_flatten(), fedc_layer_reshape(FEDC_SHAPE(-1, 4))};
    fedc_model *m;
    fedc_shape in = FEDC_SHAPE(2, 3, 2);
    ASSERT_OK(fedc_model_create(ctx, &in, l, 2, NULL, &m));
    fedc_shape s0 = fedc_model_layer(m, 0)->out_shape, s1 = fedc_model_output_shape(m);
    ASSERT_EQ(s0.rank, 1);
    ASSERT_EQ(s0.dims[0], 12);
    ASSERT_EQ(s1.rank, 2);
    ASSERT_EQ(s1.dims[0], 3);
    ASSERT_EQ(s1.dims[1], 4);
    float x[24];
    for (int i = 0; i < 24; i++)
        x[i] = (float)i;
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(2, 2, 3, 2), x, false);
    ASSERT_FLOATS_NEAR((const float *)y.data, x, 24, 0);
    fedc_model_destroy(m);
}

TEST(dropout_masks) {
    enum { N = 20000 };
    static float x[N];
    for (int i = 0; i < N; i++)
        x[i] = 1.0f;
    fedc_model *m = one_layer(ctx, fedc_layer_dropout(0.25), FEDC_SHAPE(N), NULL);
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(1, N), x, false);
    ASSERT_FLOATS_NEAR((const float *)y.data, x, N, 0); /* inference: identity */
    ASSERT_EQ(fedc_model_step(m), 0);
    y = run(ctx, m, FEDC_SHAPE(1, N), x, true);
    ASSERT_EQ(fedc_model_step(m), 1);
    static float first[N];
    memcpy(first, y.data, sizeof first);
    int dropped = 0;
    for (int i = 0; i < N; i++) {
        if (first[i] == 0.0f)
            dropped++;
        else
            ASSERT_NEAR(first[i], 1.0 / 0.75, 1e-6);
    }
    ASSERT_NEAR(dropped / (double)N, 0.25, 0.015);
    y = run(ctx, m, FEDC_SHAPE(1, N), x, true); /* step 1: another mask */
    ASSERT_TRUE(memcmp(first, y.data, sizeof first) != 0);
    fedc_model_set_step(m, 0); /* step 0 again: the same mask */
    y = run(ctx, m, FEDC_SHAPE(1, N), x, true);
    ASSERT_TRUE(memcmp(first, y.data, sizeof first) == 0);
    fedc_model_destroy(m);
}

TEST(activation_layer_values) {
    float x[] = {-1, 0, 1, 2};
    const struct {
        fedc_activation act;
        float want[4];
    } cases[] = {
        {FEDC_ACTIVATION_LINEAR, {-1, 0, 1, 2}},
        {FEDC_ACTIVATION_RELU, {0, 0, 1, 2}},
        {FEDC_ACTIVATION_TANH, {-0.76159416f, 0, 0.76159416f, 0.96402758f}},
        {FEDC_ACTIVATION_SIGMOID, {0.26894142f, 0.5f, 0.73105858f, 0.88079708f}},
        {FEDC_ACTIVATION_SOFTMAX, {0.0320586f, 0.08714432f, 0.23688282f, 0.64391426f}},
        {FEDC_ACTIVATION_GELU, {-0.15865525f, 0, 0.84134475f, 1.95449974f}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fedc_model *m = one_layer(ctx, fedc_layer_activation(cases[c].act), FEDC_SHAPE(4), NULL);
        fedc_tensor y = run(ctx, m, FEDC_SHAPE(1, 4), x, false);
        ASSERT_FLOATS_NEAR((const float *)y.data, cases[c].want, 4, 1e-6);
        fedc_model_destroy(m);
    }
    fedc_activation a;
    ASSERT_TRUE(fedc_activation_parse("gelu", &a));
    ASSERT_EQ(a, FEDC_ACTIVATION_GELU);
    ASSERT_FALSE(fedc_activation_parse("swish", &a));
    ASSERT_STREQ(fedc_activation_name(FEDC_ACTIVATION_SOFTMAX), "softmax");
    ASSERT_STREQ(fedc_activation_name((fedc_activation)99), "invalid");
}

static fedc_status create1(fedc_ctx *ctx, fedc_layer_spec spec, fedc_shape in) {
    fedc_model *m = (fedc_model *)&m; /* must be reset to NULL on error */
    fedc_status st = fedc_model_create(ctx, &in, &spec, 1, NULL, &m);
    if (st != FEDC_STATUS_OK && m != NULL) FAIL("*out not NULL after an error");
    fedc_model_destroy(m);
    return st;
}

TEST(build_errors_name_the_layer) {
    ASSERT_STATUS(create1(ctx, fedc_layer_dense(0, FEDC_ACTIVATION_RELU), FEDC_SHAPE(4)),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "layer 0 (dense, Dense): units must be positive, got 0");
    ASSERT_STATUS(
        create1(ctx, fedc_layer_conv2d(4, 3, 3, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU),
                FEDC_SHAPE(784)),
        FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "layer 0 (conv2d, Conv2D)");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "got [784]");
    ASSERT_STATUS(
        create1(ctx, fedc_layer_conv2d(4, 5, 5, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU),
                FEDC_SHAPE(3, 3, 1)),
        FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "layer 0 (conv2d, Conv2D)");
    ASSERT_STATUS(create1(ctx, fedc_layer_dropout(1.0), FEDC_SHAPE(4)),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "rate must be in [0, 1), got 1");
    ASSERT_STATUS(create1(ctx, fedc_layer_reshape(FEDC_SHAPE(5, -1)), FEDC_SHAPE(2, 3)),
                  FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "cannot reshape [2,3] (6 elements) to [5,-1]");
    ASSERT_STATUS(create1(ctx, fedc_layer_reshape(FEDC_SHAPE(4)), FEDC_SHAPE(2, 3)),
                  FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "to [4] (4 elements)");
    ASSERT_STATUS(create1(ctx, fedc_layer_group_norm(3), FEDC_SHAPE(2, 4)),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "layer 0 (group_normalization, GroupNormalization): groups must divide the 4 "
                    "channels, got 3");
    fedc_layer_spec bad = fedc_layer_activation(FEDC_ACTIVATION_RELU);
    bad.activation = (fedc_activation)42;
    ASSERT_STATUS(create1(ctx, bad, FEDC_SHAPE(4)), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "unknown activation 42");
    fedc_layer_spec custom = fedc_layer_flatten();
    custom.kind = FEDC_LAYER_CUSTOM;
    ASSERT_STATUS(create1(ctx, custom, FEDC_SHAPE(4)), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "custom layer without build, forward and backward");
}

TEST(embedding_lookup) {
    const float table[] = {0, 1, 10, 11, 20, 21}; /* 3 tokens x 2 */
    fedc_model *m = one_layer(ctx, fedc_layer_embedding(3, 2), FEDC_SHAPE(4), table);
    float ids[] = {2, 0, 1, 2};
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(1, 4), ids, false);
    ASSERT_EQ(y.shape.rank, 3);
    const float want[] = {20, 21, 0, 1, 10, 11, 20, 21};
    ASSERT_FLOATS_NEAR((const float *)y.data, want, 8, 0);
    /* Repeated ids add their gradients. */
    float dy[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    fedc_shape ds = FEDC_SHAPE(1, 4, 2);
    fedc_tensor dt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ds, dy);
    ASSERT_OK(fedc_model_backward(ctx, m, &dt));
    const float gwant[] = {1, 1, 1, 1, 2, 2};
    ASSERT_FLOATS_NEAR(fedc_model_grads(m), gwant, 6, 0);
    float bad[] = {0, 1.5f, 1, 1};
    fedc_shape xs = FEDC_SHAPE(1, 4);
    fedc_tensor bt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, bad);
    ASSERT_STATUS(fedc_model_forward(ctx, m, &bt, false, &y), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "input element 1 is 1.5, expected a token id in [0, 3)");
    fedc_model_destroy(m);
}

TEST(layer_norm_values) {
    fedc_model *m = one_layer(ctx, fedc_layer_layer_norm(), FEDC_SHAPE(4), NULL);
    float *p = fedc_model_params(m); /* gamma, beta */
    for (int j = 0; j < 4; j++)
        p[j] = 2.0f, p[4 + j] = 1.0f;
    float x[] = {1, 2, 3, 4};
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(1, 4), x, false);
    double sd = sqrt(1.25 + 1e-3);
    const float want[] = {(float)(2 * -1.5 / sd + 1), (float)(2 * -0.5 / sd + 1),
                          (float)(2 * 0.5 / sd + 1), (float)(2 * 1.5 / sd + 1)};
    ASSERT_FLOATS_NEAR((const float *)y.data, want, 4, 1e-6);
    fedc_model_destroy(m);
}

TEST(batch_norm_moving_statistics) {
    fedc_layer_spec s = fedc_layer_batch_norm();
    s.momentum = 0.5;
    fedc_model *m;
    fedc_shape in = FEDC_SHAPE(2);
    ASSERT_OK(fedc_model_create(ctx, &in, &s, 1, NULL, &m));
    ASSERT_EQ(fedc_model_num_params(m), 4);
    ASSERT_EQ(fedc_model_num_state(m), 4);
    const float init_state[] = {0, 0, 1, 1};
    ASSERT_FLOATS_NEAR(fedc_model_state(m), init_state, 4, 0);
    float x[] = {1, 10, 3, 30}; /* channel 0: mean 2, var 1; channel 1: mean 20, var 100 */
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(2, 2), x, true);
    double r0 = 1 / sqrt(1 + 1e-3), r1 = 1 / sqrt(100 + 1e-3);
    const float want[] = {(float)-r0, (float)(-10 * r1), (float)r0, (float)(10 * r1)};
    ASSERT_FLOATS_NEAR((const float *)y.data, want, 4, 1e-6);
    const float state[] = {1, 10, 1, 50.5f};
    ASSERT_FLOATS_NEAR(fedc_model_state(m), state, 4, 1e-6);
    /* Inference uses the moving statistics. */
    y = run(ctx, m, FEDC_SHAPE(2, 2), x, false);
    ASSERT_NEAR(((float *)y.data)[0], (1 - 1) / sqrt(1 + 1e-3), 1e-6);
    ASSERT_NEAR(((float *)y.data)[1], (10 - 10) / sqrt(50.5 + 1e-3), 1e-6);
    ASSERT_NEAR(((float *)y.data)[3], (30 - 10) / sqrt(50.5 + 1e-3), 1e-6);
    fedc_model_destroy(m);
}

TEST(lstm_single_step_known_answer) {
    /* One unit, one feature, one step: W = [wi wf wc wo], U unused at t = 0, bias. */
    fedc_layer_spec s = fedc_layer_lstm(1, false);
    fedc_model *m;
    fedc_shape in = FEDC_SHAPE(1, 1);
    ASSERT_OK(fedc_model_create(ctx, &in, &s, 1, NULL, &m));
    ASSERT_EQ(fedc_model_num_params(m), 4 + 4 + 4);
    float *p = fedc_model_params(m);
    const float w[] = {0.5f, -1, 2, 1, 0, 0, 0, 0, 0.1f, 1, 0, -0.5f};
    memcpy(p, w, sizeof w);
    float x[] = {1};
    fedc_tensor y = run(ctx, m, FEDC_SHAPE(1, 1, 1), x, false);
    double i = 1 / (1 + exp(-0.6)), g = tanh(2.0), o = 1 / (1 + exp(-0.5));
    ASSERT_NEAR(((float *)y.data)[0], o * tanh(i * g), 1e-6);
    fedc_model_destroy(m);
    s.activation = FEDC_ACTIVATION_RELU;
    ASSERT_STATUS(fedc_model_create(ctx, &in, &s, 1, NULL, &m), FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "only activation tanh with recurrent_activation sigmoid");
}

TEST(kind_names_and_automatic_names) {
    static const char *const want[FEDC_LAYER_KIND_COUNT] = {"Dense",
                                                            "Conv2D",
                                                            "MaxPooling2D",
                                                            "AveragePooling2D",
                                                            "Flatten",
                                                            "Reshape",
                                                            "Dropout",
                                                            "Activation",
                                                            "Embedding",
                                                            "LSTM",
                                                            "GRU",
                                                            "LayerNormalization",
                                                            "BatchNormalization",
                                                            "GroupNormalization",
                                                            "Custom"};
    for (int k = 0; k < FEDC_LAYER_KIND_COUNT; k++)
        ASSERT_STREQ(fedc_layer_kind_name((fedc_layer_kind)k), want[k]);
    ASSERT_STREQ(fedc_layer_kind_name(FEDC_LAYER_KIND_COUNT), "invalid");
    fedc_layer_spec l[] = {fedc_layer_gru(3, true),  fedc_layer_group_norm(1),
                           fedc_layer_lstm(2, true), fedc_layer_batch_norm(),
                           fedc_layer_layer_norm(),  fedc_layer_gru(2, false)};
    fedc_model *m;
    fedc_shape in = FEDC_SHAPE(4, 2);
    ASSERT_OK(fedc_model_create(ctx, &in, l, 6, NULL, &m));
    const char *names[] = {
        "gru",  "group_normalization", "lstm", "batch_normalization", "layer_normalization",
        "gru_1"};
    for (size_t i = 0; i < 6; i++)
        ASSERT_STREQ(fedc_model_layer(m, i)->name, names[i]);
    fedc_model_destroy(m);
}
