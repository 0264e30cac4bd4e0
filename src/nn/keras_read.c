/* keras_read.c — builds a model from Keras's Sequential JSON (what Keras 2's model.to_json()
 * writes, and Keras 3's InputLayer batch_shape): each layer's class_name and config become a
 * layer spec.
 *
 * Every setting fedc cannot honour (channels_first, dilation, regularizers, stateful RNNs, an
 * unknown class or activation) is an error that names the layer and the byte offset, never
 * silently ignored. The JSON is parsed by fedc/base_json.h into a document freed before
 * returning.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fedc/base_json.h"
#include "nn/nn_int.h"

typedef struct reader {
    fedc_ctx *ctx;
    const char *what;
    size_t index;     /* the layer being read, counting InputLayer */
    const char *name; /* its name, or "?" */
} reader;

static fedc_status rerr(reader *r, fedc_status st, const fedc_json *at, const char *fmt,
                        const char *arg) {
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    return fedc_ctx_errorf(r->ctx, st, "%s: byte %zu: layer %zu (%s): %s", r->what,
                           at ? fedc_json_offset(at) : 0, r->index, r->name, msg);
}

static fedc_status get_int(reader *r, const fedc_json *cfg, const char *key, bool required,
                           int64_t def, int64_t *out) {
    const fedc_json *v = fedc_json_get(cfg, key);
    if (!v || fedc_json_type_of(v) == FEDC_JSON_NULL) {
        if (required) return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, cfg, "missing '%s'", key);
        *out = def;
        return FEDC_STATUS_OK;
    }
    if (fedc_json_type_of(v) != FEDC_JSON_NUMBER ||
        fedc_json_number(v) != floor(fedc_json_number(v)) || fabs(fedc_json_number(v)) > 9e15)
        return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, v, "'%s' must be an integer", key);
    *out = (int64_t)fedc_json_number(v);
    return FEDC_STATUS_OK;
}

static fedc_status get_double(reader *r, const fedc_json *cfg, const char *key, double def,
                              double *out) {
    const fedc_json *v = fedc_json_get(cfg, key);
    if (!v || fedc_json_type_of(v) == FEDC_JSON_NULL) {
        *out = def;
        return FEDC_STATUS_OK;
    }
    if (fedc_json_type_of(v) != FEDC_JSON_NUMBER)
        return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, v, "'%s' must be a number", key);
    *out = fedc_json_number(v);
    return FEDC_STATUS_OK;
}

static fedc_status get_bool(reader *r, const fedc_json *cfg, const char *key, bool def, bool *out) {
    const fedc_json *v = fedc_json_get(cfg, key);
    if (!v || fedc_json_type_of(v) == FEDC_JSON_NULL) {
        *out = def;
        return FEDC_STATUS_OK;
    }
    if (fedc_json_type_of(v) != FEDC_JSON_BOOL)
        return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, v, "'%s' must be true or false", key);
    *out = fedc_json_bool(v);
    return FEDC_STATUS_OK;
}

/* A pair like kernel_size: [a, b] or a single integer a (meaning [a, a]). */
static fedc_status get_pair(reader *r, const fedc_json *cfg, const char *key, bool required,
                            int64_t def, int64_t *a, int64_t *b) {
    const fedc_json *v = fedc_json_get(cfg, key);
    if (!v || fedc_json_type_of(v) == FEDC_JSON_NULL) {
        if (required) return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, cfg, "missing '%s'", key);
        *a = *b = def;
        return FEDC_STATUS_OK;
    }
    if (fedc_json_type_of(v) == FEDC_JSON_NUMBER &&
        fedc_json_number(v) == floor(fedc_json_number(v))) {
        *a = *b = (int64_t)fedc_json_number(v);
        return FEDC_STATUS_OK;
    }
    if (fedc_json_type_of(v) != FEDC_JSON_ARRAY || fedc_json_count(v) != 2 ||
        fedc_json_type_of(fedc_json_at(v, 0)) != FEDC_JSON_NUMBER ||
        fedc_json_type_of(fedc_json_at(v, 1)) != FEDC_JSON_NUMBER)
        return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, v, "'%s' must be two integers", key);
    *a = (int64_t)fedc_json_number(fedc_json_at(v, 0));
    *b = (int64_t)fedc_json_number(fedc_json_at(v, 1));
    return FEDC_STATUS_OK;
}

static fedc_status get_activation(reader *r, const fedc_json *cfg, const char *key,
                                  fedc_activation def, fedc_activation *out) {
    const fedc_json *v = fedc_json_get(cfg, key);
    if (!v || fedc_json_type_of(v) == FEDC_JSON_NULL) {
        *out = def;
        return FEDC_STATUS_OK;
    }
    if (fedc_json_type_of(v) != FEDC_JSON_STRING)
        return rerr(r, FEDC_STATUS_UNSUPPORTED, v, "'%s' must be an activation name", key);
    if (!fedc_activation_parse(fedc_json_string(v, NULL), out))
        return rerr(r, FEDC_STATUS_UNSUPPORTED, v, "activation '%s' is not supported",
                    fedc_json_string(v, NULL));
    return FEDC_STATUS_OK;
}

static fedc_status get_init(reader *r, const fedc_json *cfg, const char *key,
                            fedc_initializer *out) {
    static const struct {
        const char *cls, *fn;
        fedc_init_kind kind;
    } names[] = {{"Zeros", "zeros", FEDC_INIT_ZEROS},
                 {"Ones", "ones", FEDC_INIT_ONES},
                 {"Constant", "constant", FEDC_INIT_CONSTANT},
                 {"RandomNormal", "random_normal", FEDC_INIT_RANDOM_NORMAL},
                 {"RandomUniform", "random_uniform", FEDC_INIT_RANDOM_UNIFORM},
                 {"GlorotUniform", "glorot_uniform", FEDC_INIT_GLOROT_UNIFORM},
                 {"GlorotNormal", "glorot_normal", FEDC_INIT_GLOROT_NORMAL},
                 {"HeNormal", "he_normal", FEDC_INIT_HE_NORMAL},
                 {"HeUniform", "he_uniform", FEDC_INIT_HE_UNIFORM},
                 {"LecunNormal", "lecun_normal", FEDC_INIT_LECUN_NORMAL},
                 {"Orthogonal", "orthogonal", FEDC_INIT_ORTHOGONAL}};
    const fedc_json *v = fedc_json_get(cfg, key);
    if (!v || fedc_json_type_of(v) == FEDC_JSON_NULL) return FEDC_STATUS_OK; /* keep the default */
    const char *name = NULL;
    const fedc_json *icfg = NULL;
    if (fedc_json_type_of(v) == FEDC_JSON_STRING) {
        name = fedc_json_string(v, NULL);
    } else if (fedc_json_type_of(v) == FEDC_JSON_OBJECT) {
        const fedc_json *c = fedc_json_get(v, "class_name");
        if (c && fedc_json_type_of(c) == FEDC_JSON_STRING) name = fedc_json_string(c, NULL);
        icfg = fedc_json_get(v, "config");
    }
    if (!name) return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, v, "'%s' is not an initializer", key);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].cls) != 0 && strcmp(name, names[i].fn) != 0) continue;
        *out = fedc_initializer_make(names[i].kind);
        if (icfg) {
            fedc_status st = get_double(r, icfg, "value", 0.0, &out->value);
            if (st == FEDC_STATUS_OK) st = get_double(r, icfg, "mean", 0.0, &out->mean);
            if (st == FEDC_STATUS_OK) st = get_double(r, icfg, "stddev", 0.05, &out->stddev);
            if (st == FEDC_STATUS_OK) st = get_double(r, icfg, "minval", -0.05, &out->minval);
            if (st == FEDC_STATUS_OK) st = get_double(r, icfg, "maxval", 0.05, &out->maxval);
            if (st == FEDC_STATUS_OK) st = get_double(r, icfg, "gain", 1.0, &out->gain);
            if (st != FEDC_STATUS_OK) return st;
        }
        return FEDC_STATUS_OK;
    }
    return rerr(r, FEDC_STATUS_UNSUPPORTED, v, "initializer '%s' is not supported", name);
}

/* Settings with no fedc equivalent must have their neutral value. */
static fedc_status check_neutral(reader *r, const fedc_json *cfg) {
    for (size_t ci = 0; ci < fedc_json_count(cfg); ci++) {
        const fedc_json *c = fedc_json_at(cfg, ci);
        const char *key = fedc_json_key_at(cfg, ci, NULL);
        size_t n = strlen(key);
        bool reg = (n > 12 && strcmp(key + n - 12, "_regularizer") == 0) ||
                   (n > 11 && strcmp(key + n - 11, "_constraint") == 0);
        if (reg && fedc_json_type_of(c) != FEDC_JSON_NULL)
            return rerr(r, FEDC_STATUS_UNSUPPORTED, c, "'%s' is not supported (must be null)", key);
        if (strcmp(key, "data_format") == 0 && fedc_json_type_of(c) == FEDC_JSON_STRING &&
            strcmp(fedc_json_string(c, NULL), "channels_last") != 0)
            return rerr(r, FEDC_STATUS_UNSUPPORTED, c, "data_format '%s' is not supported",
                        fedc_json_string(c, NULL));
        static const char *const must_false[] = {"return_state", "go_backwards", "stateful",
                                                 "time_major", "mask_zero"};
        for (size_t i = 0; i < sizeof must_false / sizeof must_false[0]; i++)
            if (strcmp(key, must_false[i]) == 0 && fedc_json_type_of(c) == FEDC_JSON_BOOL &&
                fedc_json_bool(c))
                return rerr(r, FEDC_STATUS_UNSUPPORTED, c, "'%s': true is not supported", key);
        if ((strcmp(key, "dropout") == 0 || strcmp(key, "recurrent_dropout") == 0) &&
            fedc_json_type_of(c) == FEDC_JSON_NUMBER && fedc_json_number(c) != 0.0)
            return rerr(r, FEDC_STATUS_UNSUPPORTED, c, "'%s' other than 0 is not supported", key);
    }
    return FEDC_STATUS_OK;
}

static fedc_status read_layer(reader *r, const char *cls, const fedc_json *cfg,
                              fedc_layer_spec *s) {
    fedc_status st = check_neutral(r, cfg);
    if (st != FEDC_STATUS_OK) return st;
    int64_t a, b;
    if (strcmp(cls, "Dense") == 0) {
        *s = fedc_layer_dense(0, FEDC_ACTIVATION_LINEAR);
        if ((st = get_int(r, cfg, "units", true, 0, &s->units))) return st;
    } else if (strcmp(cls, "Conv2D") == 0) {
        *s = fedc_layer_conv2d(0, 1, 1, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_LINEAR);
        if ((st = get_int(r, cfg, "filters", true, 0, &s->units))) return st;
        if ((st = get_pair(r, cfg, "kernel_size", true, 0, &s->kernel_h, &s->kernel_w))) return st;
        if ((st = get_pair(r, cfg, "strides", false, 1, &s->stride_h, &s->stride_w))) return st;
        if ((st = get_pair(r, cfg, "dilation_rate", false, 1, &a, &b))) return st;
        if (a != 1 || b != 1)
            return rerr(r, FEDC_STATUS_UNSUPPORTED, fedc_json_get(cfg, "dilation_rate"),
                        "%s other than 1 is not supported", "dilation_rate");
        if ((st = get_int(r, cfg, "groups", false, 1, &a))) return st;
        if (a != 1)
            return rerr(r, FEDC_STATUS_UNSUPPORTED, fedc_json_get(cfg, "groups"),
                        "%s other than 1 is not supported", "groups");
    } else if (strcmp(cls, "MaxPooling2D") == 0 || strcmp(cls, "AveragePooling2D") == 0) {
        if ((st = get_pair(r, cfg, "pool_size", false, 2, &a, &b))) return st;
        int64_t sh, sw;
        if ((st = get_pair(r, cfg, "strides", false, 0, &sh, &sw))) return st;
        *s = cls[0] == 'M' ? fedc_layer_maxpool2d(a, b, sh, sw, FEDC_PADDING_VALID)
                           : fedc_layer_avgpool2d(a, b, sh, sw, FEDC_PADDING_VALID);
    } else if (strcmp(cls, "Flatten") == 0) {
        *s = fedc_layer_flatten();
    } else if (strcmp(cls, "Reshape") == 0) {
        const fedc_json *t = fedc_json_get(cfg, "target_shape");
        if (!t || fedc_json_type_of(t) != FEDC_JSON_ARRAY || fedc_json_count(t) > FEDC_MAX_RANK - 1)
            return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, t ? t : cfg, "%s",
                        "'target_shape' must be a list of at most 5 integers");
        int64_t dims[FEDC_MAX_RANK];
        int k = 0;
        for (size_t ci = 0; ci < fedc_json_count(t); ci++) {
            const fedc_json *c = fedc_json_at(t, ci);
            if (fedc_json_type_of(c) != FEDC_JSON_NUMBER ||
                fedc_json_number(c) != floor(fedc_json_number(c)))
                return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, c, "%s",
                            "'target_shape' must hold integers");
            dims[k++] = (int64_t)fedc_json_number(c);
        }
        *s = fedc_layer_reshape(fedc_shape_make(k, dims));
    } else if (strcmp(cls, "Dropout") == 0) {
        *s = fedc_layer_dropout(0.0);
        if ((st = get_double(r, cfg, "rate", 0.0, &s->rate))) return st;
        if (fedc_json_get(cfg, "noise_shape") &&
            fedc_json_type_of(fedc_json_get(cfg, "noise_shape")) != FEDC_JSON_NULL)
            return rerr(r, FEDC_STATUS_UNSUPPORTED, fedc_json_get(cfg, "noise_shape"), "%s",
                        "'noise_shape' is not supported");
    } else if (strcmp(cls, "Activation") == 0) {
        *s = fedc_layer_activation(FEDC_ACTIVATION_LINEAR);
    } else if (strcmp(cls, "Softmax") == 0 || strcmp(cls, "ReLU") == 0) {
        *s = fedc_layer_activation(cls[0] == 'S' ? FEDC_ACTIVATION_SOFTMAX : FEDC_ACTIVATION_RELU);
        if ((st = get_int(r, cfg, "axis", false, -1, &a))) return st;
        const fedc_json *mv = fedc_json_get(cfg, "max_value");
        const fedc_json *ns = fedc_json_get(cfg, "negative_slope");
        if (a != -1 || (mv && fedc_json_type_of(mv) != FEDC_JSON_NULL) ||
            (ns && !(fedc_json_type_of(ns) == FEDC_JSON_NUMBER && fedc_json_number(ns) == 0.0)))
            return rerr(r, FEDC_STATUS_UNSUPPORTED, cfg, "%s",
                        "only the last axis, no max_value and no negative_slope are supported");
        return FEDC_STATUS_OK;
    } else if (strcmp(cls, "Embedding") == 0) {
        *s = fedc_layer_embedding(0, 0);
        if ((st = get_int(r, cfg, "input_dim", true, 0, &s->input_dim))) return st;
        if ((st = get_int(r, cfg, "output_dim", true, 0, &s->units))) return st;
        return get_init(r, cfg, "embeddings_initializer", &s->kernel_init);
    } else if (strcmp(cls, "LSTM") == 0 || strcmp(cls, "GRU") == 0) {
        *s = cls[0] == 'L' ? fedc_layer_lstm(0, false) : fedc_layer_gru(0, false);
        if (s->kind == FEDC_LAYER_GRU) {
            bool reset_after;
            if ((st = get_bool(r, cfg, "reset_after", true, &reset_after))) return st;
            if (!reset_after)
                return rerr(r, FEDC_STATUS_UNSUPPORTED, fedc_json_get(cfg, "reset_after"), "%s",
                            "reset_after: false is not supported");
        }
        if ((st = get_int(r, cfg, "units", true, 0, &s->units))) return st;
        if ((st = get_bool(r, cfg, "return_sequences", false, &s->return_sequences))) return st;
        if ((st = get_bool(r, cfg, "unit_forget_bias", true, &s->unit_forget_bias))) return st;
        if ((st = get_activation(r, cfg, "recurrent_activation", FEDC_ACTIVATION_SIGMOID,
                                 &s->recurrent_activation)))
            return st;
        if ((st = get_activation(r, cfg, "activation", FEDC_ACTIVATION_TANH, &s->activation)))
            return st;
        if ((st = get_init(r, cfg, "recurrent_initializer", &s->recurrent_init))) return st;
    } else if (strcmp(cls, "LayerNormalization") == 0 || strcmp(cls, "BatchNormalization") == 0 ||
               strcmp(cls, "GroupNormalization") == 0) {
        *s = cls[0] == 'L'   ? fedc_layer_layer_norm()
             : cls[0] == 'B' ? fedc_layer_batch_norm()
                             : fedc_layer_group_norm(32);
        if (s->kind == FEDC_LAYER_GROUP_NORM &&
            (st = get_int(r, cfg, "groups", false, 32, &s->groups)))
            return st;
        if ((st = get_double(r, cfg, "epsilon", 1e-3, &s->epsilon))) return st;
        if ((st = get_double(r, cfg, "momentum", 0.99, &s->momentum))) return st;
        bool center, scale;
        if ((st = get_bool(r, cfg, "center", true, &center))) return st;
        if ((st = get_bool(r, cfg, "scale", true, &scale))) return st;
        if (!center || !scale)
            return rerr(r, FEDC_STATUS_UNSUPPORTED, cfg, "%s",
                        "center and scale must both be true");
        if ((st = get_init(r, cfg, "gamma_initializer", &s->kernel_init))) return st;
        return get_init(r, cfg, "beta_initializer", &s->bias_init);
    } else {
        return rerr(r, FEDC_STATUS_UNSUPPORTED, cfg, "class '%s' is not supported", cls);
    }
    /* Settings shared by several classes. */
    const fedc_json *pad = fedc_json_get(cfg, "padding");
    if (pad) {
        if (fedc_json_type_of(pad) == FEDC_JSON_STRING &&
            strcmp(fedc_json_string(pad, NULL), "same") == 0)
            s->padding = FEDC_PADDING_SAME;
        else if (!(fedc_json_type_of(pad) == FEDC_JSON_STRING &&
                   strcmp(fedc_json_string(pad, NULL), "valid") == 0))
            return rerr(r, FEDC_STATUS_UNSUPPORTED, pad, "%s",
                        "padding must be \"valid\" or \"same\"");
    }
    if (s->kind == FEDC_LAYER_DENSE || s->kind == FEDC_LAYER_CONV2D ||
        s->kind == FEDC_LAYER_ACTIVATION)
        if ((st = get_activation(r, cfg, "activation", FEDC_ACTIVATION_LINEAR, &s->activation)))
            return st;
    if ((st = get_bool(r, cfg, "use_bias", true, &s->use_bias))) return st;
    if ((st = get_init(r, cfg, "kernel_initializer", &s->kernel_init))) return st;
    return get_init(r, cfg, "bias_initializer", &s->bias_init);
}

/* The per-example input shape from a batch shape [null, d1, ...]. */
static fedc_status read_input_shape(reader *r, const fedc_json *v, fedc_shape *out) {
    if (fedc_json_type_of(v) != FEDC_JSON_ARRAY || fedc_json_count(v) < 1 ||
        fedc_json_count(v) > FEDC_MAX_RANK)
        return rerr(r, FEDC_STATUS_INVALID_ARGUMENT, v, "%s",
                    "the batch input shape must be a list [null, d1, ...]");
    int64_t dims[FEDC_MAX_RANK];
    int k = 0;
    for (size_t ci = 1; ci < fedc_json_count(v); ci++) {
        const fedc_json *c = fedc_json_at(v, ci);
        if (fedc_json_type_of(c) != FEDC_JSON_NUMBER || fedc_json_number(c) < 1 ||
            fedc_json_number(c) != floor(fedc_json_number(c)))
            return rerr(r, FEDC_STATUS_UNSUPPORTED, c, "%s",
                        "input dimensions must be known positive integers");
        dims[k++] = (int64_t)fedc_json_number(c);
    }
    *out = fedc_shape_make(k, dims);
    return FEDC_STATUS_OK;
}

static fedc_status build(fedc_ctx *ctx, const char *what, const fedc_json *root,
                         const fedc_model_opts *opts, fedc_model **out) {
    reader r = {ctx, what, 0, "?"};
    const fedc_json *cls = fedc_json_get(root, "class_name");
    const fedc_json *cfg = fedc_json_get(root, "config");
    if (!cls || fedc_json_type_of(cls) != FEDC_JSON_STRING)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: byte %zu: expected a Keras model object with class_name", what,
                               fedc_json_offset(root));
    if (strcmp(fedc_json_string(cls, NULL), "Sequential") != 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "%s: byte %zu: model class '%s' is not supported (only Sequential)",
                               what, fedc_json_offset(cls), fedc_json_string(cls, NULL));
    const fedc_json *layers = fedc_json_get(cfg, "layers");
    if (!layers || fedc_json_type_of(layers) != FEDC_JSON_ARRAY)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: byte %zu: Sequential config without a layers list", what,
                               cfg ? fedc_json_offset(cfg) : fedc_json_offset(cls));
    fedc_layer_spec *specs =
        fedc_calloc(fedc_json_count(layers) ? fedc_json_count(layers) : 1, sizeof *specs);
    if (!specs)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: %zu layers", what,
                               fedc_json_count(layers));
    /* Normalization axes, checked against the built shapes: only the last axis is supported. */
    const fedc_json **axes =
        fedc_calloc(fedc_json_count(layers) ? fedc_json_count(layers) : 1, sizeof *axes);
    if (!axes) {
        fedc_free(specs);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: %zu layers", what,
                               fedc_json_count(layers));
    }
    fedc_shape in = {0};
    bool have_in = false;
    size_t n = 0;
    fedc_status st = FEDC_STATUS_OK;
    for (size_t li = 0; li < fedc_json_count(layers) && st == FEDC_STATUS_OK; li++, r.index++) {
        const fedc_json *l = fedc_json_at(layers, li);
        const fedc_json *lc = fedc_json_get(l, "class_name"), *lcfg = fedc_json_get(l, "config");
        const fedc_json *nm = fedc_json_get(lcfg, "name");
        r.name = nm && fedc_json_type_of(nm) == FEDC_JSON_STRING ? fedc_json_string(nm, NULL) : "?";
        if (!lc || fedc_json_type_of(lc) != FEDC_JSON_STRING || !lcfg ||
            fedc_json_type_of(lcfg) != FEDC_JSON_OBJECT) {
            st = rerr(&r, FEDC_STATUS_INVALID_ARGUMENT, l, "%s",
                      "expected {\"class_name\": ..., \"config\": {...}}");
            break;
        }
        const fedc_json *bis = fedc_json_get(lcfg, "batch_input_shape");
        if (!bis) bis = fedc_json_get(lcfg, "batch_shape");
        if (bis && !have_in) {
            st = read_input_shape(&r, bis, &in);
            have_in = true;
        }
        if (st != FEDC_STATUS_OK || strcmp(fedc_json_string(lc, NULL), "InputLayer") == 0) continue;
        st = read_layer(&r, fedc_json_string(lc, NULL), lcfg, &specs[n]);
        if (st != FEDC_STATUS_OK) break;
        specs[n].name =
            nm && fedc_json_type_of(nm) == FEDC_JSON_STRING ? fedc_json_string(nm, NULL) : NULL;
        if (specs[n].kind == FEDC_LAYER_LAYER_NORM || specs[n].kind == FEDC_LAYER_BATCH_NORM ||
            specs[n].kind == FEDC_LAYER_GROUP_NORM) {
            const fedc_json *ax = fedc_json_get(lcfg, "axis");
            if (ax && fedc_json_type_of(ax) == FEDC_JSON_ARRAY && fedc_json_count(ax) == 1)
                ax = fedc_json_at(ax, 0);
            if (ax && fedc_json_type_of(ax) != FEDC_JSON_NUMBER) {
                st = rerr(&r, FEDC_STATUS_UNSUPPORTED, ax, "%s",
                          "'axis' must be one axis (the last)");
                break;
            }
            axes[n] = ax;
        }
        if (!have_in && specs[n].kind == FEDC_LAYER_EMBEDDING) {
            int64_t len;
            st = get_int(&r, lcfg, "input_length", false, 0, &len);
            if (st == FEDC_STATUS_OK && len > 0) {
                in = FEDC_SHAPE(len);
                have_in = true;
            }
        }
        n++;
    }
    if (st == FEDC_STATUS_OK && !have_in)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                             "%s: no input shape (an InputLayer or a batch_input_shape)", what);
    if (st == FEDC_STATUS_OK) {
        st = fedc_model_create(ctx, &in, specs, n, opts, out);
        if (st != FEDC_STATUS_OK) fedc_ctx_prefixf(ctx, "%s", what);
    }
    for (size_t i = 0; st == FEDC_STATUS_OK && i < n; i++) {
        const fedc_layer *l = fedc_model_layer(*out, i);
        if (axes[i] && fedc_json_number(axes[i]) != -1.0 &&
            fedc_json_number(axes[i]) != (double)l->in_shape.rank) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                                 "%s: byte %zu: layer %s: axis %g is not supported (only the "
                                 "last axis, %d or -1)",
                                 what, fedc_json_offset(axes[i]), l->name,
                                 fedc_json_number(axes[i]), l->in_shape.rank);
            fedc_model_destroy(*out);
            *out = NULL;
        }
    }
    fedc_free(axes);
    fedc_free(specs);
    return st;
}

fedc_status fedc_model_from_keras_json(fedc_ctx *ctx, const char *json, size_t len,
                                       const char *what, const fedc_model_opts *opts,
                                       fedc_model **out) {
    *out = NULL;
    fedc_json_opts jo = fedc_json_opts_default();
    jo.name = what;
    fedc_json_doc *doc;
    fedc_status st = fedc_json_parse(ctx, json, len, &jo, &doc);
    if (st != FEDC_STATUS_OK) return st;
    st = build(ctx, what, fedc_json_doc_root(doc), opts, out);
    fedc_json_doc_destroy(doc);
    return st;
}

fedc_status fedc_model_load_keras_json(fedc_ctx *ctx, const char *path, const fedc_model_opts *opts,
                                       fedc_model **out) {
    *out = NULL;
    char *text;
    size_t len;
    fedc_status st = fedc__nn_read_file(ctx, path, &text, &len);
    if (st != FEDC_STATUS_OK) return st;
    st = fedc_model_from_keras_json(ctx, text, len, path, opts, out);
    fedc_free(text);
    return st;
}
