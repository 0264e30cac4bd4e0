/* model.c — the Sequential model's construction: layer building and naming, the flat parameter,
 * gradient and state buffers, initialization, and accessors.
 *
 * Running the model is model_run.c's job. Allocation happens only here (and in the arena).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

fedc_model_opts fedc_model_opts_default(void) {
    fedc_model_opts o;
    memset(&o, 0, sizeof o);
    return o;
}

static const fedc_layer_ops *ops_of(const fedc_layer_spec *s) {
    switch (s->kind) {
    case FEDC_LAYER_DENSE: return &fedc__dense_ops;
    case FEDC_LAYER_CONV2D: return &fedc__conv2d_ops;
    case FEDC_LAYER_MAXPOOL2D: return &fedc__maxpool2d_ops;
    case FEDC_LAYER_AVGPOOL2D: return &fedc__avgpool2d_ops;
    case FEDC_LAYER_FLATTEN: return &fedc__flatten_ops;
    case FEDC_LAYER_RESHAPE: return &fedc__reshape_ops;
    case FEDC_LAYER_DROPOUT: return &fedc__dropout_ops;
    case FEDC_LAYER_ACTIVATION: return &fedc__activation_ops;
    case FEDC_LAYER_EMBEDDING: return &fedc__embedding_ops;
    case FEDC_LAYER_LSTM: return &fedc__lstm_ops;
    case FEDC_LAYER_GRU: return &fedc__gru_ops;
    case FEDC_LAYER_LAYER_NORM: return &fedc__layer_norm_ops;
    case FEDC_LAYER_BATCH_NORM: return &fedc__batch_norm_ops;
    case FEDC_LAYER_GROUP_NORM: return &fedc__group_norm_ops;
    case FEDC_LAYER_CUSTOM: return s->custom_ops;
    default: return NULL;
    }
}

/* Keras's automatic names: the class name in snake case, then _1, _2, ... for repeats. */
static void auto_name(fedc_model *m, size_t i) {
    static const char *const base[FEDC_LAYER_KIND_COUNT] = {"dense",
                                                            "conv2d",
                                                            "max_pooling2d",
                                                            "average_pooling2d",
                                                            "flatten",
                                                            "reshape",
                                                            "dropout",
                                                            "activation",
                                                            "embedding",
                                                            "lstm",
                                                            "gru",
                                                            "layer_normalization",
                                                            "batch_normalization",
                                                            "group_normalization",
                                                            "custom"};
    fedc_layer *l = &m->layers[i];
    int repeats = 0;
    for (size_t j = 0; j < i; j++)
        if (m->layers[j].spec.kind == l->spec.kind && m->layers[j].spec.name == NULL) repeats++;
    if (repeats == 0)
        snprintf(l->name, sizeof l->name, "%s", base[l->spec.kind]);
    else
        snprintf(l->name, sizeof l->name, "%s_%d", base[l->spec.kind], repeats);
}

static fedc_status build_layers(fedc_ctx *ctx, fedc_model *m, const fedc_layer_spec *specs) {
    fedc_shape shape = m->in_shape;
    for (size_t i = 0; i < m->n; i++) {
        fedc_layer *l = &m->layers[i];
        l->spec = specs[i];
        l->index = (int)i;
        l->in_shape = shape;
        if ((int)l->spec.kind < 0 || l->spec.kind >= FEDC_LAYER_KIND_COUNT)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "layer %zu: unknown layer kind %d", i, (int)l->spec.kind);
        if (l->spec.name) {
            if (strlen(l->spec.name) >= FEDC_LAYER_NAME_MAX)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                       "layer %zu: name longer than %d bytes", i,
                                       FEDC_LAYER_NAME_MAX - 1);
            snprintf(l->name, sizeof l->name, "%s", l->spec.name);
        } else {
            auto_name(m, i);
        }
        l->spec.name = specs[i].name ? l->name : NULL;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->layers[j].name, l->name) == 0)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                       "layer %zu: name '%s' already used by layer %zu", i, l->name,
                                       j);
        l->ops = ops_of(&l->spec);
        if (!l->ops || !l->ops->build || !l->ops->forward || !l->ops->backward)
            return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                      "custom layer without build, forward and backward ops");
        fedc_status st = l->ops->build(ctx, l);
        if (st != FEDC_STATUS_OK) return st;
        if (l->param_count < 0 || l->state_count < 0 ||
            l->param_count > INT64_MAX / 8 - m->n_params ||
            l->state_count > INT64_MAX / 8 - m->n_state)
            return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                      "parameter count %lld out of range",
                                      (long long)l->param_count);
        l->param_offset = m->n_params;
        l->state_offset = m->n_state;
        m->n_params += l->param_count;
        m->n_state += l->state_count;
        shape = l->out_shape;
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_create(fedc_ctx *ctx, const fedc_shape *input_shape,
                              const fedc_layer_spec *layers, size_t n, const fedc_model_opts *opts,
                              fedc_model **out) {
    *out = NULL;
    fedc_model_opts o = opts ? *opts : fedc_model_opts_default();
    if (n == 0 || !layers)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "model: no layers given");
    if (n > (size_t)INT32_MAX)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "model: %zu layers", n);
    if (input_shape->rank < 0 || input_shape->rank > FEDC_MAX_RANK - 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "model: input rank %d not in [0, %d] (the batch axis is added)",
                               input_shape->rank, FEDC_MAX_RANK - 1);
    for (int i = 0; i < input_shape->rank; i++)
        if (input_shape->dims[i] <= 0) {
            char buf[96];
            fedc_shape_format(input_shape, buf, sizeof buf);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "model: input shape %s has a non-positive dimension", buf);
        }
    fedc_model *m = fedc_calloc(1, sizeof *m);
    if (!m) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "model: %zu bytes", sizeof *m);
    m->n = n;
    m->in_shape = *input_shape;
    m->seed = o.seed;
    fedc_status st;
    m->layers = fedc_calloc(n, sizeof *m->layers);
    if (!m->layers) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "model: %zu layers", n);
        goto fail;
    }
    st = build_layers(ctx, m, layers);
    if (st != FEDC_STATUS_OK) goto fail;
    m->params = fedc_calloc((size_t)m->n_params + 1, sizeof(float));
    m->grads = fedc_calloc((size_t)m->n_params + 1, sizeof(float));
    m->state = fedc_calloc((size_t)m->n_state + 1, sizeof(float));
    m->acts = fedc_calloc(n + 1, sizeof *m->acts);
    m->saved = fedc_calloc(n, sizeof *m->saved);
    if (!m->params || !m->grads || !m->state || !m->acts || !m->saved) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "model: %lld parameters",
                             (long long)m->n_params);
        goto fail;
    }
    st = fedc_arena_create(ctx, 0, &m->arena);
    if (st != FEDC_STATUS_OK) goto fail;
    for (size_t i = 0; i < n; i++) {
        fedc_layer *l = &m->layers[i];
        l->params = l->param_count ? m->params + l->param_offset : NULL;
        l->grads = l->param_count ? m->grads + l->param_offset : NULL;
        l->state = l->state_count ? m->state + l->state_offset : NULL;
    }
    if (!o.no_init) {
        st = fedc_model_init(ctx, m, o.seed);
        if (st != FEDC_STATUS_OK) goto fail;
    }
    *out = m;
    return FEDC_STATUS_OK;
fail:
    fedc_model_destroy(m);
    return st;
}

void fedc_model_destroy(fedc_model *m) {
    if (!m) return;
    fedc_arena_destroy(m->arena);
    fedc_free(m->params);
    fedc_free(m->grads);
    fedc_free(m->state);
    fedc_free(m->acts);
    fedc_free(m->saved);
    fedc_free(m->layers);
    fedc_free(m);
}

fedc_status fedc_model_clone(fedc_ctx *ctx, const fedc_model *m, fedc_model **out) {
    *out = NULL;
    fedc_layer_spec *specs = fedc_calloc(m->n, sizeof *specs);
    if (!specs)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "model clone: %zu layers", m->n);
    for (size_t i = 0; i < m->n; i++)
        specs[i] = m->layers[i].spec; /* names point into m */
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = m->seed;
    o.no_init = true;
    fedc_status st = fedc_model_create(ctx, &m->in_shape, specs, m->n, &o, out);
    fedc_free(specs);
    if (st != FEDC_STATUS_OK) return st;
    fedc_model *c = *out;
    /* Automatic names are recomputed identically; given names were copied from m. */
    memcpy(c->params, m->params, (size_t)m->n_params * sizeof(float));
    memcpy(c->state, m->state, (size_t)m->n_state * sizeof(float));
    c->step = m->step;
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_init(fedc_ctx *ctx, fedc_model *m, uint64_t seed) {
    m->seed = seed;
    for (size_t i = 0; i < m->n; i++) {
        fedc_layer *l = &m->layers[i];
        if (!l->ops->init) continue;
        fedc_status st = l->ops->init(ctx, l, seed);
        if (st != FEDC_STATUS_OK) return st;
    }
    return FEDC_STATUS_OK;
}

int64_t fedc_model_num_params(const fedc_model *m) { return m->n_params; }
int64_t fedc_model_num_state(const fedc_model *m) { return m->n_state; }
float *fedc_model_params(fedc_model *m) { return m->params; }
float *fedc_model_grads(fedc_model *m) { return m->grads; }
float *fedc_model_state(fedc_model *m) { return m->state; }
size_t fedc_model_num_layers(const fedc_model *m) { return m->n; }

const fedc_layer *fedc_model_layer(const fedc_model *m, size_t i) {
    assert(i < m->n);
    return &m->layers[i];
}

fedc_shape fedc_model_input_shape(const fedc_model *m) { return m->in_shape; }
fedc_shape fedc_model_output_shape(const fedc_model *m) { return m->layers[m->n - 1].out_shape; }
uint64_t fedc_model_step(const fedc_model *m) { return m->step; }
void fedc_model_set_step(fedc_model *m, uint64_t step) { m->step = step; }
