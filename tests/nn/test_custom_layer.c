/* test_custom_layer.c — a layer written outside the library through the public vtable
 * (fedc_layer_ops): y = a * x with one trainable scalar a, initialized from its custom_arg;
 * it trains inside a model, saves as "<name>/weights", and has no Keras config.
 */
#include <stdlib.h>
#include <string.h>

#include "fedc/nn.h"
#include "harness/harness.h"

static fedc_status scale_build(fedc_ctx *ctx, fedc_layer *l) {
    (void)ctx;
    l->out_shape = l->in_shape;
    l->param_count = 1;
    return FEDC_STATUS_OK;
}

static fedc_status scale_init(fedc_ctx *ctx, fedc_layer *l, uint64_t seed) {
    (void)ctx;
    (void)seed;
    l->params[0] = *(const float *)l->spec.custom_arg;
    return FEDC_STATUS_OK;
}

static void scale_forward(const fedc_layer *l, fedc_layer_io *io, const float *x, float *y) {
    int64_t n = io->batch * fedc_shape_numel(&l->in_shape);
    for (int64_t i = 0; i < n; i++)
        y[i] = l->params[0] * x[i];
}

static void scale_backward(const fedc_layer *l, fedc_layer_io *io, const float *x, const float *y,
                           const float *dy, float *dx) {
    (void)y;
    int64_t n = io->batch * fedc_shape_numel(&l->in_shape);
    double g = 0.0;
    for (int64_t i = 0; i < n; i++) {
        g += (double)dy[i] * x[i];
        if (dx) dx[i] = l->params[0] * dy[i];
    }
    l->grads[0] = (float)g;
}

static const fedc_layer_ops scale_ops = {
    .class_name = "Scale",
    .build = scale_build,
    .init = scale_init,
    .forward = scale_forward,
    .backward = scale_backward,
};

TEST(custom_layer_in_a_model) {
    static const float start = 3.0f;
    fedc_layer_spec l[2] = {fedc_layer_dense(2, FEDC_ACTIVATION_LINEAR), {0}};
    l[1].kind = FEDC_LAYER_CUSTOM;
    l[1].custom_ops = &scale_ops;
    l[1].custom_arg = (void *)&start;
    fedc_model *m;
    fedc_shape in = FEDC_SHAPE(2);
    ASSERT_OK(fedc_model_create(ctx, &in, l, 2, NULL, &m));
    ASSERT_EQ(fedc_model_num_params(m), 6 + 1);
    ASSERT_STREQ(fedc_model_layer(m, 1)->name, "custom");
    float *p = fedc_model_params(m);
    ASSERT_EQ(p[6], 3.0f);
    const float w[] = {1, 0, 0, 1, 0, 0}; /* identity dense */
    memcpy(p, w, sizeof w);
    float x[] = {1, 2};
    fedc_shape xs = FEDC_SHAPE(1, 2);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x), y;
    ASSERT_OK(fedc_model_forward(ctx, m, &xt, true, &y));
    ASSERT_EQ(((float *)y.data)[1], 6.0f);
    float dy[] = {1, 1};
    fedc_tensor dt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, dy);
    ASSERT_OK(fedc_model_backward(ctx, m, &dt));
    const float g[] = {3, 3, 6, 6, 3, 3, 3}; /* dW = x^T (a dy), db = a dy, da = <dy, x> */
    ASSERT_FLOATS_NEAR(fedc_model_grads(m), g, 7, 0);
    char *json;
    ASSERT_STATUS(fedc_model_to_keras_json(ctx, m, &json), FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "layer 1 (custom, Scale): custom layers have no Keras");
    void *img;
    size_t len;
    ASSERT_OK(fedc_model_weights_to_safetensors(ctx, m, &img, &len));
    char *text = strndup((const char *)img + 8, len - 8 - 7 * sizeof(float));
    ASSERT_CONTAINS(text, "\"custom/weights\":{\"dtype\":\"F32\",\"shape\":[1]");
    free(text);
    fedc_free(img);
    fedc_model_destroy(m);
}
