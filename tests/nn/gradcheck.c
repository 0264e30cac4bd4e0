/* gradcheck.c — finite-difference gradient checks shared by the nn tests (see gradcheck.h).
 *
 * Runs the layer's forward and backward through its public vtable with buffers of its own, so
 * the input gradient (which a model drops at its first layer) is checked too.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gradcheck.h"

#define GC_MAX_CHECKS 300

void gc_fill(float *x, int64_t n, float lo, float hi, uint64_t key) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), key, FEDC_RNG_PURPOSE_TEST);
    for (int64_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * fedc_rng_uniform(&r);
}

float *gc_floats(int64_t n) {
    float *p = calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    if (!p) FAIL("out of memory for %lld floats", (long long)n);
    return p;
}

typedef struct gc_state {
    const fedc_layer *l;
    int64_t batch, nin, nout;
    bool training;
    float *x, *y, *saved, *temp, *r;
} gc_state;

/* L = sum r*y after a forward with the same dropout stream every time. */
static double objective(gc_state *s) {
    fedc_layer_io io = {
        .batch = s->batch, .training = s->training, .saved = s->saved, .temp = s->temp};
    io.rng = FEDC_RNG(7, 0, 0, FEDC_RNG_PURPOSE_DROPOUT);
    s->l->ops->forward(s->l, &io, s->x, s->y);
    double sum = 0.0;
    for (int64_t i = 0; i < s->nout; i++)
        sum += (double)s->r[i] * s->y[i];
    return sum;
}

/* Points where a kink (relu at 0, a near tie in a max window) lies within the step give
 * one-sided differences that disagree; those are skipped, and at most half may be. */
static void compare(const char *what, float *v, int64_t n, const float *analytic, gc_state *s,
                    double atol, double rtol) {
    int64_t step = n > GC_MAX_CHECKS ? n / GC_MAX_CHECKS : 1, checked = 0, skipped = 0;
    for (int64_t i = 0; i < n; i += step) {
        float keep = v[i];
        float h = 2e-3f * (fabsf(keep) > 1.0f ? fabsf(keep) : 1.0f);
        float up = keep + h, down = keep - h;
        double mid = objective(s);
        v[i] = up;
        double hi = objective(s);
        v[i] = down;
        double lo = objective(s);
        v[i] = keep;
        double num = (hi - lo) / ((double)up - (double)down);
        double fwd = (hi - mid) / ((double)up - keep), bwd = (mid - lo) / ((double)keep - down);
        checked++;
        if (fabs(fwd - bwd) > atol + rtol * fabs(num)) {
            skipped++;
            continue;
        }
        double err = fabs(num - analytic[i]);
        if (!(err <= atol + rtol * fabs(num)))
            FAIL("%s layer: d/d%s[%lld]: analytic %.7g, numeric %.7g (error %.3g)",
                 s->l->ops->class_name, what, (long long)i, (double)analytic[i], num, err);
    }
    if (skipped * 2 > checked)
        FAIL("%s layer: d/d%s: %lld of %lld points skipped as kinks", s->l->ops->class_name, what,
             (long long)skipped, (long long)checked);
}

/* vocab > 0: inputs are token ids below vocab, and only parameter gradients are checked. */
static void check_layer(fedc_ctx *ctx, fedc_layer_spec spec, fedc_shape in_shape, int64_t batch,
                        bool training, double atol, double rtol, int64_t vocab) {
    fedc_model *m = NULL;
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = fedc_test_seed();
    ASSERT_OK(fedc_model_create(ctx, &in_shape, &spec, 1, &o, &m));
    gc_state s = {.l = fedc_model_layer(m, 0), .batch = batch, .training = training};
    s.nin = batch * fedc_shape_numel(&in_shape);
    s.nout = batch * fedc_shape_numel(&s.l->out_shape);
    int64_t ns = s.l->ops->saved_size ? s.l->ops->saved_size(s.l, batch) : 0;
    int64_t nt = s.l->ops->temp_size ? s.l->ops->temp_size(s.l, batch) : 0;
    s.x = gc_floats(s.nin);
    s.y = gc_floats(s.nout);
    s.r = gc_floats(s.nout);
    s.saved = gc_floats(ns);
    s.temp = gc_floats(nt);
    float *dx = gc_floats(s.nin);
    int64_t np = s.l->param_count;
    float *dp = gc_floats(np);
    gc_fill(s.x, s.nin, -1.0f, 1.0f, 1);
    if (vocab > 0)
        for (int64_t i = 0; i < s.nin; i++)
            s.x[i] = floorf((s.x[i] + 1.0f) * 0.5f * (float)vocab);
    gc_fill(s.r, s.nout, -1.0f, 1.0f, 2);
    /* Biases start at zero: move them off it so their gradient path is exercised. */
    if (np) gc_fill(s.l->params, np, -0.5f, 0.5f, 3);
    objective(&s);
    fedc_layer_io io = {.batch = batch, .training = training, .saved = s.saved, .temp = s.temp};
    s.l->ops->backward(s.l, &io, s.x, s.y, s.r, dx);
    if (np) memcpy(dp, s.l->grads, (size_t)np * sizeof(float));
    if (vocab == 0) compare("x", s.x, s.nin, dx, &s, atol, rtol);
    if (np) compare("params", s.l->params, np, dp, &s, atol, rtol);
    free(s.x);
    free(s.y);
    free(s.r);
    free(s.saved);
    free(s.temp);
    free(dx);
    free(dp);
    fedc_model_destroy(m);
}

void gc_check_layer(fedc_ctx *ctx, fedc_layer_spec spec, fedc_shape in_shape, int64_t batch,
                    bool training, double atol, double rtol) {
    check_layer(ctx, spec, in_shape, batch, training, atol, rtol, 0);
}

void gc_check_layer_ids(fedc_ctx *ctx, fedc_layer_spec spec, fedc_shape in_shape, int64_t batch,
                        int64_t vocab, double atol, double rtol) {
    check_layer(ctx, spec, in_shape, batch, true, atol, rtol, vocab);
}

void gc_check_loss(fedc_ctx *ctx, const fedc_loss *loss, const fedc_tensor *pred,
                   const fedc_tensor *target, const fedc_tensor *sample_weight, double atol,
                   double rtol) {
    fedc_tensor g;
    ASSERT_OK(fedc_tensor_alloc(ctx, &g, FEDC_DTYPE_FLOAT32, &pred->shape));
    double base;
    ASSERT_OK(fedc_loss_eval(ctx, loss, pred, target, sample_weight, &base, &g));
    float *p = pred->data, *ga = g.data;
    int64_t n = fedc_tensor_numel(pred);
    for (int64_t i = 0; i < n; i++) {
        float keep = p[i];
        float up = keep + 1e-3f, down = keep - 1e-3f;
        double hi, lo;
        p[i] = up;
        ASSERT_OK(fedc_loss_eval(ctx, loss, pred, target, sample_weight, &hi, NULL));
        p[i] = down;
        ASSERT_OK(fedc_loss_eval(ctx, loss, pred, target, sample_weight, &lo, NULL));
        p[i] = keep;
        double num = (hi - lo) / ((double)up - (double)down);
        double err = fabs(num - ga[i]);
        if (!(err <= atol + rtol * fabs(num)))
            FAIL("%s (from_logits=%d): d/dpred[%lld]: analytic %.7g, numeric %.7g",
                 fedc_loss_name(loss->kind), (int)loss->from_logits, (long long)i, (double)ga[i],
                 num);
    }
    fedc_tensor_free(&g);
}
