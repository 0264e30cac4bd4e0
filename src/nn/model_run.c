/* model_run.c — running the Sequential model: forward (training or inference), backward into
 * the flat gradient buffer, predict.
 *
 * Every per-call buffer comes from the model's arena, reset at each forward, so a steady
 * training loop does not call malloc. Must not keep pointers to the caller's tensors.
 */
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

static float *arena_floats(fedc_arena *a, int64_t n) {
    return fedc_arena_alloc(a, (size_t)(n > 0 ? n : 1) * sizeof(float), 64);
}

/* "[?,28,28,1]" for a per-example shape. */
static void format_batched(const fedc_shape *s, char *buf, size_t size) {
    char inner[96];
    fedc_shape_format(s, inner, sizeof inner);
    snprintf(buf, size, "[?%s%s", s->rank ? "," : "]", s->rank ? inner + 1 : "");
}

/* Checks t is float32 [batch >= 1, per_example...] and returns the batch in *batch. */
static fedc_status check_batched(fedc_ctx *ctx, const char *what, const fedc_tensor *t,
                                 const fedc_shape *per_example, int64_t *batch) {
    if (t->dtype != FEDC_DTYPE_FLOAT32)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "model %s: expected float32, got %s", what,
                               fedc_dtype_name(t->dtype));
    bool ok = t->shape.rank == per_example->rank + 1 && t->shape.dims[0] >= 1;
    for (int i = 0; ok && i < per_example->rank; i++)
        ok = t->shape.dims[i + 1] == per_example->dims[i];
    if (!ok) {
        char want[128], got[96];
        format_batched(per_example, want, sizeof want);
        fedc_shape_format(&t->shape, got, sizeof got);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "model %s: expected shape %s, got %s", what,
                               want, got);
    }
    *batch = t->shape.dims[0];
    return FEDC_STATUS_OK;
}

static fedc_status oom(fedc_ctx *ctx, fedc_model *m, int64_t batch) {
    m->have_forward = false;
    return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                           "model forward: scratch for a batch of %lld", (long long)batch);
}

/* The forward pass. With borrow_input, a contiguous x is read in place instead of copied: only
 * for callers that run the backward before returning (x must outlive it) and then drop the
 * forward. */
static fedc_status forward_run(fedc_ctx *ctx, fedc_model *m, const fedc_tensor *x, bool training,
                               bool borrow_input, fedc_tensor *out) {
    int64_t batch;
    fedc_status st = check_batched(ctx, "input", x, &m->in_shape, &batch);
    if (st != FEDC_STATUS_OK) return st;
    int64_t widest = fedc_shape_numel(&m->in_shape);
    for (size_t i = 0; i < m->n; i++) {
        int64_t k = fedc_shape_numel(&m->layers[i].out_shape);
        if (k > widest) widest = k;
    }
    if (widest > 0 && batch > (INT64_MAX / 16) / widest)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "model forward: batch %lld too large", (long long)batch);
    m->have_forward = false;
    fedc_arena_reset(m->arena);
    int64_t temp = 0;
    for (size_t i = 0; i < m->n; i++) {
        const fedc_layer *l = &m->layers[i];
        int64_t t = l->ops->temp_size ? l->ops->temp_size(l, batch) : 0;
        if (t > temp) temp = t;
    }
    m->temp = arena_floats(m->arena, temp);
    if (!m->temp) return oom(ctx, m, batch);
    if (borrow_input && fedc_tensor_is_contiguous(x)) {
        /* Layers never write their input, so the caller's floats can stand in for the copy. */
        m->acts[0] = (float *)x->data;
    } else {
        m->acts[0] = arena_floats(m->arena, batch * fedc_shape_numel(&m->in_shape));
        if (!m->acts[0]) return oom(ctx, m, batch);
        fedc_tensor xin = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &x->shape, m->acts[0]);
        st = fedc_tensor_copy(ctx, &xin, x);
        if (st != FEDC_STATUS_OK) return st;
    }
    for (size_t i = 0; i < m->n; i++) {
        const fedc_layer *l = &m->layers[i];
        if (l->ops->output_is_input) {
            /* A view (Flatten, Reshape): the same floats, no copy. */
            m->acts[i + 1] = m->acts[i];
            m->saved[i] = NULL;
            continue;
        }
        m->acts[i + 1] = arena_floats(m->arena, batch * fedc_shape_numel(&l->out_shape));
        int64_t s = l->ops->saved_size ? l->ops->saved_size(l, batch) : 0;
        m->saved[i] = arena_floats(m->arena, s);
        if (!m->acts[i + 1] || !m->saved[i]) return oom(ctx, m, batch);
        if (l->ops->validate) {
            st = l->ops->validate(ctx, l, batch, m->acts[i]);
            if (st != FEDC_STATUS_OK) {
                m->have_forward = false;
                return st;
            }
        }
        fedc_layer_io io = {
            .batch = batch, .training = training, .saved = m->saved[i], .temp = m->temp};
        io.rng = FEDC_RNG(m->seed, m->step, (uint64_t)i, FEDC_RNG_PURPOSE_DROPOUT);
        l->ops->forward(l, &io, m->acts[i], m->acts[i + 1]);
    }
    if (training) m->step++;
    m->have_forward = true;
    m->training = training;
    m->batch = batch;
    fedc_shape os = fedc_model_output_shape(m);
    fedc_shape bs = os;
    bs.rank = os.rank + 1;
    bs.dims[0] = batch;
    for (int i = 0; i < os.rank; i++)
        bs.dims[i + 1] = os.dims[i];
    *out = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &bs, m->acts[m->n]);
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_forward(fedc_ctx *ctx, fedc_model *m, const fedc_tensor *x, bool training,
                               fedc_tensor *out) {
    return forward_run(ctx, m, x, training, false, out);
}

fedc_status fedc_model_backward(fedc_ctx *ctx, fedc_model *m, const fedc_tensor *dy) {
    if (!m->have_forward)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "model backward: no forward pass to go back through");
    fedc_shape os = fedc_model_output_shape(m);
    int64_t batch;
    fedc_status st = check_batched(ctx, "backward dy", dy, &os, &batch);
    if (st != FEDC_STATUS_OK) return st;
    if (batch != m->batch)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "model backward: dy has batch %lld, the last forward had %lld",
                               (long long)batch, (long long)m->batch);
    /* Everything allocated here is released at the end, so repeated backwards do not grow. */
    fedc_arena_mark mark = fedc_arena_mark_get(m->arena);
    int64_t widest = 0;
    for (size_t i = 0; i < m->n; i++) {
        int64_t k = fedc_shape_numel(&m->layers[i].in_shape);
        if (k > widest) widest = k;
    }
    float *buf[2] = {arena_floats(m->arena, batch * widest),
                     arena_floats(m->arena, batch * widest)};
    float *dy0 = arena_floats(m->arena, batch * fedc_shape_numel(&os));
    if (!buf[0] || !buf[1] || !dy0) {
        fedc_arena_rewind(m->arena, mark);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "model backward: scratch for a batch of %lld", (long long)batch);
    }
    fedc_tensor dyv = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &dy->shape, dy0);
    st = fedc_tensor_copy(ctx, &dyv, dy);
    if (st != FEDC_STATUS_OK) {
        fedc_arena_rewind(m->arena, mark);
        return st;
    }
    /* dx of each layer goes to whichever scratch buffer does not hold its dy; a view layer's
     * dx is its dy. */
    const float *cur = dy0;
    for (size_t k = m->n; k-- > 0;) {
        const fedc_layer *l = &m->layers[k];
        if (l->ops->output_is_input) continue;
        float *dx = k == 0 ? NULL : cur == buf[0] ? buf[1] : buf[0];
        fedc_layer_io io = {
            .batch = batch, .training = m->training, .saved = m->saved[k], .temp = m->temp};
        l->ops->backward(l, &io, m->acts[k], m->acts[k + 1], cur, dx);
        cur = dx;
    }
    fedc_arena_rewind(m->arena, mark);
    return FEDC_STATUS_OK;
}

/* Examples per forward in predict: bounds the scratch (a CNN's im2col grows with the batch). */
#define PREDICT_CHUNK 128

fedc_status fedc_model_predict(fedc_ctx *ctx, fedc_model *m, const fedc_tensor *x,
                               fedc_tensor *out) {
    int64_t batch;
    fedc_status st = check_batched(ctx, "input", x, &m->in_shape, &batch);
    if (st != FEDC_STATUS_OK) return st;
    fedc_shape os = fedc_model_output_shape(m), want = os;
    want.rank = os.rank + 1;
    want.dims[0] = batch;
    for (int i = 0; i < os.rank; i++)
        want.dims[i + 1] = os.dims[i];
    if (out->dtype != FEDC_DTYPE_FLOAT32 || !fedc_shape_equal(&out->shape, &want)) {
        char w[96], got[96];
        fedc_shape_format(&want, w, sizeof w);
        fedc_shape_format(&out->shape, got, sizeof got);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "model predict: out must be float32 %s, got %s %s", w,
                               fedc_dtype_name(out->dtype), got);
    }
    for (int64_t start = 0; start < batch; start += PREDICT_CHUNK) {
        int64_t stop = batch - start < PREDICT_CHUNK ? batch : start + PREDICT_CHUNK;
        fedc_tensor xs, os_view, y;
        st = fedc_tensor_slice(ctx, x, 0, start, stop, &xs);
        if (st == FEDC_STATUS_OK) st = fedc_model_forward(ctx, m, &xs, false, &y);
        if (st == FEDC_STATUS_OK) st = fedc_tensor_slice(ctx, out, 0, start, stop, &os_view);
        if (st == FEDC_STATUS_OK) st = fedc_tensor_copy(ctx, &os_view, &y);
        if (st != FEDC_STATUS_OK) return st;
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_gradients(fedc_ctx *ctx, fedc_model *m, const fedc_loss *loss,
                                 const fedc_tensor *x, const fedc_tensor *target,
                                 const fedc_tensor *sample_weight, double *loss_out) {
    /* x is read in place (it outlives this call's backward); the forward is dropped on the way
     * out so that no later backward can reach the caller's floats. */
    fedc_tensor y;
    fedc_status st = forward_run(ctx, m, x, true, true, &y);
    if (st != FEDC_STATUS_OK) return st;
    /* Allocated after the forward's buffers, so the next forward's reset releases it. */
    float *g = arena_floats(m->arena, fedc_tensor_numel(&y));
    if (!g) {
        m->have_forward = false;
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "model gradients: dL/dpred for a batch of %lld",
                               (long long)m->batch);
    }
    fedc_tensor dy = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &y.shape, g);
    st = fedc_loss_eval(ctx, loss, &y, target, sample_weight, loss_out, &dy);
    if (st == FEDC_STATUS_OK) st = fedc_model_backward(ctx, m, &dy);
    m->have_forward = false;
    m->acts[0] = NULL;
    return st;
}
