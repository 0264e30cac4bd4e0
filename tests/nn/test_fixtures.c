/* test_fixtures.c — layers and losses against PyTorch: forward outputs, input gradients and
 * parameter gradients read from tests/nn/fixtures/layers.txt (written by make_fixtures.py with
 * python3-torch, in double; compared at 1e-5 as float32 allows). CI needs only the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/nn.h"
#include "harness/fixtures.h"
#include "harness/harness.h"

#define TOL 1e-5

static const float *get(const char *name, int64_t want_n) {
    char path[512];
    fedc_fixture_load(fedc_fixture_path(__FILE__, "fixtures/layers.txt", path, sizeof path));
    return fedc_fixture_get(name, want_n);
}

/* Runs one layer's forward and backward through its vtable with the fixture's parameters
 * (`params` names concatenated in order) and compares y, dx and every parameter gradient. */
static void check(fedc_ctx *ctx, const char *prefix, fedc_layer_spec spec, fedc_shape in,
                  int64_t batch, const char *const *params, const char *const *grads,
                  bool training) {
    fedc_model *m;
    fedc_model_opts o = fedc_model_opts_default();
    o.no_init = true;
    ASSERT_OK(fedc_model_create(ctx, &in, &spec, 1, &o, &m));
    const fedc_layer *l = fedc_model_layer(m, 0);
    float *p = fedc_model_params(m);
    int64_t off = 0;
    char key[96];
    for (int i = 0; params[i]; i++) {
        snprintf(key, sizeof key, "%s.%s", prefix, params[i]);
        const float *v = get(key, -1);
        int64_t n = fedc_fixture_length(key);
        memcpy(p + off, v, (size_t)n * sizeof(float));
        off += n;
    }
    ASSERT_EQ(off, l->param_count);
    int64_t nin = batch * fedc_shape_numel(&in), nout = batch * fedc_shape_numel(&l->out_shape);
    snprintf(key, sizeof key, "%s.x", prefix);
    const float *x = get(key, nin);
    snprintf(key, sizeof key, "%s.dy", prefix);
    const float *dy = get(key, nout);
    int64_t ns = l->ops->saved_size ? l->ops->saved_size(l, batch) : 0;
    int64_t nt = l->ops->temp_size ? l->ops->temp_size(l, batch) : 0;
    float *y = calloc((size_t)nout, sizeof(float)), *dx = calloc((size_t)nin, sizeof(float));
    float *saved = calloc((size_t)ns + 1, sizeof(float)), *temp = calloc((size_t)nt + 1, 4);
    fedc_layer_io io = {.batch = batch, .training = training, .saved = saved, .temp = temp};
    l->ops->forward(l, &io, x, y);
    l->ops->backward(l, &io, x, y, dy, dx);
    snprintf(key, sizeof key, "%s.y", prefix);
    ASSERT_FLOATS_NEAR(y, get(key, nout), nout, TOL);
    snprintf(key, sizeof key, "%s.dx", prefix);
    ASSERT_FLOATS_NEAR(dx, get(key, nin), nin, TOL);
    off = 0;
    for (int i = 0; grads && grads[i]; i++) {
        snprintf(key, sizeof key, "%s.%s", prefix, grads[i]);
        const float *g = get(key, -1);
        int64_t n = fedc_fixture_length(key);
        ASSERT_FLOATS_NEAR(l->grads + off, g, n, TOL);
        off += n;
    }
    free(y);
    free(dx);
    free(saved);
    free(temp);
    fedc_model_destroy(m);
}

TEST(dense_tanh) {
    check(ctx, "dense", fedc_layer_dense(5, FEDC_ACTIVATION_TANH), FEDC_SHAPE(4), 3,
          (const char *[]){"w", "b", NULL}, (const char *[]){"dw", "db", NULL}, true);
}

TEST(conv2d_same_stride2_relu) {
    check(ctx, "conv", fedc_layer_conv2d(4, 3, 3, 2, 2, FEDC_PADDING_SAME, FEDC_ACTIVATION_RELU),
          FEDC_SHAPE(5, 6, 3), 2, (const char *[]){"k", "b", NULL},
          (const char *[]){"dk", "db", NULL}, true);
}

/* 3x3 windows at stride 1 over 16+ channels: Conv2D's Winograd path. */
TEST(conv2d_3x3_stride1_relu) {
    check(ctx, "wconv", fedc_layer_conv2d(16, 3, 3, 1, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_RELU),
          FEDC_SHAPE(5, 6, 16), 2, (const char *[]){"k", "b", NULL},
          (const char *[]){"dk", "db", NULL}, true);
    check(ctx, "wconv_valid",
          fedc_layer_conv2d(18, 3, 3, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU),
          FEDC_SHAPE(7, 5, 17), 1, (const char *[]){"k", "b", NULL},
          (const char *[]){"dk", "db", NULL}, true);
}

TEST(pooling) {
    check(ctx, "maxpool", fedc_layer_maxpool2d(2, 2, 0, 0, FEDC_PADDING_VALID), FEDC_SHAPE(5, 5, 3),
          2, (const char *[]){NULL}, NULL, true);
    check(ctx, "avgpool", fedc_layer_avgpool2d(3, 3, 2, 2, FEDC_PADDING_SAME), FEDC_SHAPE(5, 5, 3),
          2, (const char *[]){NULL}, NULL, true);
}

TEST(lstm_sequences) {
    check(ctx, "lstm", fedc_layer_lstm(4, true), FEDC_SHAPE(5, 3), 2,
          (const char *[]){"kernel", "recurrent", "bias", NULL},
          (const char *[]){"dkernel", "drecurrent", "dbias", NULL}, true);
}

TEST(normalization) {
    check(ctx, "ln", fedc_layer_layer_norm(), FEDC_SHAPE(5), 3,
          (const char *[]){"gamma", "beta", NULL}, (const char *[]){"dgamma", "dbeta", NULL}, true);
    check(ctx, "bn", fedc_layer_batch_norm(), FEDC_SHAPE(3), 6,
          (const char *[]){"gamma", "beta", NULL}, (const char *[]){"dgamma", "dbeta", NULL}, true);
}

TEST(group_norm) {
    check(ctx, "gn", fedc_layer_group_norm(2), FEDC_SHAPE(3, 4), 2,
          (const char *[]){"gamma", "beta", NULL}, (const char *[]){"dgamma", "dbeta", NULL}, true);
}

TEST(activations) {
    const struct {
        const char *prefix;
        fedc_activation act;
    } c[] = {{"act_gelu", FEDC_ACTIVATION_GELU},
             {"act_softmax", FEDC_ACTIVATION_SOFTMAX},
             {"act_sigmoid", FEDC_ACTIVATION_SIGMOID},
             {"act_tanh", FEDC_ACTIVATION_TANH}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        check(ctx, c[i].prefix, fedc_layer_activation(c[i].act), FEDC_SHAPE(5), 2,
              (const char *[]){NULL}, NULL, true);
}

TEST(losses) {
    fedc_shape ps = FEDC_SHAPE(4, 3), ws = FEDC_SHAPE(4);
    float z[12], g[12], labels[4], w[4], t[12];
    memcpy(z, get("sce.z", 12), sizeof z);
    memcpy(labels, get("sce.labels", 4), sizeof labels);
    memcpy(w, get("sce.w", 4), sizeof w);
    fedc_tensor zt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, z);
    fedc_tensor gt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, g);
    fedc_tensor lt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ws, labels);
    fedc_tensor wt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ws, w);
    fedc_loss l = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true};
    double v;
    ASSERT_OK(fedc_loss_eval(ctx, &l, &zt, &lt, &wt, &v, &gt));
    ASSERT_NEAR(v, get("sce.loss", 1)[0], 1e-6);
    ASSERT_FLOATS_NEAR(g, get("sce.dz", 12), 12, TOL);
    memcpy(z, get("bce.z", 12), sizeof z);
    memcpy(t, get("bce.t", 12), sizeof t);
    fedc_tensor tt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, t);
    l.kind = FEDC_LOSS_BINARY_CROSSENTROPY;
    ASSERT_OK(fedc_loss_eval(ctx, &l, &zt, &tt, &wt, &v, &gt));
    ASSERT_NEAR(v, get("bce.loss", 1)[0], 1e-6);
    ASSERT_FLOATS_NEAR(g, get("bce.dz", 12), 12, TOL);
}

TEST(gru_last) {
    check(ctx, "gru", fedc_layer_gru(4, false), FEDC_SHAPE(5, 3), 2,
          (const char *[]){"kernel", "recurrent", "bias", NULL},
          (const char *[]){"dkernel", "drecurrent", "dbias", NULL}, true);
}

TEST(categorical_from_probabilities_and_sequence_mse) {
    fedc_shape ps = FEDC_SHAPE(4, 3), ws = FEDC_SHAPE(4);
    float p[12], t[12], w[4], g[12];
    memcpy(p, get("cce.p", 12), sizeof p);
    memcpy(t, get("cce.t", 12), sizeof t);
    memcpy(w, get("sce.w", 4), sizeof w);
    fedc_tensor pt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, p);
    fedc_tensor tt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, t);
    fedc_tensor wt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ws, w);
    fedc_tensor gt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ps, g);
    fedc_loss l = {FEDC_LOSS_CATEGORICAL_CROSSENTROPY, false};
    double v;
    ASSERT_OK(fedc_loss_eval(ctx, &l, &pt, &tt, &wt, &v, &gt));
    ASSERT_NEAR(v, get("cce.loss", 1)[0], 1e-6);
    ASSERT_FLOATS_NEAR(g, get("cce.dp", 12), 12, TOL);
    fedc_shape zs = FEDC_SHAPE(2, 3, 2), w2s = FEDC_SHAPE(2);
    float z[12], w2[2] = {0.5f, 2.0f};
    memcpy(z, get("mse.z", 12), sizeof z);
    memcpy(t, get("mse.t", 12), sizeof t);
    fedc_tensor zt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &zs, z);
    fedc_tensor t3 = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &zs, t);
    fedc_tensor g3 = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &zs, g);
    fedc_tensor w2t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &w2s, w2);
    l.kind = FEDC_LOSS_MEAN_SQUARED_ERROR;
    ASSERT_OK(fedc_loss_eval(ctx, &l, &zt, &t3, &w2t, &v, &g3));
    ASSERT_NEAR(v, get("mse.loss", 1)[0], 1e-6);
    ASSERT_FLOATS_NEAR(g, get("mse.dz", 12), 12, TOL);
}
