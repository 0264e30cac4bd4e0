/* agg_chain.c — an aggregator as the list of its stages, outermost first: the options checked,
 * the names its measurements and adaptive norms go by, and the aggregator state it needs. The
 * process text (process_text.c) writes each stage from this list; the server update reads the
 * adaptive norms' names and parameters from its blob.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learning/learning_int.h"

bool fedc__agg_robust(const fedc_aggregator *a) {
    return a->kind == FEDC_AGGREGATOR_MEDIAN || a->kind == FEDC_AGGREGATOR_TRIMMED_MEAN ||
           a->kind == FEDC_AGGREGATOR_KRUM;
}

static fedc_status check_estimate(fedc_ctx *ctx, const char *stage, const fedc_aggregator *a) {
    const fedc_norm_estimate *e = &a->estimate;
    if (!e->on) return FEDC_STATUS_OK;
    if (!(e->target_quantile >= 0 && e->target_quantile <= 1) || !(e->learning_rate >= 0) ||
        !isfinite(e->learning_rate) || !(e->multiplier > 0) || !isfinite(e->multiplier) ||
        !(e->increment >= 0) || !isfinite(e->increment) || !(e->count_stddev >= 0) ||
        !isfinite(e->count_stddev) || !(a->norm > 0) || !isfinite(a->norm))
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_INVALID_ARGUMENT,
            "aggregator: adaptive %s needs an initial norm > 0 (got %g), a target quantile in "
            "[0, 1] (got %g), a learning rate >= 0 (got %g), a multiplier > 0 (got %g), an "
            "increment >= 0 (got %g) and a count noise >= 0 (got %g)",
            stage, a->norm, e->target_quantile, e->learning_rate, e->multiplier, e->increment,
            e->count_stddev);
    return FEDC_STATUS_OK;
}

static fedc_status check_dp(fedc_ctx *ctx, const fedc_aggregator *a) {
    if (!(a->norm > 0) || !(a->noise_multiplier >= 0) || !isfinite(a->noise_multiplier) ||
        a->expected_clients < 1 || !(a->delta >= 0 && a->delta < 1) ||
        (a->delta > 0 && a->population < a->expected_clients))
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_INVALID_ARGUMENT,
            "aggregator: DP needs a clip norm > 0 (got %g), a noise multiplier >= 0 (got "
            "%g), expected clients >= 1 (got %lld), delta in [0, 1) (got %g) and, with "
            "delta, a population >= the expected clients (got %lld)",
            a->norm, a->noise_multiplier, (long long)a->expected_clients, a->delta,
            (long long)a->population);
    fedc_status st = check_estimate(ctx, "DP clipping", a);
    if (st < 0) return st;
    if (a->estimate.on && a->noise_multiplier > 0 &&
        !(2 * a->estimate.count_stddev > a->noise_multiplier))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "aggregator: adaptive DP needs a count noise above half the noise "
                               "multiplier (count noise %g, multiplier %g)",
                               a->estimate.count_stddev, a->noise_multiplier);
    if (a->estimate.on && a->estimate.multiplier != 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "aggregator: adaptive DP clips at the estimate itself "
                               "(multiplier 1), got multiplier %g",
                               a->estimate.multiplier);
    return FEDC_STATUS_OK;
}

static fedc_status check_robust(fedc_ctx *ctx, const fedc_aggregator *a) {
    if (a->capacity < 1 ||
        (a->kind == FEDC_AGGREGATOR_TRIMMED_MEAN &&
         !(a->trim_fraction >= 0 && a->trim_fraction < 0.5)) ||
        (a->kind == FEDC_AGGREGATOR_KRUM &&
         (a->byzantine < 0 || a->capacity < 2 * a->byzantine + 3 || a->krum_select < 1)))
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_INVALID_ARGUMENT,
            "aggregator: a robust aggregator needs capacity >= 1 (got %lld), a trim "
            "fraction in [0, 0.5) (got %g), and for Krum capacity >= 2 byzantine + 3 "
            "(byzantine %lld) and select >= 1 (got %lld)",
            (long long)a->capacity, a->trim_fraction, (long long)a->byzantine,
            (long long)a->krum_select);
    return FEDC_STATUS_OK;
}

int fedc__agg_modulus_bits(const fedc_aggregator *a) {
    int extra = 0;
    while (extra < 32 && ((int64_t)1 << extra) < a->capacity)
        extra++;
    return a->bits + extra;
}

/* A secure mean needs a bound: its own, or a clipping stage's before it (c holds those). */
static fedc_status check_secure(fedc_ctx *ctx, const fedc__agg_chain *c, const fedc_aggregator *a) {
    bool clipped = false;
    for (int i = 0; i < c->n; i++)
        clipped |= c->stage[i]->kind == FEDC_AGGREGATOR_CLIPPING;
    if (a->bits < 2 || a->bits > 24 || a->capacity < 1 || !(a->norm >= 0) || !isfinite(a->norm) ||
        (a->norm == 0 && !clipped) || fedc__agg_modulus_bits(a) > 31)
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_INVALID_ARGUMENT,
            "aggregator: a secure mean needs bits in [2, 24] (got %d), capacity >= 1 (got %lld) "
            "with bits + log2(capacity) <= 31, and a bound: norm > 0 (got %g) or a clipping "
            "stage before it",
            a->bits, (long long)a->capacity, a->norm);
    return FEDC_STATUS_OK;
}

fedc_status fedc__agg_chain_build(fedc_ctx *ctx, const fedc_aggregator *a, fedc__agg_chain *c) {
    memset(c, 0, sizeof *c);
    while (a) {
        if (c->n >= FEDC__AGG_MAX_DEPTH - 1)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "aggregator: nested deeper than %d", FEDC__AGG_MAX_DEPTH - 1);
        if ((unsigned)a->kind > FEDC_AGGREGATOR_SECURE_MEAN)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "aggregator: unknown kind %d",
                                   (int)a->kind);
        if (a->kind == FEDC_AGGREGATOR_CLIPPING || a->kind == FEDC_AGGREGATOR_ZEROING) {
            const char *what = a->kind == FEDC_AGGREGATOR_CLIPPING ? "clipping" : "zeroing";
            if (!(a->norm >= 0))
                return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                       "aggregator: %s norm must be >= 0, got %g", what, a->norm);
            fedc_status st = check_estimate(ctx, what, a);
            if (st < 0) return st;
        }
        if (a->kind == FEDC_AGGREGATOR_QUANTIZE &&
            (a->bits < 1 || a->bits > 16 || a->threshold < 0))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "aggregator: quantization needs bits in [1, 16] (got %d) and a "
                                   "threshold >= 0 (got %lld)",
                                   a->bits, (long long)a->threshold);
        if (a->kind == FEDC_AGGREGATOR_DP_GAUSSIAN) {
            fedc_status st = check_dp(ctx, a);
            if (st < 0) return st;
            /* the DP stage's clipping, written as a stage of its own */
            c->dp_clip = (fedc_aggregator){.kind = FEDC_AGGREGATOR_CLIPPING,
                                           .norm = a->norm,
                                           .inner = a,
                                           .estimate = a->estimate};
            c->stage[c->n++] = &c->dp_clip;
            c->stage[c->n++] = a;
            return FEDC_STATUS_OK;
        }
        if (a->kind == FEDC_AGGREGATOR_SECURE_MEAN) {
            fedc_status st = check_secure(ctx, c, a);
            if (st < 0) return st;
            c->stage[c->n++] = a;
            return FEDC_STATUS_OK;
        }
        if (fedc__agg_robust(a)) {
            fedc_status st = check_robust(ctx, a);
            if (st < 0) return st;
            c->stage[c->n++] = a;
            return FEDC_STATUS_OK;
        }
        c->stage[c->n++] = a;
        if (a->kind == FEDC_AGGREGATOR_MEAN || a->kind == FEDC_AGGREGATOR_SUM)
            return FEDC_STATUS_OK;
        a = a->inner;
    }
    static const fedc_aggregator mean = {.kind = FEDC_AGGREGATOR_MEAN, .norm = 0, .inner = NULL};
    c->stage[c->n++] = &mean;
    return FEDC_STATUS_OK;
}

bool fedc__agg_sums(const fedc__agg_chain *c) {
    const fedc_aggregator *last = c->stage[c->n - 1];
    return last->kind == FEDC_AGGREGATOR_SUM || last->kind == FEDC_AGGREGATOR_DP_GAUSSIAN ||
           last->kind == FEDC_AGGREGATOR_SECURE_MEAN || fedc__agg_robust(last);
}

bool fedc__agg_quantizes(const fedc__agg_chain *c) {
    for (int i = 0; i < c->n; i++)
        if (c->stage[i]->kind == FEDC_AGGREGATOR_QUANTIZE ||
            c->stage[i]->kind == FEDC_AGGREGATOR_SECURE_MEAN)
            return true;
    return false;
}

int fedc__agg_secure_bound_stage(const fedc__agg_chain *c) {
    for (int i = c->n - 2; i >= 0; i--)
        if (c->stage[i]->kind == FEDC_AGGREGATOR_CLIPPING) return i;
    return -1;
}

/* `base`, suffixed by how many earlier stages share stage i's kind. */
static void numbered(const fedc__agg_chain *c, int i, const char *base, char *buf, size_t cap) {
    int same = 0;
    for (int j = 0; j < i; j++)
        same += c->stage[j]->kind == c->stage[i]->kind;
    if (same)
        snprintf(buf, cap, "%s_%d", base, same);
    else
        snprintf(buf, cap, "%s", base);
}

void fedc__agg_count_name(const fedc__agg_chain *c, int i, char *buf, size_t cap) {
    numbered(c, i, c->stage[i]->kind == FEDC_AGGREGATOR_CLIPPING ? "clipped_count" : "zeroed_count",
             buf, cap);
}

void fedc__agg_norm_name(const fedc__agg_chain *c, int i, char *buf, size_t cap) {
    numbered(c, i, c->stage[i]->kind == FEDC_AGGREGATOR_CLIPPING ? "clipping_norm" : "zeroing_norm",
             buf, cap);
}

void fedc__agg_state_name(const fedc__agg_chain *c, int i, char *buf, size_t cap) {
    numbered(c, i, c->stage[i]->kind == FEDC_AGGREGATOR_CLIPPING ? "clipping" : "zeroing", buf,
             cap);
}

bool fedc__agg_counts(const fedc__agg_chain *c, int i) {
    return c->stage[i]->kind == FEDC_AGGREGATOR_CLIPPING ||
           c->stage[i]->kind == FEDC_AGGREGATOR_ZEROING;
}

bool fedc__agg_adaptive(const fedc__agg_chain *c, int i) {
    return fedc__agg_counts(c, i) && c->stage[i]->estimate.on;
}

fedc_status fedc__agg_plan(fedc_ctx *ctx, fedc_learning_process *p) {
    p->A = 0;
    if (fedc_algorithm_is_evaluation(p->opts.algorithm)) return FEDC_STATUS_OK;
    fedc__agg_chain c;
    fedc_status st = fedc__agg_chain_build(ctx, &p->opts.aggregator, &c);
    if (st < 0) return st;
    for (int i = 0; i < c.n; i++) {
        if (!fedc__agg_adaptive(&c, i)) continue;
        fedc__agg_state_name(&c, i, p->agg_names[p->A], sizeof p->agg_names[0]);
        p->agg_init[p->A++] = (float)c.stage[i]->norm;
    }
    return FEDC_STATUS_OK;
}
