/* test_zoo.c — the model zoo: parameter counts against Keras's model.count_params() for the
 * same architectures, output shapes, the seed model's zero init, and a forward pass of each.
 */
#include <math.h>

#include "fedc/nn.h"
#include "harness/harness.h"

static void check_forward(fedc_ctx *ctx, fedc_model *m, int64_t classes) {
    fedc_shape in = fedc_model_input_shape(m), xs = in;
    xs.rank = in.rank + 1;
    xs.dims[0] = 2;
    for (int i = 0; i < in.rank; i++)
        xs.dims[i + 1] = in.dims[i];
    fedc_tensor x, y;
    ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &xs));
    float *xd = x.data;
    for (int64_t i = 0; i < fedc_tensor_numel(&x); i++)
        xd[i] = (float)((i * 37) % 255) / 255.0f;
    ASSERT_OK(fedc_model_forward(ctx, m, &x, true, &y));
    ASSERT_EQ(y.shape.rank, 2);
    ASSERT_EQ(y.shape.dims[0], 2);
    ASSERT_EQ(y.shape.dims[1], classes);
    for (int b = 0; b < 2; b++) {
        double s = 0;
        for (int64_t j = 0; j < classes; j++)
            s += ((float *)y.data)[b * classes + j];
        ASSERT_NEAR(s, 1.0, 1e-5);
    }
    ASSERT_OK(fedc_model_backward(ctx, m, &y));
    fedc_tensor_free(&x);
}

TEST(seed_model) {
    fedc_model *m;
    ASSERT_OK(fedc_zoo_seed_model(ctx, 1, &m));
    ASSERT_EQ(fedc_model_num_params(m), 7850);
    for (int64_t i = 0; i < 7850; i++)
        ASSERT_EQ(fedc_model_params(m)[i], 0.0f);
    check_forward(ctx, m, 10);
    fedc_model_destroy(m);
}

TEST(mnist_2nn) {
    fedc_model *m;
    ASSERT_OK(fedc_zoo_mnist_2nn(ctx, 1, &m));
    ASSERT_EQ(fedc_model_num_params(m), 199210);
    check_forward(ctx, m, 10);
    fedc_model_destroy(m);
}

TEST(mnist_cnn) {
    fedc_model *m;
    ASSERT_OK(fedc_zoo_mnist_cnn(ctx, 1, &m));
    ASSERT_EQ(fedc_model_num_params(m), 1663370);
    ASSERT_EQ(fedc_model_layer(m, 4)->out_shape.dims[0], 7 * 7 * 64);
    check_forward(ctx, m, 10);
    fedc_model_destroy(m);
}

TEST(emnist_cnn) {
    fedc_model *m;
    ASSERT_OK(fedc_zoo_emnist_cnn(ctx, 10, 1, &m));
    ASSERT_EQ(fedc_model_num_params(m), 1199882);
    ASSERT_EQ(fedc_model_num_layers(m), 8);
    ASSERT_EQ(fedc_model_layer(m, 4)->out_shape.dims[0], 12 * 12 * 64);
    check_forward(ctx, m, 10);
    fedc_model_destroy(m);
    ASSERT_OK(fedc_zoo_emnist_cnn(ctx, 62, 1, &m));
    ASSERT_EQ(fedc_model_num_params(m), 1206590);
    check_forward(ctx, m, 62);
    fedc_model_destroy(m);
    ASSERT_STATUS(fedc_zoo_emnist_cnn(ctx, 1, 1, &m), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "num_classes must be >= 2 (10 or 62), got 1");
}

static fedc_status sweep_seed(fedc_ctx *ctx, void *arg) {
    return fedc_zoo_emnist_cnn(ctx, 10, 3, (fedc_model **)arg);
}

static void sweep_cleanup(void *arg) { fedc_model_destroy(*(fedc_model **)arg); }

TEST(allocation_failures) {
    fedc_model *m = NULL;
    fedc_test_alloc_sweep(ctx, sweep_seed, sweep_cleanup, &m);
}

TEST(shakespeare_lstm) {
    fedc_model *m;
    ASSERT_OK(fedc_zoo_shakespeare_lstm(ctx, 90, 80, 1, &m));
    ASSERT_EQ(fedc_model_num_params(m), 820522);
    fedc_shape out = fedc_model_output_shape(m);
    ASSERT_EQ(out.rank, 2);
    ASSERT_EQ(out.dims[0], 80);
    ASSERT_EQ(out.dims[1], 90);
    /* The forget-gate bias of each LSTM starts at 1, the rest at 0. */
    const fedc_layer *l1 = fedc_model_layer(m, 1);
    const float *b = l1->params + 8 * 1024 + 256 * 1024;
    ASSERT_EQ(b[0], 0.0f);
    ASSERT_EQ(b[256], 1.0f);
    ASSERT_EQ(b[511], 1.0f);
    ASSERT_EQ(b[512], 0.0f);
    fedc_shape xs = FEDC_SHAPE(2, 80);
    fedc_tensor x, y;
    ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &xs));
    for (int i = 0; i < 160; i++)
        ((float *)x.data)[i] = (float)(i % 90);
    ASSERT_OK(fedc_model_forward(ctx, m, &x, true, &y));
    ASSERT_EQ(y.shape.dims[2], 90);
    ASSERT_OK(fedc_model_backward(ctx, m, &y));
    ((float *)x.data)[77] = 90.0f;
    ASSERT_STATUS(fedc_model_forward(ctx, m, &x, true, &y), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "layer 0 (embedding, Embedding): input element 77 is 90, expected a token id "
                    "in [0, 90)");
    ASSERT_STATUS(fedc_model_backward(ctx, m, &y), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_tensor_free(&x);
    fedc_model_destroy(m);
}
