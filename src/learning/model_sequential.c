/* model_sequential.c — a Sequential model (fedc/nn.h) with a loss and metrics as a learning
 * model: TFF's from_keras_model.
 */
#include <string.h>

#include "learning/learning_int.h"

typedef struct seq_model {
    fedc_model *model;
    fedc_loss loss;
    float *dpred; /* dL/dpred, grown to the largest batch seen */
    int64_t dpred_cap;
} seq_model;

static void seq_destroy(void *self) {
    seq_model *s = self;
    if (!s) return;
    fedc_model_destroy(s->model);
    fedc_free(s->dpred);
    fedc_free(s);
}

static fedc_status seq_clone(fedc_ctx *ctx, const void *self, void **out) {
    const seq_model *s = self;
    seq_model *c = fedc_calloc(1, sizeof *c);
    if (!c) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory cloning a model");
    c->loss = s->loss;
    fedc_status st = fedc_model_clone(ctx, s->model, &c->model);
    if (st < 0) {
        fedc_free(c);
        return st;
    }
    *out = c;
    return FEDC_STATUS_OK;
}

static int64_t seq_num_trainable(const void *self) {
    return fedc_model_num_params(((const seq_model *)self)->model);
}
static int64_t seq_num_non_trainable(const void *self) {
    return fedc_model_num_state(((const seq_model *)self)->model);
}
static float *seq_trainable(void *self) { return fedc_model_params(((seq_model *)self)->model); }
static float *seq_non_trainable(void *self) { return fedc_model_state(((seq_model *)self)->model); }
static float *seq_gradients(void *self) { return fedc_model_grads(((seq_model *)self)->model); }

static fedc_status seq_forward(fedc_ctx *ctx, void *self, const fedc_batch *batch,
                               const fedc_forward_opts *opts, fedc_forward_output *out) {
    seq_model *s = self;
    fedc_model_set_step(s->model, opts->step_key);
    fedc_tensor y;
    fedc_status st =
        fedc_model_forward(ctx, s->model, batch->x, opts->training || opts->want_gradients, &y);
    if (st < 0) return st;
    fedc_tensor dy = {0}, *dyp = NULL;
    if (opts->want_gradients) {
        int64_t n = fedc_tensor_numel(&y);
        if (n > s->dpred_cap) {
            float *g = fedc_realloc(s->dpred, (size_t)n * sizeof(float));
            if (!g)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                       "out of memory for dL/dpred of a batch of %lld",
                                       (long long)batch->n);
            s->dpred = g;
            s->dpred_cap = n;
        }
        dy = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &y.shape, s->dpred);
        dyp = &dy;
    }
    st = fedc_loss_eval(ctx, &s->loss, &y, batch->y, NULL, &out->loss, dyp);
    if (st >= 0 && dyp) st = fedc_model_backward(ctx, s->model, dyp);
    out->num_examples = batch->n;
    out->predictions = y;
    return st;
}

static const fedc_learning_model_ops k_seq_ops = {
    "sequential",  seq_clone,         seq_destroy,   seq_num_trainable, seq_num_non_trainable,
    seq_trainable, seq_non_trainable, seq_gradients, seq_forward,
};

static fedc_status add_metrics(fedc_ctx *ctx, fedc_metric_set *set, const fedc_loss *loss,
                               const char *const *metrics, size_t n) {
    static const char *const sparse[] = {"sparse_categorical_accuracy", "loss"};
    static const char *const plain[] = {"loss"};
    bool is_sparse = loss->kind == FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    if (!metrics || n == 0) {
        metrics = is_sparse ? sparse : plain;
        n = is_sparse ? 2 : 1;
    }
    fedc_status st = FEDC_STATUS_OK;
    for (size_t i = 0; i < n && st >= 0; i++)
        st = fedc_metric_set_add_builtin(ctx, set, metrics[i]);
    static const char *const always[] = {"num_examples", "num_batches"};
    for (size_t i = 0; i < 2 && st >= 0; i++) {
        bool have = false;
        for (size_t j = 0; j < fedc_metric_set_count(set); j++)
            have |= strcmp(fedc_metric_set_name(set, j), always[i]) == 0;
        if (!have) st = fedc_metric_set_add_builtin(ctx, set, always[i]);
    }
    return st;
}

fedc_status fedc_learning_model_from_sequential(fedc_ctx *ctx, fedc_model *model,
                                                const fedc_loss *loss, const char *const *metrics,
                                                size_t nmetrics, const fedc_input_spec *spec,
                                                fedc_learning_model **out) {
    *out = NULL;
    fedc_input_spec sp;
    fedc_shape in = fedc_model_input_shape(model), outs = fedc_model_output_shape(model);
    bool sparse = loss->kind == FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
    if (spec) {
        sp = *spec;
    } else {
        memset(&sp, 0, sizeof sp);
        sp.x_shape = in;
        sp.y_dtype = sparse ? FEDC_DTYPE_INT32 : FEDC_DTYPE_FLOAT32;
        sp.y_shape = outs;
        if (sparse) sp.y_shape.rank = outs.rank - 1;
    }
    fedc_status st = FEDC_STATUS_OK;
    if (!fedc_shape_equal(&sp.x_shape, &in)) {
        char a[96], b[96];
        fedc_shape_format(&sp.x_shape, a, sizeof a);
        fedc_shape_format(&in, b, sizeof b);
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                             "input spec: x of per-example shape %s, but the model takes %s", a, b);
    }
    fedc_metric_set *set = NULL;
    if (st >= 0) st = fedc_metric_set_create(ctx, &set);
    if (st >= 0) st = add_metrics(ctx, set, loss, metrics, nmetrics);
    seq_model *s = st >= 0 ? fedc_calloc(1, sizeof *s) : NULL;
    if (st >= 0 && !s) st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    if (st < 0) {
        fedc_metric_set_destroy(set);
        fedc_model_destroy(model);
        return st;
    }
    s->model = model;
    s->loss = *loss;
    return fedc_learning_model_create(ctx, &k_seq_ops, s, &sp, set, out);
}

fedc_model *fedc_learning_model_sequential(fedc_learning_model *m) {
    return m && m->ops == &k_seq_ops ? ((seq_model *)m->self)->model : NULL;
}
