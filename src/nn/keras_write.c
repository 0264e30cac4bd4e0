/* keras_write.c — writes a model's architecture as Keras's Sequential JSON (the dialect of
 * Keras 2's model.to_json(): an InputLayer with batch_input_shape, then each layer's
 * class_name and config), so Keras's model_from_json and fedc_model_from_keras_json read it.
 *
 * Writes only what the specs hold; custom layers cannot be written (UNSUPPORTED).
 */
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

static const char *init_class(fedc_init_kind k) {
    static const char *const names[FEDC_INIT_COUNT] = {
        "Zeros",        "Ones",     "Constant",  "RandomNormal", "RandomUniform", "GlorotUniform",
        "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",  "Orthogonal"};
    return (int)k >= 0 && k < FEDC_INIT_COUNT ? names[k] : "Zeros";
}

static void put_init(fedc__buf *b, const char *key, const fedc_initializer *i) {
    fedc__nn_buf_printf(b, ", \"%s\": {\"class_name\": \"%s\", \"config\": {", key,
                        init_class(i->kind));
    switch (i->kind) {
    case FEDC_INIT_CONSTANT: fedc__nn_buf_printf(b, "\"value\": %.17g", i->value); break;
    case FEDC_INIT_RANDOM_NORMAL:
        fedc__nn_buf_printf(b, "\"mean\": %.17g, \"stddev\": %.17g, \"seed\": null", i->mean,
                            i->stddev);
        break;
    case FEDC_INIT_RANDOM_UNIFORM:
        fedc__nn_buf_printf(b, "\"minval\": %.17g, \"maxval\": %.17g, \"seed\": null", i->minval,
                            i->maxval);
        break;
    case FEDC_INIT_ORTHOGONAL:
        fedc__nn_buf_printf(b, "\"gain\": %.17g, \"seed\": null", i->gain);
        break;
    case FEDC_INIT_ZEROS:
    case FEDC_INIT_ONES: break;
    default: fedc__nn_buf_printf(b, "\"seed\": null"); break;
    }
    fedc__nn_buf_printf(b, "}}");
}

static void put_pair(fedc__buf *b, const char *key, int64_t a, int64_t c) {
    fedc__nn_buf_printf(b, ", \"%s\": [%lld, %lld]", key, (long long)a, (long long)c);
}

static fedc_status put_layer(fedc_ctx *ctx, fedc__buf *b, const fedc_layer *l) {
    const fedc_layer_spec *s = &l->spec;
    if (s->kind == FEDC_LAYER_CUSTOM)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_UNSUPPORTED,
                                  "custom layers have no Keras config");
    fedc__nn_buf_printf(b,
                        ", {\"class_name\": \"%s\", \"config\": {\"name\": ", l->ops->class_name);
    fedc__nn_buf_json_string(b, l->name);
    fedc__nn_buf_printf(b, ", \"trainable\": true, \"dtype\": \"float32\"");
    const char *pad = s->padding == FEDC_PADDING_SAME ? "same" : "valid";
    switch (s->kind) {
    case FEDC_LAYER_DENSE:
        fedc__nn_buf_printf(b, ", \"units\": %lld, \"activation\": \"%s\", \"use_bias\": %s",
                            (long long)s->units, fedc_activation_name(s->activation),
                            s->use_bias ? "true" : "false");
        put_init(b, "kernel_initializer", &s->kernel_init);
        put_init(b, "bias_initializer", &s->bias_init);
        fedc__nn_buf_printf(b, ", \"kernel_regularizer\": null, \"bias_regularizer\": null, "
                               "\"activity_regularizer\": null, \"kernel_constraint\": null, "
                               "\"bias_constraint\": null");
        break;
    case FEDC_LAYER_CONV2D:
        fedc__nn_buf_printf(b, ", \"filters\": %lld", (long long)s->units);
        put_pair(b, "kernel_size", s->kernel_h, s->kernel_w);
        put_pair(b, "strides", s->stride_h, s->stride_w);
        fedc__nn_buf_printf(b, ", \"padding\": \"%s\", \"data_format\": \"channels_last\"", pad);
        put_pair(b, "dilation_rate", 1, 1);
        fedc__nn_buf_printf(b, ", \"groups\": 1, \"activation\": \"%s\", \"use_bias\": %s",
                            fedc_activation_name(s->activation), s->use_bias ? "true" : "false");
        put_init(b, "kernel_initializer", &s->kernel_init);
        put_init(b, "bias_initializer", &s->bias_init);
        fedc__nn_buf_printf(b, ", \"kernel_regularizer\": null, \"bias_regularizer\": null, "
                               "\"activity_regularizer\": null, \"kernel_constraint\": null, "
                               "\"bias_constraint\": null");
        break;
    case FEDC_LAYER_MAXPOOL2D:
    case FEDC_LAYER_AVGPOOL2D:
        put_pair(b, "pool_size", s->kernel_h, s->kernel_w);
        fedc__nn_buf_printf(b, ", \"padding\": \"%s\"", pad);
        put_pair(b, "strides", s->stride_h, s->stride_w);
        fedc__nn_buf_printf(b, ", \"data_format\": \"channels_last\"");
        break;
    case FEDC_LAYER_FLATTEN: fedc__nn_buf_printf(b, ", \"data_format\": \"channels_last\""); break;
    case FEDC_LAYER_RESHAPE:
        fedc__nn_buf_printf(b, ", \"target_shape\": [");
        for (int i = 0; i < s->target_shape.rank; i++)
            fedc__nn_buf_printf(b, "%s%lld", i ? ", " : "", (long long)s->target_shape.dims[i]);
        fedc__nn_buf_printf(b, "]");
        break;
    case FEDC_LAYER_DROPOUT:
        fedc__nn_buf_printf(b, ", \"rate\": %.17g, \"noise_shape\": null, \"seed\": null", s->rate);
        break;
    case FEDC_LAYER_ACTIVATION:
        fedc__nn_buf_printf(b, ", \"activation\": \"%s\"", fedc_activation_name(s->activation));
        break;
    case FEDC_LAYER_EMBEDDING:
        fedc__nn_buf_printf(b, ", \"input_dim\": %lld, \"output_dim\": %lld",
                            (long long)s->input_dim, (long long)s->units);
        put_init(b, "embeddings_initializer", &s->kernel_init);
        fedc__nn_buf_printf(b,
                            ", \"embeddings_regularizer\": null, \"activity_regularizer\": null, "
                            "\"embeddings_constraint\": null, \"mask_zero\": false");
        if (l->in_shape.rank == 1)
            fedc__nn_buf_printf(b, ", \"input_length\": %lld", (long long)l->in_shape.dims[0]);
        break;
    case FEDC_LAYER_LSTM:
    case FEDC_LAYER_GRU:
        fedc__nn_buf_printf(
            b,
            ", \"return_sequences\": %s, \"return_state\": false, \"go_backwards\": "
            "false, \"stateful\": false, \"unroll\": false, \"time_major\": false, "
            "\"units\": %lld, \"activation\": \"%s\", \"recurrent_activation\": "
            "\"%s\", \"use_bias\": %s",
            s->return_sequences ? "true" : "false", (long long)s->units,
            fedc_activation_name(s->activation), fedc_activation_name(s->recurrent_activation),
            s->use_bias ? "true" : "false");
        put_init(b, "kernel_initializer", &s->kernel_init);
        put_init(b, "recurrent_initializer", &s->recurrent_init);
        put_init(b, "bias_initializer", &s->bias_init);
        if (s->kind == FEDC_LAYER_GRU)
            fedc__nn_buf_printf(b, ", \"reset_after\": true");
        else
            fedc__nn_buf_printf(b, ", \"unit_forget_bias\": %s",
                                s->unit_forget_bias ? "true" : "false");
        fedc__nn_buf_printf(b, ", \"kernel_regularizer\": null, "
                               "\"recurrent_regularizer\": null, \"bias_regularizer\": null, "
                               "\"activity_regularizer\": null, \"kernel_constraint\": null, "
                               "\"recurrent_constraint\": null, \"bias_constraint\": null, "
                               "\"dropout\": 0.0, \"recurrent_dropout\": 0.0, "
                               "\"implementation\": 2");
        break;
    case FEDC_LAYER_LAYER_NORM:
    case FEDC_LAYER_GROUP_NORM:
    case FEDC_LAYER_BATCH_NORM:
        if (s->kind == FEDC_LAYER_GROUP_NORM)
            fedc__nn_buf_printf(b, ", \"groups\": %lld", (long long)s->groups);
        fedc__nn_buf_printf(b, ", \"axis\": %s", s->kind == FEDC_LAYER_LAYER_NORM ? "[-1]" : "-1");
        if (s->kind == FEDC_LAYER_BATCH_NORM)
            fedc__nn_buf_printf(b, ", \"momentum\": %.17g", s->momentum);
        fedc__nn_buf_printf(b, ", \"epsilon\": %.17g, \"center\": true, \"scale\": true",
                            s->epsilon);
        put_init(b, "beta_initializer", &s->bias_init);
        put_init(b, "gamma_initializer", &s->kernel_init);
        if (s->kind == FEDC_LAYER_BATCH_NORM)
            fedc__nn_buf_printf(b, ", \"moving_mean_initializer\": {\"class_name\": \"Zeros\", "
                                   "\"config\": {}}, \"moving_variance_initializer\": "
                                   "{\"class_name\": \"Ones\", \"config\": {}}");
        fedc__nn_buf_printf(b, ", \"beta_regularizer\": null, \"gamma_regularizer\": null, "
                               "\"beta_constraint\": null, \"gamma_constraint\": null");
        break;
    default: break;
    }
    fedc__nn_buf_printf(b, "}}");
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_to_keras_json(fedc_ctx *ctx, const fedc_model *m, char **out) {
    *out = NULL;
    fedc__buf b = {0};
    fedc__nn_buf_printf(&b,
                        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\", "
                        "\"layers\": [{\"class_name\": \"InputLayer\", \"config\": "
                        "{\"batch_input_shape\": [null");
    for (int i = 0; i < m->in_shape.rank; i++)
        fedc__nn_buf_printf(&b, ", %lld", (long long)m->in_shape.dims[i]);
    fedc__nn_buf_printf(&b, "], \"dtype\": \"float32\", \"sparse\": false, \"ragged\": false, "
                            "\"name\": \"input_1\"}}");
    for (size_t i = 0; i < m->n; i++) {
        fedc_status st = put_layer(ctx, &b, &m->layers[i]);
        if (st != FEDC_STATUS_OK) {
            fedc_free(b.data);
            return st;
        }
    }
    fedc__nn_buf_printf(&b, "]}, \"keras_version\": \"2.11.0\", \"backend\": \"tensorflow\"}");
    if (b.failed) {
        fedc_free(b.data);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "keras json: %zu bytes", b.cap);
    }
    *out = b.data;
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_save_keras_json(fedc_ctx *ctx, const fedc_model *m, const char *path) {
    char *json;
    fedc_status st = fedc_model_to_keras_json(ctx, m, &json);
    if (st != FEDC_STATUS_OK) return st;
    st = fedc__nn_write_file(ctx, path, json, strlen(json));
    fedc_free(json);
    return st;
}
