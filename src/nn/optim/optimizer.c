/* optimizer.c — optimizer objects: options and defaults, validation, the state layout
 * (hyperparameters, step counter, slots), hyperparameter access and the checked step.
 *
 * The update rules live one family per file (optim_sgd.c, optim_adam.c, ...); this file must
 * not contain arithmetic on parameters. Defaults and hyperparameter ranges are TFF's
 * (tensorflow_federated/python/learning/optimizers, the build_* docstrings).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/optim/optim_int.h"

static const char *const kind_names[FEDC_OPTIMIZER_COUNT] = {
    "sgd", "adam", "adamw", "adagrad", "yogi", "rmsprop", "adafactor",
};

const char *fedc_optimizer_kind_name(fedc_optimizer_kind kind) {
    if ((int)kind < 0 || kind >= FEDC_OPTIMIZER_COUNT) return "invalid";
    return kind_names[kind];
}

bool fedc_optimizer_kind_parse(const char *name, fedc_optimizer_kind *out) {
    if (!name) return false;
    if (strcmp(name, "sgdm") == 0) {
        *out = FEDC_OPTIMIZER_SGD;
        return true;
    }
    for (int k = 0; k < FEDC_OPTIMIZER_COUNT; k++) {
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (fedc_optimizer_kind)k;
            return true;
        }
    }
    return false;
}

fedc_optimizer_opts fedc_optimizer_opts_default(fedc_optimizer_kind kind) {
    fedc_optimizer_opts o;
    memset(&o, 0, sizeof o);
    if ((int)kind < 0 || kind >= FEDC_OPTIMIZER_COUNT) kind = FEDC_OPTIMIZER_SGD;
    o.kind = kind;
    o.learning_rate = 0.001; /* Keras's default; TFF makes the caller choose */
    o.beta_1 = 0.9;
    o.beta_2 = 0.999;
    o.epsilon = 1e-7;
    o.weight_decay = 0.004;               /* build_adamw */
    o.decay = 0.9;                        /* build_rmsprop */
    o.initial_preconditioner_value = 0.1; /* build_adagrad */
    o.beta_2_decay = -0.8;                /* build_adafactor */
    o.epsilon_1 = 1e-30;
    o.epsilon_2 = 1e-3;
    o.clip_threshold = 1.0;
    o.relative_step = true;
    switch (kind) {
    case FEDC_OPTIMIZER_SGD: o.learning_rate = 0.01; break; /* build_sgdm */
    case FEDC_OPTIMIZER_YOGI:
        /* build_yogi: epsilon 1e-3, initial_preconditioner_value 1e-6; "typically 10x the
         * learning rate used for Adam" */
        o.learning_rate = 0.01;
        o.epsilon = 1e-3;
        o.initial_preconditioner_value = 1e-6;
        break;
    default: break;
    }
    return o;
}

/* ---- hyperparameter checks ---------------------------------------------------------------- */

static bool rule_ok(fedc__hparam_rule rule, double v) {
    if (!isfinite(v)) return false;
    switch (rule) {
    case FEDC__RULE_NONNEG: return v >= 0;
    case FEDC__RULE_POSITIVE: return v > 0;
    case FEDC__RULE_NONPOS: return v <= 0;
    case FEDC__RULE_UNIT_OPEN: return v >= 0 && v < 1;
    case FEDC__RULE_UNIT_CLOSED: return v >= 0 && v <= 1;
    }
    return false;
}

static const char *rule_text(fedc__hparam_rule rule) {
    switch (rule) {
    case FEDC__RULE_NONNEG: return "a finite number >= 0";
    case FEDC__RULE_POSITIVE: return "a finite number > 0";
    case FEDC__RULE_NONPOS: return "a finite number <= 0";
    case FEDC__RULE_UNIT_OPEN: return "in [0, 1)";
    case FEDC__RULE_UNIT_CLOSED: return "in [0, 1]";
    }
    return "valid";
}

static fedc_status check_value(fedc_ctx *ctx, fedc_optimizer_kind kind, const char *name,
                               fedc__hparam_rule rule, double v) {
    if (rule_ok(rule, v)) return FEDC_STATUS_OK;
    return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: %s must be %s, got %g",
                           fedc_optimizer_kind_name(kind), name, rule_text(rule), v);
}

static void add_hparam(fedc_optimizer *o, const char *name, fedc__hparam_rule rule, double v) {
    o->hparam_names[o->nhparams] = name;
    o->hparam_rules[o->nhparams] = rule;
    o->hparam_init[o->nhparams] = v;
    o->nhparams++;
}

static void add_slot(fedc_optimizer *o, const char *name, int64_t length, float init) {
    o->slot_names[o->nslots] = name;
    o->slot_offset[o->nslots] = o->slots_size;
    o->slot_length[o->nslots] = length;
    o->slot_init[o->nslots] = init;
    o->slots_size += length;
    o->nslots++;
}

/* ---- segments (Adafactor's parameter shapes) ----------------------------------------------- */

int64_t fedc__adafactor_moments_size(const fedc_shape *shape) {
    int64_t numel = fedc_shape_numel(shape);
    if (shape->rank < 2) return numel;
    int64_t rows = shape->dims[shape->rank - 2], cols = shape->dims[shape->rank - 1];
    int64_t batch = numel / (rows * cols);
    return batch * (rows + cols);
}

static fedc_status check_segments(fedc_ctx *ctx, const fedc_optimizer_opts *opts, int64_t nparams) {
    if (opts->nsegments == 0) return FEDC_STATUS_OK;
    const char *kn = fedc_optimizer_kind_name(opts->kind);
    if (!opts->segments)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: nsegments is %zu but segments is NULL", kn, opts->nsegments);
    int64_t total = 0;
    for (size_t i = 0; i < opts->nsegments; i++) {
        const fedc_shape *s = &opts->segments[i];
        if (s->rank < 0 || s->rank > FEDC_MAX_RANK)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "%s: segment %zu has rank %d, expected 0..%d", kn, i, s->rank,
                                   FEDC_MAX_RANK);
        int64_t numel = 1;
        for (int d = 0; d < s->rank; d++) {
            if (s->dims[d] < 1 || s->dims[d] > INT64_MAX / numel)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                       "%s: segment %zu has dimension %d of size %lld, expected a "
                                       "positive size whose product fits in int64",
                                       kn, i, d, (long long)s->dims[d]);
            numel *= s->dims[d];
        }
        if (numel > INT64_MAX - total)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "%s: segment sizes overflow", kn);
        total += numel;
    }
    if (total != nparams)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "%s: the %zu segments hold %lld parameters, expected %lld", kn,
                               opts->nsegments, (long long)total, (long long)nparams);
    return FEDC_STATUS_OK;
}

/* ---- create / destroy ---------------------------------------------------------------------- */

/* Fills the hyperparameter table, slots and step function for the kind. */
static void describe(fedc_optimizer *o, const fedc_optimizer_opts *op) {
    int64_t n = o->nparams;
    add_hparam(o, "learning_rate", FEDC__RULE_NONNEG, op->learning_rate);
    switch (o->kind) {
    case FEDC_OPTIMIZER_SGD:
        if (op->momentum > 0) {
            add_hparam(o, "momentum", FEDC__RULE_UNIT_CLOSED, op->momentum);
            add_slot(o, "accumulator", n, 0.0f);
        }
        o->nesterov = op->nesterov;
        o->step = fedc__optim_sgd_step;
        break;
    case FEDC_OPTIMIZER_ADAM:
    case FEDC_OPTIMIZER_ADAMW:
    case FEDC_OPTIMIZER_YOGI:
        add_hparam(o, "beta_1", FEDC__RULE_UNIT_OPEN, op->beta_1);
        add_hparam(o, "beta_2", FEDC__RULE_UNIT_OPEN, op->beta_2);
        add_hparam(o, "epsilon", FEDC__RULE_NONNEG, op->epsilon);
        add_slot(o, "accumulator", n, 0.0f);
        if (o->kind == FEDC_OPTIMIZER_YOGI) {
            add_slot(o, "preconditioner", n, (float)op->initial_preconditioner_value);
            o->step = fedc__optim_yogi_step;
        } else {
            add_slot(o, "preconditioner", n, 0.0f);
            if (o->kind == FEDC_OPTIMIZER_ADAMW)
                add_hparam(o, "weight_decay", FEDC__RULE_NONNEG, op->weight_decay);
            o->step =
                o->kind == FEDC_OPTIMIZER_ADAM ? fedc__optim_adam_step : fedc__optim_adamw_step;
        }
        break;
    case FEDC_OPTIMIZER_ADAGRAD:
        add_hparam(o, "epsilon", FEDC__RULE_NONNEG, op->epsilon);
        add_slot(o, "preconditioner", n, (float)op->initial_preconditioner_value);
        o->step = fedc__optim_adagrad_step;
        break;
    case FEDC_OPTIMIZER_RMSPROP:
        add_hparam(o, "decay", FEDC__RULE_UNIT_OPEN, op->decay);
        add_hparam(o, "epsilon", FEDC__RULE_NONNEG, op->epsilon);
        add_slot(o, "preconditioner", n, 0.0f);
        o->step = fedc__optim_rmsprop_step;
        break;
    case FEDC_OPTIMIZER_ADAFACTOR: {
        add_hparam(o, "beta_2_decay", FEDC__RULE_NONPOS, op->beta_2_decay);
        add_hparam(o, "epsilon_1", FEDC__RULE_NONNEG, op->epsilon_1);
        add_hparam(o, "epsilon_2", FEDC__RULE_NONNEG, op->epsilon_2);
        add_hparam(o, "clip_threshold", FEDC__RULE_POSITIVE, op->clip_threshold);
        int64_t moments = 0;
        for (size_t i = 0; i < o->nsegments; i++)
            moments += fedc__adafactor_moments_size(&o->segments[i]);
        add_slot(o, "moments", moments, 0.0f);
        o->relative_step = op->relative_step;
        o->step = fedc__optim_adafactor_step;
        break;
    }
    case FEDC_OPTIMIZER_COUNT: break;
    }
}

fedc_status fedc_optimizer_create(fedc_ctx *ctx, const fedc_optimizer_opts *opts, int64_t nparams,
                                  fedc_optimizer **out) {
    *out = NULL;
    if (!opts) return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "optimizer: opts is NULL");
    if ((int)opts->kind < 0 || opts->kind >= FEDC_OPTIMIZER_COUNT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "optimizer: unknown kind %d, expected 0..%d", (int)opts->kind,
                               FEDC_OPTIMIZER_COUNT - 1);
    const char *kn = fedc_optimizer_kind_name(opts->kind);
    /* The state holds ~3 floats per parameter; keep its size far from overflow. */
    if (nparams < 0 || nparams > INT64_MAX / 8)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: parameter count %lld is out of range", kn, (long long)nparams);
    if (opts->kind == FEDC_OPTIMIZER_SGD && opts->nesterov && !(opts->momentum > 0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "sgd: nesterov needs momentum > 0, got momentum %g", opts->momentum);
    if (opts->kind == FEDC_OPTIMIZER_SGD && !(opts->momentum >= 0))
        return check_value(ctx, opts->kind, "momentum", FEDC__RULE_UNIT_CLOSED, opts->momentum);
    if (opts->kind == FEDC_OPTIMIZER_ADAGRAD) {
        fedc_status st = check_value(ctx, opts->kind, "initial_preconditioner_value",
                                     FEDC__RULE_NONNEG, opts->initial_preconditioner_value);
        if (st) return st;
    }
    if (opts->kind == FEDC_OPTIMIZER_YOGI) {
        fedc_status st = check_value(ctx, opts->kind, "initial_preconditioner_value",
                                     FEDC__RULE_POSITIVE, opts->initial_preconditioner_value);
        if (st) return st;
    }
    fedc_status st = check_segments(ctx, opts, nparams);
    if (st) return st;

    fedc_optimizer *o = fedc_calloc(1, sizeof *o);
    if (!o)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "%s: out of memory for the optimizer", kn);
    o->kind = opts->kind;
    o->nparams = nparams;
    if (opts->kind == FEDC_OPTIMIZER_ADAFACTOR) {
        /* One 1-D segment over the whole vector when no shapes were given. */
        size_t nseg = opts->nsegments ? opts->nsegments : 1;
        o->segments = fedc_calloc(nseg, sizeof *o->segments);
        if (!o->segments) {
            fedc_free(o);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "%s: out of memory for %zu segment shapes", kn, nseg);
        }
        if (opts->nsegments)
            memcpy(o->segments, opts->segments, nseg * sizeof *o->segments);
        else
            o->segments[0] = fedc_shape_make(1, &nparams);
        o->nsegments = nseg;
    }
    describe(o, opts);
    for (size_t i = 0; i < o->nhparams; i++) {
        st = check_value(ctx, o->kind, o->hparam_names[i], o->hparam_rules[i], o->hparam_init[i]);
        if (st) {
            fedc_optimizer_destroy(o);
            return st;
        }
    }
    *out = o;
    return FEDC_STATUS_OK;
}

void fedc_optimizer_destroy(fedc_optimizer *opt) {
    if (!opt) return;
    fedc_free(opt->segments);
    fedc_free(opt);
}

fedc_optimizer_kind fedc_optimizer_get_kind(const fedc_optimizer *opt) { return opt->kind; }

int64_t fedc_optimizer_nparams(const fedc_optimizer *opt) { return opt->nparams; }

/* State layout: [hparams][step low 24 bits, step high 24 bits][slots]. */
static int64_t slots_start(const fedc_optimizer *opt) { return (int64_t)opt->nhparams + 2; }

int64_t fedc_optimizer_state_size(const fedc_optimizer *opt) {
    return slots_start(opt) + opt->slots_size;
}

void fedc_optimizer_init(const fedc_optimizer *opt, float *state) {
    for (size_t i = 0; i < opt->nhparams; i++)
        state[i] = (float)opt->hparam_init[i];
    state[opt->nhparams] = 0.0f;
    state[opt->nhparams + 1] = 0.0f;
    float *slots = state + slots_start(opt);
    for (size_t s = 0; s < opt->nslots; s++) {
        float *p = slots + opt->slot_offset[s];
        for (int64_t i = 0; i < opt->slot_length[s]; i++)
            p[i] = opt->slot_init[s];
    }
}

int64_t fedc_optimizer_step_count(const fedc_optimizer *opt, const float *state) {
    double lo = state[opt->nhparams], hi = state[opt->nhparams + 1];
    if (!(lo >= 0 && lo < FEDC__OPTIM_STEP_SPLIT && floor(lo) == lo)) return -1;
    if (!(hi >= 0 && hi < FEDC__OPTIM_STEP_SPLIT && floor(hi) == hi)) return -1;
    return (int64_t)hi * (int64_t)FEDC__OPTIM_STEP_SPLIT + (int64_t)lo;
}

fedc_status fedc_optimizer_next(fedc_ctx *ctx, const fedc_optimizer *opt, float *state,
                                float *weights, const float *grads) {
    const char *kn = fedc_optimizer_kind_name(opt->kind);
    double h[FEDC__OPTIM_MAX_HPARAMS];
    for (size_t i = 0; i < opt->nhparams; i++) {
        h[i] = state[i];
        fedc_status st =
            check_value(ctx, opt->kind, opt->hparam_names[i], opt->hparam_rules[i], h[i]);
        if (st) {
            fedc_ctx_prefixf(ctx, "state");
            return st;
        }
    }
    int64_t step = fedc_optimizer_step_count(opt, state);
    if (step < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: the state's step counter (%g, %g) is not a count (was the "
                               "state averaged or overwritten?)",
                               kn, (double)state[opt->nhparams], (double)state[opt->nhparams + 1]);
    int64_t max = (int64_t)FEDC__OPTIM_STEP_SPLIT * (int64_t)FEDC__OPTIM_STEP_SPLIT - 1;
    if (step >= max)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                               "%s: the step counter is at its maximum %lld", kn, (long long)max);
    int64_t t = step + 1;
    opt->step(opt, h, t, state + slots_start(opt), weights, grads);
    state[opt->nhparams] = (float)(t % (int64_t)FEDC__OPTIM_STEP_SPLIT);
    state[opt->nhparams + 1] = (float)(t / (int64_t)FEDC__OPTIM_STEP_SPLIT);
    return FEDC_STATUS_OK;
}

/* ---- hyperparameters and slots by name ------------------------------------------------------- */

size_t fedc_optimizer_hparam_count(const fedc_optimizer *opt) { return opt->nhparams; }

const char *fedc_optimizer_hparam_name(const fedc_optimizer *opt, size_t i) {
    return i < opt->nhparams ? opt->hparam_names[i] : NULL;
}

/* "learning_rate, beta_1, ..." into buf, for messages. */
static void join_names(const char *const *names, size_t n, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (k < 0) break;
        used += (size_t)k;
    }
}

static fedc_status find_hparam(fedc_ctx *ctx, const fedc_optimizer *opt, const char *name,
                               size_t *index) {
    for (size_t i = 0; name && i < opt->nhparams; i++) {
        if (strcmp(name, opt->hparam_names[i]) == 0) {
            *index = i;
            return FEDC_STATUS_OK;
        }
    }
    char names[256];
    join_names(opt->hparam_names, opt->nhparams, names, sizeof names);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND,
                           "%s: unknown hyperparameter '%s' (it has: %s)",
                           fedc_optimizer_kind_name(opt->kind), name ? name : "(null)", names);
}

fedc_status fedc_optimizer_get_hparam(fedc_ctx *ctx, const fedc_optimizer *opt, const float *state,
                                      const char *name, double *out) {
    size_t i;
    fedc_status st = find_hparam(ctx, opt, name, &i);
    if (st) return st;
    *out = state[i];
    return FEDC_STATUS_OK;
}

fedc_status fedc_optimizer_set_hparam(fedc_ctx *ctx, const fedc_optimizer *opt, float *state,
                                      const char *name, double value) {
    size_t i;
    fedc_status st = find_hparam(ctx, opt, name, &i);
    if (st) return st;
    st = check_value(ctx, opt->kind, opt->hparam_names[i], opt->hparam_rules[i], value);
    if (st) return st;
    state[i] = (float)value;
    return FEDC_STATUS_OK;
}

fedc_status fedc_optimizer_slot(fedc_ctx *ctx, const fedc_optimizer *opt, const char *name,
                                int64_t *offset, int64_t *length) {
    for (size_t s = 0; name && s < opt->nslots; s++) {
        if (strcmp(name, opt->slot_names[s]) == 0) {
            *offset = slots_start(opt) + opt->slot_offset[s];
            *length = opt->slot_length[s];
            return FEDC_STATUS_OK;
        }
    }
    char names[256];
    join_names(opt->slot_names, opt->nslots, names, sizeof names);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "%s: unknown slot '%s' (it has: %s)",
                           fedc_optimizer_kind_name(opt->kind), name ? name : "(null)",
                           opt->nslots ? names : "no slots");
}
