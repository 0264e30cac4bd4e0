/* layer_spec.c — layer spec constructors with Keras's defaults, kind names, and the error helper
 * that names a layer in messages.
 *
 * Plain data only: nothing here allocates or touches a model.
 */
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

static const char *const kind_names[FEDC_LAYER_KIND_COUNT] = {"Dense",
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

const char *fedc_layer_kind_name(fedc_layer_kind kind) {
    if ((int)kind < 0 || kind >= FEDC_LAYER_KIND_COUNT) return "invalid";
    return kind_names[kind];
}

static fedc_layer_spec spec_base(fedc_layer_kind kind) {
    fedc_layer_spec s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.use_bias = true;
    s.padding = FEDC_PADDING_VALID;
    s.activation = FEDC_ACTIVATION_LINEAR;
    s.kernel_init = fedc_initializer_make(FEDC_INIT_GLOROT_UNIFORM);
    s.bias_init = fedc_initializer_make(FEDC_INIT_ZEROS);
    s.recurrent_init = fedc_initializer_make(FEDC_INIT_ORTHOGONAL);
    s.recurrent_activation = FEDC_ACTIVATION_SIGMOID;
    s.unit_forget_bias = true;
    s.epsilon = 1e-3;
    s.momentum = 0.99;
    return s;
}

fedc_layer_spec fedc_layer_dense(int64_t units, fedc_activation activation) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_DENSE);
    s.units = units;
    s.activation = activation;
    return s;
}

fedc_layer_spec fedc_layer_conv2d(int64_t filters, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                  fedc_padding padding, fedc_activation activation) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_CONV2D);
    s.units = filters;
    s.kernel_h = kh;
    s.kernel_w = kw;
    s.stride_h = sh;
    s.stride_w = sw;
    s.padding = padding;
    s.activation = activation;
    return s;
}

static fedc_layer_spec pool(fedc_layer_kind kind, int64_t ph, int64_t pw, int64_t sh, int64_t sw,
                            fedc_padding padding) {
    fedc_layer_spec s = spec_base(kind);
    s.use_bias = false;
    s.kernel_h = ph;
    s.kernel_w = pw;
    s.stride_h = sh == 0 ? ph : sh;
    s.stride_w = sw == 0 ? pw : sw;
    s.padding = padding;
    return s;
}

fedc_layer_spec fedc_layer_maxpool2d(int64_t ph, int64_t pw, int64_t sh, int64_t sw,
                                     fedc_padding padding) {
    return pool(FEDC_LAYER_MAXPOOL2D, ph, pw, sh, sw, padding);
}

fedc_layer_spec fedc_layer_avgpool2d(int64_t ph, int64_t pw, int64_t sh, int64_t sw,
                                     fedc_padding padding) {
    return pool(FEDC_LAYER_AVGPOOL2D, ph, pw, sh, sw, padding);
}

fedc_layer_spec fedc_layer_flatten(void) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_FLATTEN);
    s.use_bias = false;
    return s;
}

fedc_layer_spec fedc_layer_reshape(fedc_shape target_shape) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_RESHAPE);
    s.use_bias = false;
    s.target_shape = target_shape;
    return s;
}

fedc_layer_spec fedc_layer_dropout(double rate) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_DROPOUT);
    s.use_bias = false;
    s.rate = rate;
    return s;
}

fedc_layer_spec fedc_layer_activation(fedc_activation activation) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_ACTIVATION);
    s.use_bias = false;
    s.activation = activation;
    return s;
}

fedc_layer_spec fedc_layer_embedding(int64_t input_dim, int64_t output_dim) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_EMBEDDING);
    s.use_bias = false;
    s.input_dim = input_dim;
    s.units = output_dim;
    s.kernel_init = fedc_initializer_make(FEDC_INIT_RANDOM_UNIFORM);
    return s;
}

fedc_layer_spec fedc_layer_lstm(int64_t units, bool return_sequences) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_LSTM);
    s.units = units;
    s.activation = FEDC_ACTIVATION_TANH;
    s.return_sequences = return_sequences;
    return s;
}

fedc_layer_spec fedc_layer_gru(int64_t units, bool return_sequences) {
    fedc_layer_spec s = fedc_layer_lstm(units, return_sequences);
    s.kind = FEDC_LAYER_GRU;
    return s;
}

fedc_layer_spec fedc_layer_layer_norm(void) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_LAYER_NORM);
    s.kernel_init = fedc_initializer_make(FEDC_INIT_ONES);
    return s;
}

fedc_layer_spec fedc_layer_batch_norm(void) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_BATCH_NORM);
    s.kernel_init = fedc_initializer_make(FEDC_INIT_ONES);
    return s;
}

fedc_layer_spec fedc_layer_group_norm(int64_t groups) {
    fedc_layer_spec s = spec_base(FEDC_LAYER_GROUP_NORM);
    s.kernel_init = fedc_initializer_make(FEDC_INIT_ONES);
    s.groups = groups;
    return s;
}

fedc_status fedc__layer_errorf(fedc_ctx *ctx, const fedc_layer *layer, fedc_status status,
                               const char *fmt, ...) {
    char msg[FEDC_CTX_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *cls = layer->ops ? layer->ops->class_name : fedc_layer_kind_name(layer->spec.kind);
    return fedc_ctx_errorf(ctx, status, "layer %d (%s, %s): %s", layer->index, layer->name, cls,
                           msg);
}
