/* zoo.c — the models federated-learning papers use, built from layer specs exactly as TFF's
 * Keras code builds them (same layers, same order, so the same parameter layout).
 *
 * Must not add behaviour of its own: each function is a spec list and fedc_model_create.
 */
#include "nn/nn_int.h"

static fedc_status make(fedc_ctx *ctx, fedc_shape in, const fedc_layer_spec *l, size_t n,
                        uint64_t seed, fedc_model **out) {
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = seed;
    return fedc_model_create(ctx, &in, l, n, &o, out);
}

fedc_status fedc_zoo_seed_model(fedc_ctx *ctx, uint64_t seed, fedc_model **out) {
    fedc_layer_spec l[1] = {fedc_layer_dense(10, FEDC_ACTIVATION_SOFTMAX)};
    l[0].kernel_init = fedc_initializer_make(FEDC_INIT_ZEROS);
    return make(ctx, FEDC_SHAPE(784), l, 1, seed, out);
}

fedc_status fedc_zoo_mnist_2nn(fedc_ctx *ctx, uint64_t seed, fedc_model **out) {
    fedc_layer_spec l[] = {
        fedc_layer_dense(200, FEDC_ACTIVATION_RELU),
        fedc_layer_dense(200, FEDC_ACTIVATION_RELU),
        fedc_layer_dense(10, FEDC_ACTIVATION_SOFTMAX),
    };
    return make(ctx, FEDC_SHAPE(784), l, sizeof l / sizeof l[0], seed, out);
}

fedc_status fedc_zoo_mnist_cnn(fedc_ctx *ctx, uint64_t seed, fedc_model **out) {
    fedc_layer_spec l[] = {
        fedc_layer_conv2d(32, 5, 5, 1, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_RELU),
        fedc_layer_maxpool2d(2, 2, 2, 2, FEDC_PADDING_SAME),
        fedc_layer_conv2d(64, 5, 5, 1, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_RELU),
        fedc_layer_maxpool2d(2, 2, 2, 2, FEDC_PADDING_SAME),
        fedc_layer_flatten(),
        fedc_layer_dense(512, FEDC_ACTIVATION_RELU),
        fedc_layer_dense(10, FEDC_ACTIVATION_SOFTMAX),
    };
    return make(ctx, FEDC_SHAPE(28, 28, 1), l, sizeof l / sizeof l[0], seed, out);
}

fedc_status fedc_zoo_emnist_cnn(fedc_ctx *ctx, int64_t num_classes, uint64_t seed,
                                fedc_model **out) {
    *out = NULL;
    if (num_classes < 2)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "emnist cnn: num_classes must be >= 2 (10 or 62), got %lld",
                               (long long)num_classes);
    fedc_layer_spec l[] = {
        fedc_layer_conv2d(32, 3, 3, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU),
        fedc_layer_conv2d(64, 3, 3, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU),
        fedc_layer_maxpool2d(2, 2, 0, 0, FEDC_PADDING_VALID),
        fedc_layer_dropout(0.25),
        fedc_layer_flatten(),
        fedc_layer_dense(128, FEDC_ACTIVATION_RELU),
        fedc_layer_dropout(0.5),
        fedc_layer_dense(num_classes, FEDC_ACTIVATION_SOFTMAX),
    };
    return make(ctx, FEDC_SHAPE(28, 28, 1), l, sizeof l / sizeof l[0], seed, out);
}

fedc_status fedc_zoo_shakespeare_lstm(fedc_ctx *ctx, int64_t vocab_size, int64_t sequence_length,
                                      uint64_t seed, fedc_model **out) {
    *out = NULL;
    if (vocab_size < 1 || sequence_length < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "shakespeare lstm: vocab_size and sequence_length must be >= 1, "
                               "got %lld and %lld",
                               (long long)vocab_size, (long long)sequence_length);
    fedc_layer_spec l[] = {
        fedc_layer_embedding(vocab_size, 8),
        fedc_layer_lstm(256, true),
        fedc_layer_lstm(256, true),
        fedc_layer_dense(vocab_size, FEDC_ACTIVATION_LINEAR),
    };
    return make(ctx, FEDC_SHAPE(sequence_length), l, sizeof l / sizeof l[0], seed, out);
}

fedc_status fedc_zoo_small_cnn(fedc_ctx *ctx, int64_t num_classes, uint64_t seed,
                               fedc_model **out) {
    *out = NULL;
    if (num_classes < 2)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "small cnn: num_classes must be >= 2, got %lld",
                               (long long)num_classes);
    fedc_layer_spec l[] = {
        fedc_layer_conv2d(16, 3, 3, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU),
        fedc_layer_maxpool2d(2, 2, 2, 2, FEDC_PADDING_VALID),
        fedc_layer_conv2d(32, 3, 3, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU),
        fedc_layer_maxpool2d(2, 2, 2, 2, FEDC_PADDING_VALID),
        fedc_layer_flatten(),
        fedc_layer_dense(64, FEDC_ACTIVATION_RELU),
        fedc_layer_dense(num_classes, FEDC_ACTIVATION_SOFTMAX),
    };
    return make(ctx, FEDC_SHAPE(28, 28, 1), l, sizeof l / sizeof l[0], seed, out);
}
