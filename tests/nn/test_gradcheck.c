/* test_gradcheck.c — every layer's backward (input and parameter gradients, with each
 * activation) and every loss's gradient against central finite differences.
 *
 * Tolerances allow for float32 forwards; the objectives are summed in double.
 */
#include "nn/gradcheck.h"

#define ATOL 1e-3
#define RTOL 5e-3

TEST(dense_each_activation) {
    for (int a = 0; a < FEDC_ACTIVATION_COUNT; a++)
        gc_check_layer(ctx, fedc_layer_dense(5, (fedc_activation)a), FEDC_SHAPE(7), 3, true, ATOL,
                       RTOL);
}

TEST(dense_no_bias_rank3) {
    fedc_layer_spec s = fedc_layer_dense(4, FEDC_ACTIVATION_TANH);
    s.use_bias = false;
    gc_check_layer(ctx, s, FEDC_SHAPE(3, 6), 2, true, ATOL, RTOL);
}

TEST(conv2d_valid_and_same) {
    gc_check_layer(ctx,
                   fedc_layer_conv2d(3, 3, 3, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_LINEAR),
                   FEDC_SHAPE(5, 6, 2), 2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_conv2d(4, 3, 2, 2, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_TANH),
                   FEDC_SHAPE(5, 5, 3), 2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_conv2d(2, 5, 5, 2, 2, FEDC_PADDING_SAME, FEDC_ACTIVATION_GELU),
                   FEDC_SHAPE(7, 6, 1), 1, true, ATOL, RTOL);
}

TEST(conv2d_relu_softmax_sigmoid) {
    gc_check_layer(ctx, fedc_layer_conv2d(3, 2, 2, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_RELU),
                   FEDC_SHAPE(4, 4, 2), 2, true, ATOL, RTOL);
    gc_check_layer(ctx,
                   fedc_layer_conv2d(3, 2, 2, 1, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_SOFTMAX),
                   FEDC_SHAPE(3, 4, 2), 2, true, ATOL, RTOL);
    gc_check_layer(ctx,
                   fedc_layer_conv2d(3, 2, 2, 1, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_SIGMOID),
                   FEDC_SHAPE(3, 4, 2), 2, true, ATOL, RTOL);
}

TEST(pooling) {
    gc_check_layer(ctx, fedc_layer_maxpool2d(2, 2, 0, 0, FEDC_PADDING_VALID), FEDC_SHAPE(4, 6, 3),
                   2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_maxpool2d(3, 3, 2, 2, FEDC_PADDING_SAME), FEDC_SHAPE(5, 5, 2), 2,
                   true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_avgpool2d(2, 2, 0, 0, FEDC_PADDING_VALID), FEDC_SHAPE(4, 6, 3),
                   2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_avgpool2d(3, 2, 2, 1, FEDC_PADDING_SAME), FEDC_SHAPE(5, 5, 2), 2,
                   true, ATOL, RTOL);
}

TEST(shape_layers) {
    gc_check_layer(ctx, fedc_layer_flatten(), FEDC_SHAPE(2, 3, 2), 2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_reshape(FEDC_SHAPE(3, -1)), FEDC_SHAPE(2, 3, 2), 2, true, ATOL,
                   RTOL);
}

TEST(dropout_training_and_inference) {
    gc_check_layer(ctx, fedc_layer_dropout(0.4), FEDC_SHAPE(10), 3, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_dropout(0.4), FEDC_SHAPE(10), 3, false, ATOL, RTOL);
}

TEST(activation_layers) {
    for (int a = 0; a < FEDC_ACTIVATION_COUNT; a++)
        gc_check_layer(ctx, fedc_layer_activation((fedc_activation)a), FEDC_SHAPE(2, 5), 3, true,
                       ATOL, RTOL);
}

static fedc_tensor filled(fedc_ctx *ctx, fedc_shape shape, float lo, float hi, uint64_t key) {
    fedc_tensor t;
    ASSERT_OK(fedc_tensor_alloc(ctx, &t, FEDC_DTYPE_FLOAT32, &shape));
    gc_fill(t.data, fedc_tensor_numel(&t), lo, hi, key);
    return t;
}

TEST(losses) {
    fedc_tensor logits = filled(ctx, FEDC_SHAPE(4, 5), -2.0f, 2.0f, 10);
    fedc_tensor probs = filled(ctx, FEDC_SHAPE(4, 5), 0.05f, 0.9f, 11);
    fedc_tensor dist = filled(ctx, FEDC_SHAPE(4, 5), 0.0f, 1.0f, 12);
    fedc_tensor weights = filled(ctx, FEDC_SHAPE(4), 0.2f, 2.0f, 13);
    fedc_tensor labels;
    fedc_shape ls = FEDC_SHAPE(4);
    ASSERT_OK(fedc_tensor_alloc(ctx, &labels, FEDC_DTYPE_INT32, &ls));
    int32_t *lab = labels.data;
    lab[0] = 0, lab[1] = 4, lab[2] = 2, lab[3] = 2;
    for (int w = 0; w < 2; w++) {
        const fedc_tensor *sw = w ? &weights : NULL;
        for (int fl = 0; fl < 2; fl++) {
            fedc_tensor *p = fl ? &logits : &probs;
            fedc_loss l = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, fl != 0};
            gc_check_loss(ctx, &l, p, &labels, sw, 1e-3, 1e-2);
            l.kind = FEDC_LOSS_CATEGORICAL_CROSSENTROPY;
            gc_check_loss(ctx, &l, p, &dist, sw, 1e-3, 1e-2);
            l.kind = FEDC_LOSS_BINARY_CROSSENTROPY;
            gc_check_loss(ctx, &l, p, &dist, sw, 1e-3, 1e-2);
        }
        fedc_loss mse = {FEDC_LOSS_MEAN_SQUARED_ERROR, false};
        /* sequences: [2, 2, 5] with labels [2, 2] */
        fedc_shape s3 = FEDC_SHAPE(2, 2, 5), s2 = FEDC_SHAPE(2, 2), s1 = FEDC_SHAPE(2);
        fedc_tensor seq = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s3, logits.data);
        fedc_tensor slab = fedc_tensor_view(FEDC_DTYPE_INT32, &s2, labels.data);
        fedc_tensor sw2 = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s1, weights.data);
        fedc_loss sce = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true};
        gc_check_loss(ctx, &sce, &seq, &slab, w ? &sw2 : NULL, 1e-3, 1e-2);
        gc_check_loss(ctx, &mse, &logits, &dist, sw, 1e-3, 1e-2);
    }
    fedc_tensor_free(&logits);
    fedc_tensor_free(&probs);
    fedc_tensor_free(&dist);
    fedc_tensor_free(&weights);
    fedc_tensor_free(&labels);
}

TEST(embedding) {
    gc_check_layer_ids(ctx, fedc_layer_embedding(5, 3), FEDC_SHAPE(4), 3, 5, ATOL, RTOL);
}

TEST(lstm_sequences_and_last) {
    gc_check_layer(ctx, fedc_layer_lstm(3, true), FEDC_SHAPE(4, 2), 2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_lstm(4, false), FEDC_SHAPE(5, 3), 2, true, ATOL, RTOL);
    fedc_layer_spec s = fedc_layer_lstm(2, true);
    s.use_bias = false;
    gc_check_layer(ctx, s, FEDC_SHAPE(3, 2), 1, true, ATOL, RTOL);
}

TEST(normalization) {
    gc_check_layer(ctx, fedc_layer_layer_norm(), FEDC_SHAPE(3, 5), 2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_batch_norm(), FEDC_SHAPE(2, 2, 3), 3, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_batch_norm(), FEDC_SHAPE(4), 5, false, ATOL, RTOL);
}

TEST(gru_sequences_and_last) {
    gc_check_layer(ctx, fedc_layer_gru(3, true), FEDC_SHAPE(4, 2), 2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_gru(4, false), FEDC_SHAPE(5, 3), 2, true, ATOL, RTOL);
    fedc_layer_spec s = fedc_layer_gru(2, true);
    s.use_bias = false;
    gc_check_layer(ctx, s, FEDC_SHAPE(3, 2), 1, true, ATOL, RTOL);
}

TEST(group_norm) {
    gc_check_layer(ctx, fedc_layer_group_norm(2), FEDC_SHAPE(3, 2, 4), 2, true, ATOL, RTOL);
    gc_check_layer(ctx, fedc_layer_group_norm(1), FEDC_SHAPE(5), 3, true, ATOL, RTOL);
}
