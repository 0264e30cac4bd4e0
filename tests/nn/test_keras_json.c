/* test_keras_json.c — architectures as Keras JSON: configs as Keras 2's model.to_json() writes
 * them (TFF's EMNIST CNN and seed model), write-then-read round trips of every zoo model, and
 * errors for unsupported classes and settings and malformed text (layer and byte offset named).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedc/nn.h"
#include "harness/harness.h"

/* TFF's create_conv_dropout_model(only_digits=True), as tf.keras 2.11 writes it. */
static const char emnist_json[] =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 28, 28, 1], "
    "\"dtype\": \"float32\", \"sparse\": false, \"ragged\": false, \"name\": \"conv2d_input\"}}, "
    "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d\", \"trainable\": true, "
    "\"dtype\": \"float32\", \"batch_input_shape\": [null, 28, 28, 1], \"filters\": 32, "
    "\"kernel_size\": [3, 3], \"strides\": [1, 1], \"padding\": \"valid\", \"data_format\": "
    "\"channels_last\", \"dilation_rate\": [1, 1], \"groups\": 1, \"activation\": \"relu\", "
    "\"use_bias\": true, \"kernel_initializer\": {\"class_name\": \"GlorotUniform\", \"config\": "
    "{\"seed\": null}}, \"bias_initializer\": {\"class_name\": \"Zeros\", \"config\": {}}, "
    "\"kernel_regularizer\": null, \"bias_regularizer\": null, \"activity_regularizer\": null, "
    "\"kernel_constraint\": null, \"bias_constraint\": null}}, "
    "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d_1\", \"filters\": 64, "
    "\"kernel_size\": [3, 3], \"strides\": [1, 1], \"padding\": \"valid\", \"activation\": "
    "\"relu\", \"use_bias\": true}}, "
    "{\"class_name\": \"MaxPooling2D\", \"config\": {\"name\": \"max_pooling2d\", \"trainable\": "
    "true, \"dtype\": \"float32\", \"pool_size\": [2, 2], \"padding\": \"valid\", \"strides\": "
    "[2, 2], \"data_format\": \"channels_last\"}}, "
    "{\"class_name\": \"Dropout\", \"config\": {\"name\": \"dropout\", \"rate\": 0.25, "
    "\"noise_shape\": null, \"seed\": null}}, "
    "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\", \"data_format\": "
    "\"channels_last\"}}, "
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 128, "
    "\"activation\": \"relu\", \"use_bias\": true, \"kernel_initializer\": \"glorot_uniform\"}}, "
    "{\"class_name\": \"Dropout\", \"config\": {\"name\": \"dropout_1\", \"rate\": 0.5}}, "
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense_1\", \"units\": 10, "
    "\"activation\": \"softmax\"}}]}, \"keras_version\": \"2.11.0\", \"backend\": "
    "\"tensorflow\"}";

static fedc_status from(fedc_ctx *ctx, const char *json, fedc_model **m) {
    return fedc_model_from_keras_json(ctx, json, strlen(json), "model.json", NULL, m);
}

TEST(tff_emnist_cnn_config) {
    fedc_model *m;
    ASSERT_OK(from(ctx, emnist_json, &m));
    ASSERT_EQ(fedc_model_num_params(m), 1199882);
    ASSERT_EQ(fedc_model_num_layers(m), 8);
    ASSERT_STREQ(fedc_model_layer(m, 1)->name, "conv2d_1");
    ASSERT_EQ(fedc_model_layer(m, 3)->spec.rate, 0.25);
    ASSERT_EQ(fedc_model_layer(m, 7)->spec.activation, FEDC_ACTIVATION_SOFTMAX);
    fedc_shape in = fedc_model_input_shape(m);
    ASSERT_EQ(in.rank, 3);
    ASSERT_EQ(in.dims[0], 28);
    fedc_model_destroy(m);
}

TEST(tff_seed_model_config) {
    const char *json =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 784], \"name\": "
        "\"input\"}}, {\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": "
        "10, \"kernel_initializer\": {\"class_name\": \"Zeros\", \"config\": {}}}}, "
        "{\"class_name\": \"Softmax\", \"config\": {\"name\": \"softmax\", \"axis\": -1}}]}}";
    fedc_model *m;
    ASSERT_OK(from(ctx, json, &m));
    ASSERT_EQ(fedc_model_num_params(m), 7850);
    for (int i = 0; i < 7850; i++)
        ASSERT_EQ(fedc_model_params(m)[i], 0.0f);
    ASSERT_EQ(fedc_model_layer(m, 1)->spec.kind, FEDC_LAYER_ACTIVATION);
    fedc_model_destroy(m);
}

static void round_trip(fedc_ctx *ctx, fedc_model *a) {
    char *json, *again;
    ASSERT_OK(fedc_model_to_keras_json(ctx, a, &json));
    fedc_model *b;
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = 11;
    ASSERT_OK(fedc_model_from_keras_json(ctx, json, strlen(json), "rt", &o, &b));
    ASSERT_EQ(fedc_model_num_params(a), fedc_model_num_params(b));
    ASSERT_EQ(fedc_model_num_layers(a), fedc_model_num_layers(b));
    ASSERT_OK(fedc_model_to_keras_json(ctx, b, &again));
    ASSERT_STREQ(json, again);
    /* Same specs, same seed: the same initial weights. */
    ASSERT_OK(fedc_model_init(ctx, a, 11));
    ASSERT_TRUE(memcmp(fedc_model_params(a), fedc_model_params(b),
                       (size_t)fedc_model_num_params(a) * sizeof(float)) == 0);
    fedc_free(json);
    fedc_free(again);
    fedc_model_destroy(b);
    fedc_model_destroy(a);
}

TEST(round_trips) {
    fedc_model *m;
    ASSERT_OK(fedc_zoo_seed_model(ctx, 1, &m));
    round_trip(ctx, m);
    ASSERT_OK(fedc_zoo_mnist_cnn(ctx, 1, &m));
    round_trip(ctx, m);
    ASSERT_OK(fedc_zoo_emnist_cnn(ctx, 62, 1, &m));
    round_trip(ctx, m);
    ASSERT_OK(fedc_zoo_shakespeare_lstm(ctx, 20, 6, 1, &m));
    round_trip(ctx, m);
    fedc_layer_spec l[] = {
        fedc_layer_conv2d(2, 3, 3, 2, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_GELU),
        fedc_layer_avgpool2d(2, 2, 1, 1, FEDC_PADDING_SAME),
        fedc_layer_batch_norm(),
        fedc_layer_group_norm(2),
        fedc_layer_reshape(FEDC_SHAPE(-1, 4)),
        fedc_layer_layer_norm(),
        fedc_layer_activation(FEDC_ACTIVATION_SIGMOID),
        fedc_layer_flatten(),
        fedc_layer_dense(3, FEDC_ACTIVATION_LINEAR),
    };
    fedc_layer_spec rnn[] = {fedc_layer_embedding(9, 4), fedc_layer_gru(5, true),
                             fedc_layer_lstm(3, false)};
    fedc_shape seq = FEDC_SHAPE(7);
    ASSERT_OK(fedc_model_create(ctx, &seq, rnn, 3, NULL, &m));
    ASSERT_EQ(fedc_model_num_params(m), 36 + (4 * 15 + 5 * 15 + 30) + 4 * (3 * (5 + 3) + 3));
    round_trip(ctx, m);
    l[8].kernel_init = fedc_initializer_make(FEDC_INIT_RANDOM_NORMAL);
    l[8].kernel_init.stddev = 0.25;
    l[8].bias_init = fedc_initializer_make(FEDC_INIT_CONSTANT);
    l[8].bias_init.value = 0.125;
    l[0].kernel_init = fedc_initializer_make(FEDC_INIT_ORTHOGONAL);
    l[0].kernel_init.gain = 2.0;
    fedc_shape in = FEDC_SHAPE(8, 6, 2);
    ASSERT_OK(fedc_model_create(ctx, &in, l, sizeof l / sizeof l[0], NULL, &m));
    round_trip(ctx, m);
}

typedef struct bad {
    const char *json;
    fedc_status want;
    const char *message;
} bad;

TEST(errors_name_layer_and_offset) {
#define HEAD                                                                                       \
    "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "                 \
    "\"InputLayer\", \"config\": {\"batch_input_shape\": [null, 4]}}, "
    const bad cases[] = {
        {HEAD "{\"class_name\": \"SimpleRNN\", \"config\": {\"name\": \"rnn\", \"units\": 3}}]}}",
         FEDC_STATUS_UNSUPPORTED,
         "model.json: byte 163: layer 1 (rnn): class 'SimpleRNN' is not supported"},
        {HEAD "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 3, "
              "\"activation\": \"swish\"}}]}}",
         FEDC_STATUS_UNSUPPORTED, "layer 1 (d): activation 'swish' is not supported"},
        {HEAD "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 3, "
              "\"kernel_regularizer\": {\"class_name\": \"L2\"}}}]}}",
         FEDC_STATUS_UNSUPPORTED,
         "layer 1 (d): 'kernel_regularizer' is not supported (must be null)"},
        {HEAD "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\"}}]}}",
         FEDC_STATUS_INVALID_ARGUMENT, "layer 1 (d): missing 'units'"},
        {HEAD "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 2.5}}]}}",
         FEDC_STATUS_INVALID_ARGUMENT, "layer 1 (d): 'units' must be an integer"},
        {HEAD "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 3,}}]}}",
         FEDC_STATUS_PARSE,
         "model.json: byte offset 184 (line 1, column 185): expected a string key, found '}'"},
        {HEAD "{\"class_name\": \"LSTM\", \"config\": {\"name\": \"l\", \"units\": 3, "
              "\"stateful\": true}}]}}",
         FEDC_STATUS_UNSUPPORTED, "layer 1 (l): 'stateful': true is not supported"},
        {HEAD "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\", \"filters\": 3, "
              "\"kernel_size\": 3}}]}}",
         FEDC_STATUS_SHAPE, "model.json: layer 0 (c, Conv2D): expects inputs [height, width"},
        {"{\"class_name\": \"Functional\", \"config\": {}}", FEDC_STATUS_UNSUPPORTED,
         "model class 'Functional' is not supported (only Sequential)"},
        {"{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"Dense\", "
         "\"config\": {\"units\": 3}}]}}",
         FEDC_STATUS_INVALID_ARGUMENT, "model.json: no input shape"},
        {HEAD "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\", \"filters\": 3, "
              "\"kernel_size\": 3, \"data_format\": \"channels_first\"}}]}}",
         FEDC_STATUS_UNSUPPORTED, "layer 1 (c): data_format 'channels_first' is not supported"},
        {HEAD "{\"class_name\": \"BatchNormalization\", \"config\": {\"name\": \"bn\", "
              "\"axis\": [1]}}, {\"class_name\": \"Reshape\", \"config\": {\"target_shape\": "
              "[2, 2]}}, {\"class_name\": \"LayerNormalization\", \"config\": {\"name\": "
              "\"ln\", \"axis\": 1}}]}}",
         FEDC_STATUS_UNSUPPORTED,
         "layer ln: axis 1 is not supported (only the last axis, 2 or -1)"},
    };
#undef HEAD
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fedc_model *m = (fedc_model *)&m;
        fedc_status st = from(ctx, cases[c].json, &m);
        ASSERT_NULL(m);
        ASSERT_STREQ(fedc_status_name(st), fedc_status_name(cases[c].want));
        ASSERT_CONTAINS(fedc_ctx_message(ctx), cases[c].message);
    }
}

static fedc_status sweep_read(fedc_ctx *ctx, void *arg) { return from(ctx, emnist_json, arg); }

static void sweep_cleanup(void *arg) { fedc_model_destroy(*(fedc_model **)arg); }

typedef struct wr {
    fedc_model *m;
    char *json;
} wr;

static fedc_status sweep_write(fedc_ctx *ctx, void *arg) {
    wr *w = arg;
    return fedc_model_to_keras_json(ctx, w->m, &w->json);
}

static void sweep_write_cleanup(void *arg) {
    wr *w = arg;
    fedc_free(w->json);
    w->json = NULL;
}

TEST(allocation_failures) {
    fedc_model *m = NULL;
    fedc_test_alloc_sweep(ctx, sweep_read, sweep_cleanup, &m);
    wr w = {0};
    ASSERT_OK(fedc_zoo_mnist_cnn(ctx, 1, &w.m));
    fedc_test_alloc_sweep(ctx, sweep_write, sweep_write_cleanup, &w);
    fedc_model_destroy(w.m);
}

TEST(files) {
    char path[] = "/tmp/fedc_nn_json_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    fedc_model *a, *b;
    ASSERT_OK(fedc_zoo_emnist_cnn(ctx, 10, 1, &a));
    ASSERT_OK(fedc_model_save_keras_json(ctx, a, path));
    ASSERT_OK(fedc_model_load_keras_json(ctx, path, NULL, &b));
    ASSERT_EQ(fedc_model_num_params(b), 1199882);
    fedc_model_destroy(b);
    FILE *f = fopen(path, "w");
    fputs("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [}}", f);
    fclose(f);
    ASSERT_STATUS(fedc_model_load_keras_json(ctx, path, NULL, &b), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), path);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    ": byte offset 51 (line 1, column 52): expected a value, found '}'");
    unlink(path);
    ASSERT_STATUS(fedc_model_load_keras_json(ctx, path, NULL, &b), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "No such file");
    fedc_model_destroy(a);
}
