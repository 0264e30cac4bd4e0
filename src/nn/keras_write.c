/* keras_write.c — writes a model's architecture as Keras's Sequential JSON (the dialect of
 * Keras 2's model.to_json(): an InputLayer with batch_input_shape, then each layer's
 * class_name and config), so Keras's model_from_json and fedc_model_from_keras_json read it.
 *
 * Writes only what the specs hold; custom layers cannot be written (UNSUPPORTED). The text is
 * produced by fedc/base_json.h's writer, so it is valid JSON by construction; nothing here
 * formats JSON by hand.
 */
#include <stdio.h>
#include <string.h>

#include "fedc/base_json.h"
#include "nn/nn_int.h"

static const char *init_class(fedc_init_kind k) {
    static const char *const names[FEDC_INIT_COUNT] = {
        "Zeros",        "Ones",     "Constant",  "RandomNormal", "RandomUniform", "GlorotUniform",
        "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",  "Orthogonal"};
    return (int)k >= 0 && k < FEDC_INIT_COUNT ? names[k] : "Zeros";
}

/* Short names: the writer calls below are most of this file. */
static void key_str(fedc_json_writer *w, const char *key, const char *value) {
    fedc_json_write_key(w, key);
    fedc_json_write_string(w, value);
}

static void key_int(fedc_json_writer *w, const char *key, int64_t value) {
    fedc_json_write_key(w, key);
    fedc_json_write_int(w, value);
}

static void key_num(fedc_json_writer *w, const char *key, double value) {
    fedc_json_write_key(w, key);
    fedc_json_write_double(w, value);
}

static void key_bool(fedc_json_writer *w, const char *key, bool value) {
    fedc_json_write_key(w, key);
    fedc_json_write_bool(w, value);
}

/* Each key given gets a null value. */
static void key_nulls(fedc_json_writer *w, const char *const *keys) {
    for (; *keys; keys++) {
        fedc_json_write_key(w, *keys);
        fedc_json_write_null(w);
    }
}

static void key_class(fedc_json_writer *w, const char *key, const char *cls) {
    fedc_json_write_key(w, key);
    fedc_json_write_begin_object(w);
    key_str(w, "class_name", cls);
    fedc_json_write_key(w, "config");
    fedc_json_write_begin_object(w);
    fedc_json_write_end_object(w);
    fedc_json_write_end_object(w);
}

static void put_init(fedc_json_writer *w, const char *key, const fedc_initializer *i) {
    fedc_json_write_key(w, key);
    fedc_json_write_begin_object(w);
    key_str(w, "class_name", init_class(i->kind));
    fedc_json_write_key(w, "config");
    fedc_json_write_begin_object(w);
    bool seed = true;
    switch (i->kind) {
    case FEDC_INIT_CONSTANT:
        key_num(w, "value", i->value);
        seed = false;
        break;
    case FEDC_INIT_RANDOM_NORMAL:
        key_num(w, "mean", i->mean);
        key_num(w, "stddev", i->stddev);
        break;
    case FEDC_INIT_RANDOM_UNIFORM:
        key_num(w, "minval", i->minval);
        key_num(w, "maxval", i->maxval);
        break;
    case FEDC_INIT_ORTHOGONAL: key_num(w, "gain", i->gain); break;
    case FEDC_INIT_ZEROS:
    case FEDC_INIT_ONES: seed = false; break;
    default: break;
    }
    if (seed) key_nulls(w, (const char *const[]){"seed", NULL});
    fedc_json_write_end_object(w);
    fedc_json_write_end_object(w);
}

static void put_pair(fedc_json_writer *w, const char *key, int64_t a, int64_t c) {
    fedc_json_write_key(w, key);
    fedc_json_write_begin_array(w);
    fedc_json_write_int(w, a);
    fedc_json_write_int(w, c);
    fedc_json_write_end_array(w);
}

static const char *const kernel_bias_nulls[] = {"kernel_regularizer",   "bias_regularizer",
                                                "activity_regularizer", "kernel_constraint",
                                                "bias_constraint",      NULL};

/* What Dense and Conv2D end with: activation, bias and the initializers. */
static void put_dense_tail(fedc_json_writer *w, const fedc_layer_spec *s) {
    key_str(w, "activation", fedc_activation_name(s->activation));
    key_bool(w, "use_bias", s->use_bias);
    put_init(w, "kernel_initializer", &s->kernel_init);
    put_init(w, "bias_initializer", &s->bias_init);
    key_nulls(w, kernel_bias_nulls);
}

static fedc_status put_layer(fedc_ctx *ctx, fedc_json_writer *w, const fedc_layer *l) {
    const fedc_layer_spec *s = &l->spec;
    if (s->kind == FEDC_LAYER_CUSTOM)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_UNSUPPORTED,
                                  "custom layers have no Keras config");
    fedc_json_write_begin_object(w);
    key_str(w, "class_name", l->ops->class_name);
    fedc_json_write_key(w, "config");
    fedc_json_write_begin_object(w);
    key_str(w, "name", l->name);
    key_bool(w, "trainable", true);
    key_str(w, "dtype", "float32");
    const char *pad = s->padding == FEDC_PADDING_SAME ? "same" : "valid";
    switch (s->kind) {
    case FEDC_LAYER_DENSE:
        key_int(w, "units", s->units);
        put_dense_tail(w, s);
        break;
    case FEDC_LAYER_CONV2D:
        key_int(w, "filters", s->units);
        put_pair(w, "kernel_size", s->kernel_h, s->kernel_w);
        put_pair(w, "strides", s->stride_h, s->stride_w);
        key_str(w, "padding", pad);
        key_str(w, "data_format", "channels_last");
        put_pair(w, "dilation_rate", 1, 1);
        key_int(w, "groups", 1);
        put_dense_tail(w, s);
        break;
    case FEDC_LAYER_MAXPOOL2D:
    case FEDC_LAYER_AVGPOOL2D:
        put_pair(w, "pool_size", s->kernel_h, s->kernel_w);
        key_str(w, "padding", pad);
        put_pair(w, "strides", s->stride_h, s->stride_w);
        key_str(w, "data_format", "channels_last");
        break;
    case FEDC_LAYER_FLATTEN: key_str(w, "data_format", "channels_last"); break;
    case FEDC_LAYER_RESHAPE:
        fedc_json_write_key(w, "target_shape");
        fedc_json_write_begin_array(w);
        for (int i = 0; i < s->target_shape.rank; i++)
            fedc_json_write_int(w, s->target_shape.dims[i]);
        fedc_json_write_end_array(w);
        break;
    case FEDC_LAYER_DROPOUT:
        key_num(w, "rate", s->rate);
        key_nulls(w, (const char *const[]){"noise_shape", "seed", NULL});
        break;
    case FEDC_LAYER_ACTIVATION:
        key_str(w, "activation", fedc_activation_name(s->activation));
        break;
    case FEDC_LAYER_EMBEDDING:
        key_int(w, "input_dim", s->input_dim);
        key_int(w, "output_dim", s->units);
        put_init(w, "embeddings_initializer", &s->kernel_init);
        key_nulls(w, (const char *const[]){"embeddings_regularizer", "activity_regularizer",
                                           "embeddings_constraint", NULL});
        key_bool(w, "mask_zero", false);
        if (l->in_shape.rank == 1) key_int(w, "input_length", l->in_shape.dims[0]);
        break;
    case FEDC_LAYER_LSTM:
    case FEDC_LAYER_GRU:
        key_bool(w, "return_sequences", s->return_sequences);
        key_bool(w, "return_state", false);
        key_bool(w, "go_backwards", false);
        key_bool(w, "stateful", false);
        key_bool(w, "unroll", false);
        key_bool(w, "time_major", false);
        key_int(w, "units", s->units);
        key_str(w, "activation", fedc_activation_name(s->activation));
        key_str(w, "recurrent_activation", fedc_activation_name(s->recurrent_activation));
        key_bool(w, "use_bias", s->use_bias);
        put_init(w, "kernel_initializer", &s->kernel_init);
        put_init(w, "recurrent_initializer", &s->recurrent_init);
        put_init(w, "bias_initializer", &s->bias_init);
        if (s->kind == FEDC_LAYER_GRU)
            key_bool(w, "reset_after", true);
        else
            key_bool(w, "unit_forget_bias", s->unit_forget_bias);
        key_nulls(w, (const char *const[]){"kernel_regularizer", "recurrent_regularizer",
                                           "bias_regularizer", "activity_regularizer",
                                           "kernel_constraint", "recurrent_constraint",
                                           "bias_constraint", NULL});
        key_num(w, "dropout", 0.0);
        key_num(w, "recurrent_dropout", 0.0);
        key_int(w, "implementation", 2);
        break;
    case FEDC_LAYER_LAYER_NORM:
    case FEDC_LAYER_GROUP_NORM:
    case FEDC_LAYER_BATCH_NORM:
        if (s->kind == FEDC_LAYER_GROUP_NORM) key_int(w, "groups", s->groups);
        fedc_json_write_key(w, "axis");
        if (s->kind == FEDC_LAYER_LAYER_NORM) { /* Keras writes LayerNormalization's as a list */
            fedc_json_write_begin_array(w);
            fedc_json_write_int(w, -1);
            fedc_json_write_end_array(w);
        } else {
            fedc_json_write_int(w, -1);
        }
        if (s->kind == FEDC_LAYER_BATCH_NORM) key_num(w, "momentum", s->momentum);
        key_num(w, "epsilon", s->epsilon);
        key_bool(w, "center", true);
        key_bool(w, "scale", true);
        put_init(w, "beta_initializer", &s->bias_init);
        put_init(w, "gamma_initializer", &s->kernel_init);
        if (s->kind == FEDC_LAYER_BATCH_NORM) {
            key_class(w, "moving_mean_initializer", "Zeros");
            key_class(w, "moving_variance_initializer", "Ones");
        }
        key_nulls(w, (const char *const[]){"beta_regularizer", "gamma_regularizer",
                                           "beta_constraint", "gamma_constraint", NULL});
        break;
    default: break;
    }
    fedc_json_write_end_object(w);
    fedc_json_write_end_object(w);
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_to_keras_json(fedc_ctx *ctx, const fedc_model *m, char **out) {
    *out = NULL;
    fedc_json_writer w;
    fedc_json_writer_init(&w, FEDC_JSON_STYLE_SPACED); /* as Python's json.dumps writes it */
    fedc_json_write_begin_object(&w);
    key_str(&w, "class_name", "Sequential");
    fedc_json_write_key(&w, "config");
    fedc_json_write_begin_object(&w);
    key_str(&w, "name", "sequential");
    fedc_json_write_key(&w, "layers");
    fedc_json_write_begin_array(&w);
    fedc_json_write_begin_object(&w);
    key_str(&w, "class_name", "InputLayer");
    fedc_json_write_key(&w, "config");
    fedc_json_write_begin_object(&w);
    fedc_json_write_key(&w, "batch_input_shape");
    fedc_json_write_begin_array(&w);
    fedc_json_write_null(&w);
    for (int i = 0; i < m->in_shape.rank; i++)
        fedc_json_write_int(&w, m->in_shape.dims[i]);
    fedc_json_write_end_array(&w);
    key_str(&w, "dtype", "float32");
    key_bool(&w, "sparse", false);
    key_bool(&w, "ragged", false);
    key_str(&w, "name", "input_1");
    fedc_json_write_end_object(&w);
    fedc_json_write_end_object(&w);
    for (size_t i = 0; i < m->n; i++) {
        fedc_status st = put_layer(ctx, &w, &m->layers[i]);
        if (st != FEDC_STATUS_OK) {
            fedc_json_writer_free(&w);
            return st;
        }
    }
    fedc_json_write_end_array(&w);
    fedc_json_write_end_object(&w);
    key_str(&w, "keras_version", "2.11.0");
    key_str(&w, "backend", "tensorflow");
    fedc_json_write_end_object(&w);
    return fedc_json_writer_finish(ctx, &w, "keras json", out, NULL);
}

fedc_status fedc_model_save_keras_json(fedc_ctx *ctx, const fedc_model *m, const char *path) {
    char *json;
    fedc_status st = fedc_model_to_keras_json(ctx, m, &json);
    if (st != FEDC_STATUS_OK) return st;
    st = fedc__nn_write_file(ctx, path, json, strlen(json));
    fedc_free(json);
    return st;
}
