/* schedule.c — learning-rate schedules: constant, exponential decay, inverse time decay, cosine
 * decay and piecewise constant, with Keras's formulas (keras.optimizers.schedules.*).
 *
 * A schedule is immutable after creation; value() must stay a pure function of the step (no
 * state, no allocation), so a server can recompute the rate of any round after a restart.
 */
#include <math.h>
#include <string.h>

#include "nn/optim/optim_int.h"

struct fedc_lr_schedule {
    fedc_lr_schedule_opts opts; /* boundaries and values point into the arrays below */
    int64_t *boundaries;
    double *values;
};

fedc_lr_schedule_opts fedc_lr_schedule_opts_default(void) {
    fedc_lr_schedule_opts o;
    memset(&o, 0, sizeof o);
    o.kind = FEDC_LR_SCHEDULE_CONSTANT;
    o.initial_learning_rate = 0.01;
    o.decay_steps = 1000;
    o.decay_rate = 0.96;
    o.alpha = 0.0;
    return o;
}

static fedc_status bad(fedc_ctx *ctx, const char *what, double value, const char *expected) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                           "learning-rate schedule: %s must be %s, got %g", what, expected, value);
}

static fedc_status check(fedc_ctx *ctx, const fedc_lr_schedule_opts *o) {
    if ((int)o->kind < 0 || o->kind >= FEDC_LR_SCHEDULE_COUNT)
        return bad(ctx, "kind", (double)o->kind, "0..4");
    if (o->kind == FEDC_LR_SCHEDULE_PIECEWISE_CONSTANT) {
        if (!o->values || (o->nboundaries > 0 && !o->boundaries))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "learning-rate schedule: piecewise constant needs %zu "
                                   "boundaries and %zu values, got NULL",
                                   o->nboundaries, o->nboundaries + 1);
        for (size_t i = 0; i <= o->nboundaries; i++)
            if (!(isfinite(o->values[i]) && o->values[i] >= 0))
                return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                       "learning-rate schedule: values[%zu] must be a finite "
                                       "number >= 0, got %g",
                                       i, o->values[i]);
        for (size_t i = 1; i < o->nboundaries; i++)
            if (o->boundaries[i] <= o->boundaries[i - 1])
                return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                       "learning-rate schedule: boundaries must increase, got "
                                       "boundaries[%zu] = %lld after %lld",
                                       i, (long long)o->boundaries[i],
                                       (long long)o->boundaries[i - 1]);
        return FEDC_STATUS_OK;
    }
    if (!(isfinite(o->initial_learning_rate) && o->initial_learning_rate >= 0))
        return bad(ctx, "initial_learning_rate", o->initial_learning_rate, "a finite number >= 0");
    if (o->kind == FEDC_LR_SCHEDULE_CONSTANT) return FEDC_STATUS_OK;
    if (o->decay_steps <= 0) return bad(ctx, "decay_steps", (double)o->decay_steps, "> 0");
    if (o->kind == FEDC_LR_SCHEDULE_EXPONENTIAL_DECAY &&
        !(isfinite(o->decay_rate) && o->decay_rate > 0))
        return bad(ctx, "decay_rate", o->decay_rate, "a finite number > 0");
    if (o->kind == FEDC_LR_SCHEDULE_INVERSE_TIME_DECAY &&
        !(isfinite(o->decay_rate) && o->decay_rate >= 0))
        return bad(ctx, "decay_rate", o->decay_rate, "a finite number >= 0");
    if (o->kind == FEDC_LR_SCHEDULE_COSINE_DECAY && !(o->alpha >= 0 && o->alpha <= 1))
        return bad(ctx, "alpha", o->alpha, "in [0, 1]");
    return FEDC_STATUS_OK;
}

fedc_status fedc_lr_schedule_create(fedc_ctx *ctx, const fedc_lr_schedule_opts *opts,
                                    fedc_lr_schedule **out) {
    *out = NULL;
    if (!opts)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "learning-rate schedule: opts is NULL");
    fedc_status st = check(ctx, opts);
    if (st) return st;
    fedc_lr_schedule *s = fedc_calloc(1, sizeof *s);
    if (!s)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "learning-rate schedule: out of memory");
    s->opts = *opts;
    s->opts.boundaries = NULL;
    s->opts.values = NULL;
    if (opts->kind == FEDC_LR_SCHEDULE_PIECEWISE_CONSTANT) {
        size_t nb = opts->nboundaries;
        s->values = fedc_calloc(nb + 1, sizeof *s->values);
        s->boundaries = nb ? fedc_calloc(nb, sizeof *s->boundaries) : NULL;
        if (!s->values || (nb && !s->boundaries)) {
            fedc_lr_schedule_destroy(s);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "learning-rate schedule: out of memory for %zu pieces", nb + 1);
        }
        memcpy(s->values, opts->values, (nb + 1) * sizeof *s->values);
        if (nb) memcpy(s->boundaries, opts->boundaries, nb * sizeof *s->boundaries);
        s->opts.boundaries = s->boundaries;
        s->opts.values = s->values;
    }
    *out = s;
    return FEDC_STATUS_OK;
}

void fedc_lr_schedule_destroy(fedc_lr_schedule *schedule) {
    if (!schedule) return;
    fedc_free(schedule->boundaries);
    fedc_free(schedule->values);
    fedc_free(schedule);
}

double fedc_lr_schedule_value(const fedc_lr_schedule *schedule, int64_t step) {
    const fedc_lr_schedule_opts *o = &schedule->opts;
    if (step < 0) step = 0;
    double lr = o->initial_learning_rate;
    double p = (double)step / (double)o->decay_steps;
    switch (o->kind) {
    case FEDC_LR_SCHEDULE_CONSTANT: return lr;
    case FEDC_LR_SCHEDULE_EXPONENTIAL_DECAY:
        /* ExponentialDecay: lr * rate^(step / decay_steps), floored when staircase */
        if (o->staircase) p = (double)(step / o->decay_steps);
        return lr * pow(o->decay_rate, p);
    case FEDC_LR_SCHEDULE_INVERSE_TIME_DECAY:
        /* InverseTimeDecay: lr / (1 + rate * step / decay_steps), floored when staircase */
        if (o->staircase) p = (double)(step / o->decay_steps);
        return lr / (1.0 + o->decay_rate * p);
    case FEDC_LR_SCHEDULE_COSINE_DECAY: {
        /* CosineDecay (no warmup): the step is clamped to decay_steps */
        if (step > o->decay_steps) p = 1.0;
        const double pi = 3.14159265358979323846;
        double cosine = 0.5 * (1.0 + cos(pi * p));
        return lr * ((1.0 - o->alpha) * cosine + o->alpha);
    }
    case FEDC_LR_SCHEDULE_PIECEWISE_CONSTANT: {
        /* PiecewiseConstantDecay: values[0] while step <= boundaries[0], values[i] while
         * boundaries[i-1] < step <= boundaries[i], the last value after the last boundary */
        size_t i = 0;
        while (i < o->nboundaries && step > o->boundaries[i])
            i++;
        return o->values[i];
    }
    case FEDC_LR_SCHEDULE_COUNT: break;
    }
    return lr;
}
