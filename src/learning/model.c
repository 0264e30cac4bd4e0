/* model.c — the model interface (fedc/learning.h): wrapping an implementation, cloning it for
 * workers, forward passes that feed the metrics, and the weights as Federated Core values.
 */
#include <stdio.h>
#include <string.h>

#include "learning/learning_int.h"

static fedc_status copy_spec(fedc_ctx *ctx, fedc_learning_model *m, const fedc_input_spec *spec) {
    const char *x = spec->x_name ? spec->x_name : "x", *y = spec->y_name ? spec->y_name : "y";
    if (strlen(x) >= sizeof m->x_name || strlen(y) >= sizeof m->y_name)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "input spec: feature names longer than %zu bytes",
                               sizeof m->x_name - 1);
    m->spec = *spec;
    strcpy(m->x_name, x);
    strcpy(m->y_name, y);
    m->spec.x_name = m->x_name;
    m->spec.y_name = m->y_name;
    return FEDC_STATUS_OK;
}

fedc_status fedc_learning_model_create(fedc_ctx *ctx, const fedc_learning_model_ops *ops,
                                       void *self, const fedc_input_spec *spec,
                                       fedc_metric_set *metrics, fedc_learning_model **out) {
    *out = NULL;
    fedc_status st = FEDC_STATUS_OK;
    if (!ops || !ops->clone || !ops->destroy || !ops->num_trainable || !ops->num_non_trainable ||
        !ops->trainable || !ops->non_trainable || !ops->gradients || !ops->forward || !spec)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                             "a learning model needs every function of its ops and a spec");
    fedc_learning_model *m = st >= 0 ? fedc_calloc(1, sizeof *m) : NULL;
    if (st >= 0 && !m)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a model");
    if (st >= 0) st = copy_spec(ctx, m, spec);
    if (st < 0) {
        if (ops && ops->destroy) ops->destroy(self);
        fedc_metric_set_destroy(metrics);
        fedc_free(m);
        return st;
    }
    m->ops = ops;
    m->self = self;
    m->metrics = metrics;
    m->owns_metrics = true;
    *out = m;
    return FEDC_STATUS_OK;
}

void fedc_learning_model_destroy(fedc_learning_model *m) {
    if (!m) return;
    m->ops->destroy(m->self);
    if (m->owns_metrics) fedc_metric_set_destroy(m->metrics);
    fedc_free(m);
}

fedc_status fedc_learning_model_clone(fedc_ctx *ctx, const fedc_learning_model *m,
                                      fedc_learning_model **out) {
    *out = NULL;
    fedc_learning_model *c = fedc_malloc(sizeof *c);
    if (!c) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory cloning a model");
    *c = *m;
    c->spec.x_name = c->x_name;
    c->spec.y_name = c->y_name;
    c->owns_metrics = false;
    fedc_status st = m->ops->clone(ctx, m->self, &c->self);
    if (st < 0) {
        fedc_free(c);
        return st;
    }
    *out = c;
    return FEDC_STATUS_OK;
}

const fedc_input_spec *fedc_learning_model_spec(const fedc_learning_model *m) { return &m->spec; }
const fedc_metric_set *fedc_learning_model_metrics(const fedc_learning_model *m) {
    return m->metrics;
}
int64_t fedc_learning_model_num_trainable(const fedc_learning_model *m) {
    return m->ops->num_trainable(m->self);
}
int64_t fedc_learning_model_num_non_trainable(const fedc_learning_model *m) {
    return m->ops->num_non_trainable(m->self);
}
float *fedc_learning_model_trainable(fedc_learning_model *m) { return m->ops->trainable(m->self); }
float *fedc_learning_model_non_trainable(fedc_learning_model *m) {
    return m->ops->non_trainable(m->self);
}
float *fedc_learning_model_gradients(fedc_learning_model *m) { return m->ops->gradients(m->self); }

/* The metrics see rows of predictions: every axis but the last is flattened, and labels must be
 * int32 with one entry per row (sparse labels; other label kinds give the loss-only metrics a
 * batch without labels). */
static fedc_status update_metrics(fedc_ctx *ctx, const fedc_learning_model *m,
                                  const fedc_batch *batch, const fedc_forward_output *fo,
                                  double *state) {
    const fedc_tensor *p = &fo->predictions;
    fedc_metric_batch mb = {0};
    int64_t classes = p->shape.rank > 0 ? p->shape.dims[p->shape.rank - 1] : 1;
    int64_t rows = classes > 0 ? fedc_tensor_numel(p) / classes : 0;
    mb.batch_size = fo->num_examples;
    mb.loss = fo->loss;
    if (batch->y && batch->y->dtype == FEDC_DTYPE_INT32 && fedc_tensor_numel(batch->y) == rows &&
        p->dtype == FEDC_DTYPE_FLOAT32) {
        mb.batch_size = rows;
        mb.predictions = p->data;
        mb.num_classes = classes;
        mb.labels = batch->y->data;
    }
    return fedc_metric_set_update(ctx, m->metrics, state, &mb);
}

fedc_status fedc_learning_model_forward(fedc_ctx *ctx, fedc_learning_model *m,
                                        const fedc_batch *batch, const fedc_forward_opts *opts,
                                        double *metric_state, fedc_forward_output *out) {
    fedc_status st = m->ops->forward(ctx, m->self, batch, opts, out);
    if (st < 0 || !metric_state || !m->metrics) return st;
    return update_metrics(ctx, m, batch, out, metric_state);
}

fedc_status fedc__vector_value(fedc_ctx *ctx, const float *data, int64_t n, fedc_value **out) {
    fedc_shape s = FEDC_SHAPE(n);
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, (void *)data);
    if (data) return fedc_value_tensor(ctx, &t, out);
    fedc_tensor z;
    fedc_status st = fedc_tensor_alloc(ctx, &z, FEDC_DTYPE_FLOAT32, &s);
    if (st < 0) return st;
    st = fedc_value_tensor(ctx, &z, out);
    fedc_tensor_free(&z);
    return st;
}

const fedc_tensor *fedc__tensor_of(const fedc_value *v) {
    return v ? fedc_value_get_tensor(v) : NULL;
}

const void *fedc__typed_vector_of(const fedc_value *v, fedc_dtype dt, int64_t n) {
    const fedc_tensor *t = fedc__tensor_of(v);
    if (!t || t->dtype != dt || t->shape.rank != 1 || t->shape.dims[0] != n ||
        !fedc_tensor_is_contiguous(t))
        return NULL;
    return t->data;
}

const float *fedc__vector_of(const fedc_value *v, int64_t n) {
    return fedc__typed_vector_of(v, FEDC_DTYPE_FLOAT32, n);
}

fedc_status fedc__typed_vector_value(fedc_ctx *ctx, fedc_dtype dt, const void *data, int64_t n,
                                     fedc_value **out) {
    fedc_shape s = FEDC_SHAPE(n);
    fedc_tensor t = fedc_tensor_view(dt, &s, (void *)data);
    return fedc_value_tensor(ctx, &t, out);
}

const void *fedc__scalar_of(const fedc_value *v, fedc_dtype dt) {
    const fedc_tensor *t = fedc__tensor_of(v);
    return t && t->dtype == dt && t->shape.rank == 0 ? t->data : NULL;
}

fedc_value *fedc__scalar_value(fedc_ctx *ctx, fedc_dtype dt, const void *data) {
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(dt, &s, (void *)data);
    fedc_value *out = NULL;
    if (fedc_value_tensor(ctx, &t, &out) < 0) return NULL;
    return out;
}

fedc_value *fedc__field(const fedc_value *v, const char *name) {
    if (!v || fedc_value_get_kind(v) != FEDC_VALUE_STRUCT) return NULL;
    for (size_t i = 0; i < fedc_value_size(v); i++) {
        const char *n = fedc_value_name(v, i);
        if (n && strcmp(n, name) == 0) return fedc_value_item(v, i);
    }
    return NULL;
}

fedc_status fedc_learning_model_get_weights(fedc_ctx *ctx, fedc_learning_model *m,
                                            fedc_value **out) {
    fedc_value *items[2] = {NULL, NULL};
    static const char *const names[2] = {"trainable", "non_trainable"};
    fedc_status st = fedc__vector_value(ctx, fedc_learning_model_trainable(m),
                                        fedc_learning_model_num_trainable(m), &items[0]);
    if (st >= 0)
        st = fedc__vector_value(ctx, fedc_learning_model_non_trainable(m),
                                fedc_learning_model_num_non_trainable(m), &items[1]);
    if (st >= 0) st = fedc_value_struct(ctx, 2, items, names, out);
    fedc_value_release(items[0]);
    fedc_value_release(items[1]);
    return st;
}

fedc_status fedc_learning_model_set_weights(fedc_ctx *ctx, fedc_learning_model *m,
                                            const fedc_value *weights) {
    int64_t P = fedc_learning_model_num_trainable(m), Q = fedc_learning_model_num_non_trainable(m);
    const float *t = fedc__vector_of(fedc__field(weights, "trainable"), P);
    const float *n = fedc__vector_of(fedc__field(weights, "non_trainable"), Q);
    if (!t || !n)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "model weights: expected <trainable=float32[%lld],"
                               "non_trainable=float32[%lld]>",
                               (long long)P, (long long)Q);
    if (P) memcpy(fedc_learning_model_trainable(m), t, (size_t)P * sizeof(float));
    if (Q) memcpy(fedc_learning_model_non_trainable(m), n, (size_t)Q * sizeof(float));
    return FEDC_STATUS_OK;
}
