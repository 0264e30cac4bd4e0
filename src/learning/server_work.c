/* server_work.c — what the server runs: the initial state, the finalizer (the server optimizer
 * applied to the aggregated update; a non-finite update is rejected, the weights kept and the
 * rejection reported), and the metric finalizers.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fedc/learning_agg.h"
#include "learning/learning_int.h"

static fedc_status oom(fedc_ctx *ctx) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory in the server update");
}

static fedc_value *scalar_i32(fedc_ctx *ctx, int32_t v) {
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s, &v);
    fedc_value *out = NULL;
    fedc_value_tensor(ctx, &t, &out);
    return out;
}

/* A struct of n named items, releasing the items (NULL items mean memory ran out). */
static fedc_status make_struct(fedc_ctx *ctx, size_t n, fedc_value **items,
                               const char *const *names, fedc_value **out) {
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        ok &= items[i] != NULL;
    fedc_status st = ok ? fedc_value_struct(ctx, n, items, names, out) : oom(ctx);
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return st;
}

fedc_status fedc__aggregator_state(fedc_ctx *ctx, const fedc_learning_process *p, const float *est,
                                   fedc_value **out) {
    fedc_value *items[FEDC__AGG_MAX_DEPTH] = {0};
    const char *names[FEDC__AGG_MAX_DEPTH];
    for (int64_t i = 0; i < p->A; i++) {
        items[i] = fedc__scalar_value(ctx, FEDC_DTYPE_FLOAT32, &est[i]);
        names[i] = p->agg_names[i];
    }
    return make_struct(ctx, (size_t)p->A, items, names, out);
}

bool fedc__aggregator_values(const fedc_learning_process *p, const fedc_value *v, float *est) {
    for (int64_t i = 0; i < p->A; i++) {
        const float *e = fedc__scalar_of(fedc__field(v, p->agg_names[i]), FEDC_DTYPE_FLOAT32);
        if (!e) return false;
        est[i] = *e;
    }
    return true;
}

/* S = <global_model_weights=W, client_work=<hparams, round[, extra]>, [aggregator=<...>,]
 * finalizer=float32[F]>. */
static fedc_status make_state(fedc_ctx *ctx, const fedc_learning_process *p, fedc__state parts,
                              fedc_value **out) {
    const char *cw_names[3] = {"hparams", "round", p->extra_name};
    fedc_value *cw_items[3] = {parts.hparams, scalar_i32(ctx, parts.round), parts.extra};
    fedc_value *cw = NULL;
    if (!p->extra_name) {
        fedc_value_release(parts.extra);
        cw_items[2] = NULL;
    }
    if (!p->A) {
        fedc_value_release(parts.aggregator);
        parts.aggregator = NULL;
    }
    fedc_status st = make_struct(ctx, p->extra_name ? 3 : 2, cw_items, cw_names, &cw);
    if (st < 0) cw = NULL;
    const char *s_names[4] = {"global_model_weights", "client_work", "aggregator", "finalizer"};
    fedc_value *items[4] = {parts.weights, cw, parts.aggregator, parts.finalizer};
    if (!p->A) {
        s_names[2] = s_names[3];
        items[2] = items[3];
    }
    return make_struct(ctx, p->A ? 4 : 3, items, s_names, out);
}

/* With a schedule in the blob: hparams with the client learning rate of round `round`, as a new
 * vector value; otherwise a new reference to hparams. */
static fedc_status scheduled(fedc_ctx *ctx, const fedc_learning_process *p, const uint8_t *blob,
                             size_t blob_size, fedc_value *hparams, int64_t round,
                             fedc_value **out) {
    fedc__schedule sc;
    fedc_status st = fedc__schedule_from_blob(ctx, blob, blob_size, &sc);
    if (st < 0) return st;
    if (!sc.on || p->lr_index < 0) {
        *out = fedc_value_retain(hparams);
        return FEDC_STATUS_OK;
    }
    fedc_lr_schedule *s;
    if ((st = fedc_lr_schedule_create(ctx, &sc.opts, &s)) < 0) return st;
    float h[64];
    const float *cur = fedc__vector_of(hparams, p->H);
    if (!cur || p->H > 64) {
        fedc_lr_schedule_destroy(s);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "client hyperparameters: float32[%lld]",
                               (long long)p->H);
    }
    memcpy(h, cur, (size_t)p->H * sizeof(float));
    h[p->lr_index] = (float)fedc_lr_schedule_value(s, round);
    fedc_lr_schedule_destroy(s);
    return fedc__vector_value(ctx, h, p->H, out);
}

fedc_status fedc__native_init(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                              fedc_value *arg, fedc_value **out) {
    (void)arg;
    fedc_learning_process *p = user;
    fedc_value *weights = NULL;
    fedc_status st = fedc_learning_model_get_weights(ctx, p->model, &weights);
    if (st < 0) return st;
    if (fedc_algorithm_is_evaluation(p->opts.algorithm)) {
        *out = weights;
        return FEDC_STATUS_OK;
    }
    int64_t C = fedc_optimizer_state_size(p->client_opt);
    int64_t most = C > p->F ? C : p->F;
    float *tmp = fedc_malloc((size_t)(most > p->E ? most : p->E) * sizeof(float) + sizeof(float));
    if (!tmp) {
        fedc_value_release(weights);
        return oom(ctx);
    }
    fedc_value *hp = NULL, *fin = NULL;
    fedc_optimizer_init(p->client_opt, tmp);
    fedc_value *h0 = NULL;
    fedc__vector_value(ctx, tmp, p->H, &h0);
    st = h0 ? scheduled(ctx, p, blob, blob_size, h0, 0, &hp) : FEDC_STATUS_OK;
    fedc_value_release(h0);
    if (st < 0) {
        fedc_free(tmp);
        fedc_value_release(weights);
        return st;
    }
    /* MimeLite: the base optimizer's initial state after its hparams; SCAFFOLD: c = 0 */
    fedc_value *extra = NULL;
    if (p->extra_name) {
        fedc_optimizer_init(p->client_opt, tmp);
        fedc__vector_value(ctx, p->opts.algorithm == FEDC_ALGORITHM_MIME_LITE ? tmp + p->H : NULL,
                           p->E, &extra);
    }
    fedc_optimizer_init(p->server_opt, tmp);
    fedc__vector_value(ctx, tmp, p->F, &fin);
    fedc_free(tmp);
    fedc_value *agg = NULL;
    if (p->A && fedc__aggregator_state(ctx, p, p->agg_init, &agg) < 0) agg = NULL;
    return make_state(ctx, p,
                      (fedc__state){.weights = weights,
                                    .hparams = hp,
                                    .finalizer = fin,
                                    .extra = extra,
                                    .aggregator = agg,
                                    .round = 0},
                      out);
}

/* The parts of a state member, checked. */
typedef struct state_parts {
    fedc__state m;
    const float *trainable, *opt, *extra_data;
    float estimates[FEDC__AGG_MAX_DEPTH];
} state_parts;

static fedc_status read_state(fedc_ctx *ctx, const fedc_learning_process *p, fedc_value *s,
                              state_parts *out) {
    fedc_value *cw = fedc__field(s, "client_work");
    fedc__state *m = &out->m;
    m->weights = fedc__field(s, "global_model_weights");
    m->hparams = fedc__field(cw, "hparams");
    m->finalizer = fedc__field(s, "finalizer");
    m->aggregator = p->A ? fedc__field(s, "aggregator") : NULL;
    out->trainable = fedc__vector_of(fedc__field(m->weights, "trainable"), p->P);
    out->opt = fedc__vector_of(m->finalizer, p->F);
    m->extra = p->extra_name ? fedc__field(cw, p->extra_name) : NULL;
    out->extra_data = m->extra ? fedc__vector_of(m->extra, p->E) : NULL;
    const fedc_tensor *r = fedc__tensor_of(fedc__field(cw, "round"));
    if (!out->trainable || !out->opt || !fedc__vector_of(m->hparams, p->H) || !r ||
        (p->extra_name && !out->extra_data) || r->dtype != FEDC_DTYPE_INT32 || r->shape.rank != 0 ||
        !fedc__vector_of(fedc__field(m->weights, "non_trainable"), p->Q) ||
        (p->A && !fedc__aggregator_values(p, m->aggregator, out->estimates)))
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_TYPE,
            "not a state of this learning process (P=%lld, H=%lld, F=%lld%s%s%s%s)",
            (long long)p->P, (long long)p->H, (long long)p->F,
            p->extra_name ? ", client_work." : "", p->extra_name ? p->extra_name : "",
            p->extra_name ? " float32[E]" : "", p->A ? ", an aggregator state" : "");
    m->round = ((const int32_t *)r->data)[0];
    return FEDC_STATUS_OK;
}

fedc_status fedc__read_state(fedc_ctx *ctx, const fedc_learning_process *p, fedc_value *s,
                             fedc__state *out) {
    state_parts sp;
    fedc_status st = read_state(ctx, p, s, &sp);
    if (st >= 0) *out = sp.m;
    return st;
}

fedc_status fedc__make_state(fedc_ctx *ctx, const fedc_learning_process *p, fedc__state parts,
                             fedc_value **out) {
    return make_state(ctx, p, parts, out);
}

static fedc_value *scalar_f64(fedc_ctx *ctx, double v) {
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT64, &s, &v);
    fedc_value *out = NULL;
    fedc_value_tensor(ctx, &t, &out);
    return out;
}

/* With DP keys in the blob: *noisy = (sum + N(0, stddev^2) from (seed, round)) / denominator (a
 * buffer the caller frees), with stddev the value noise multiplier times the clip norm the round
 * applied (`clip`), *dp true, and *epsilon the privacy spent after this round (NaN without a
 * delta). Without them: nothing. */
static fedc_status dp_update(fedc_ctx *ctx, const fedc_learning_process *p, const uint8_t *blob,
                             size_t blob_size, const float *sum, int32_t round, double clip,
                             float **noisy, bool *dp, double *epsilon) {
    double zv, den, z, q, delta;
    int64_t seed;
    *noisy = NULL;
    *dp = fedc__blob_get_f64(blob, blob_size, "dp_value_multiplier", &zv);
    if (!*dp) return FEDC_STATUS_OK;
    if (!fedc__blob_get_f64(blob, blob_size, "dp_denominator", &den) ||
        !fedc__blob_get_i64(blob, blob_size, "dp_seed", &seed) ||
        !fedc__blob_get_f64(blob, blob_size, "dp_noise_multiplier", &z) ||
        !fedc__blob_get_f64(blob, blob_size, "dp_sampling_rate", &q) ||
        !fedc__blob_get_f64(blob, blob_size, "dp_delta", &delta) || !(den >= 1) || !(zv >= 0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "bad DP options in the computation");
    float *v = fedc_malloc((size_t)(p->P ? p->P : 1) * sizeof(float));
    if (!v) return oom(ctx);
    memcpy(v, sum, (size_t)p->P * sizeof(float));
    fedc_status st =
        fedc_dp_add_gaussian_noise(ctx, v, p->P, zv * clip, (uint64_t)seed, (uint64_t)round);
    float d = (float)den;
    for (int64_t i = 0; i < p->P; i++)
        v[i] /= d;
    if (st >= 0 && delta > 0) {
        fedc_rdp_accountant *acc = NULL;
        st = fedc_rdp_accountant_create(ctx, NULL, 0, &acc);
        if (st >= 0) st = fedc_rdp_accountant_add_steps(ctx, acc, z, q, (int64_t)round + 1);
        if (st >= 0) st = fedc_rdp_accountant_epsilon(ctx, acc, delta, epsilon, NULL);
        fedc_rdp_accountant_destroy(acc);
    }
    if (st < 0) {
        fedc_free(v);
        return st;
    }
    *noisy = v;
    return FEDC_STATUS_OK;
}

/* The clip norm the DP stage applied this round: its estimate (adaptive) or its fixed norm (0
 * without DP). */
static fedc_status dp_clip(fedc_ctx *ctx, const fedc_learning_process *p, const uint8_t *blob,
                           size_t blob_size, const float *estimates, double *clip) {
    char name[32];
    *clip = 0;
    if (fedc__blob_get_str(blob, blob_size, "dp_clip_state", name, sizeof name)) {
        for (int64_t i = 0; i < p->A; i++)
            if (!strcmp(p->agg_names[i], name)) {
                *clip = estimates[i];
                return FEDC_STATUS_OK;
            }
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "DP options name an aggregator state '%s' the process lacks", name);
    }
    fedc__blob_get_f64(blob, blob_size, "dp_clip", clip); /* absent without DP: 0 */
    return FEDC_STATUS_OK;
}

/* The next estimates of the adaptive norms (fedc/learning_agg.h's quantile estimation), from the
 * round's measurements: stage j counted its clients over the norm in `adapt<j>_count`. */
static fedc_status next_estimates(fedc_ctx *ctx, const fedc_learning_process *p,
                                  const uint8_t *blob, size_t blob_size, fedc_value *meas,
                                  int32_t round, float *est) {
    const fedc_tensor *k = fedc__tensor_of(fedc__field(meas, "clients"));
    double clients = k ? fedc_tensor_get_flat(k, 0) : -1;
    int64_t seed = 0;
    fedc__blob_get_i64(blob, blob_size, "adapt_seed", &seed);
    for (int64_t j = 0; j < p->A; j++) {
        char key[40], count_name[32];
        double quantile, lr, arith, stddev, expected;
        bool ok = true;
#define KEY(suffix) (snprintf(key, sizeof key, "adapt%lld_" suffix, (long long)j), key)
        ok &= fedc__blob_get_str(blob, blob_size, KEY("count"), count_name, sizeof count_name);
        ok &= fedc__blob_get_f64(blob, blob_size, KEY("quantile"), &quantile);
        ok &= fedc__blob_get_f64(blob, blob_size, KEY("lr"), &lr);
        ok &= fedc__blob_get_f64(blob, blob_size, KEY("arithmetic"), &arith);
        ok &= fedc__blob_get_f64(blob, blob_size, KEY("stddev"), &stddev);
        ok &= fedc__blob_get_f64(blob, blob_size, KEY("expected"), &expected);
#undef KEY
        const fedc_tensor *over = ok ? fedc__tensor_of(fedc__field(meas, count_name)) : NULL;
        if (!over || clients < 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "adaptive norm %lld: bad options or no count in the "
                                   "aggregate's measurements",
                                   (long long)j);
        if (clients == 0) continue; /* nothing was seen: keep the estimate */
        int64_t below = (int64_t)(clients - fedc_tensor_get_flat(over, 0));
        double fraction;
        fedc_status st;
        if (stddev > 0) {
            /* TFF's centred count: each client adds +-1/2, so the noise's sensitivity is 1/2 */
            st = fedc_quantile_noisy_fraction(ctx, below, expected, stddev, (uint64_t)seed,
                                              (uint64_t)round, &fraction);
            fraction += 0.5 - clients / (2 * expected);
        } else {
            st = fedc_quantile_noisy_fraction(ctx, below, clients, 0, 0, 0, &fraction);
        }
        fedc_quantile_opts qo = {quantile, lr, arith == 0};
        double e = est[j];
        if (st >= 0) st = fedc_quantile_update(ctx, &qo, fraction, &e);
        if (st < 0) return fedc_ctx_prefixf(ctx, "adaptive norm '%s'", p->agg_names[j]);
        est[j] = (float)e;
    }
    return FEDC_STATUS_OK;
}

/* MimeLite's and SCAFFOLD's third member of the client work state after a round, from the
 * aggregate's second vector (finite, checked by the caller): MimeLite advances the base
 * optimizer's state with the mean full gradient (the step's weights are thrown away, as the
 * state is all the clients are sent); SCAFFOLD adds (|S| / N) mean(delta c) to c. */
static fedc_status next_extra(fedc_ctx *ctx, const fedc_learning_process *p, const uint8_t *blob,
                              size_t blob_size, const state_parts *sp, const float *second,
                              double clients, fedc_value **out) {
    if (p->opts.algorithm == FEDC_ALGORITHM_SCAFFOLD) {
        int64_t population;
        if (!fedc__blob_get_i64(blob, blob_size, "population", &population) || population < 1)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "SCAFFOLD's server update: missing or bad 'population'");
        float *c = fedc_malloc((size_t)(p->E ? p->E : 1) * sizeof(float));
        if (!c) return oom(ctx);
        float scale = (float)(clients / (double)population);
        for (int64_t i = 0; i < p->E; i++)
            c[i] = sp->extra_data[i] + scale * second[i];
        fedc_status st = fedc__vector_value(ctx, c, p->E, out);
        fedc_free(c);
        return st;
    }
    int64_t C = fedc_optimizer_state_size(p->client_opt);
    float *state = fedc_malloc((size_t)C * sizeof(float));
    float *w = fedc_malloc((size_t)(p->P ? p->P : 1) * sizeof(float));
    fedc_status st = state && w ? FEDC_STATUS_OK : oom(ctx);
    if (st >= 0) {
        memcpy(state, fedc__vector_of(sp->m.hparams, p->H), (size_t)p->H * sizeof(float));
        memcpy(state + p->H, sp->extra_data, (size_t)p->E * sizeof(float));
        memcpy(w, sp->trainable, (size_t)p->P * sizeof(float));
        st = fedc_optimizer_next(ctx, p->client_opt, state, w, second);
    }
    if (st >= 0) st = fedc__vector_value(ctx, state + p->H, p->E, out);
    fedc_free(state);
    fedc_free(w);
    return st;
}

fedc_status fedc__native_server_update(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    state_parts sp;
    fedc_status st = read_state(ctx, p, fedc__field(arg, "state"), &sp);
    if (st < 0) return fedc_ctx_prefixf(ctx, "server update");
    fedc_value *agg = fedc__field(arg, "aggregate");
    const float *update = fedc__vector_of(fedc__field(agg, "update"), p->P);
    if (!update)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "server update: the aggregate has no update float32[%lld]",
                               (long long)p->P);
    /* DP: noise on the sum, then the average over the expected clients */
    double epsilon = NAN, clip;
    float *noisy = NULL;
    bool dp = false;
    st = dp_clip(ctx, p, blob, blob_size, sp.estimates, &clip);
    if (st >= 0)
        st = dp_update(ctx, p, blob, blob_size, update, sp.m.round, clip, &noisy, &dp, &epsilon);
    /* the adaptive norms move whether or not the update is applied */
    float est[FEDC__AGG_MAX_DEPTH];
    memcpy(est, sp.estimates, sizeof est);
    if (st >= 0 && p->A)
        st = next_estimates(ctx, p, blob, blob_size, fedc__field(agg, "measurements"), sp.m.round,
                            est);
    if (st < 0) {
        fedc_free(noisy);
        return fedc_ctx_prefixf(ctx, "server update");
    }
    if (noisy) update = noisy;
    const float *second = NULL;
    double clients = 0;
    if (p->second_name) {
        second = fedc__vector_of(fedc__field(agg, p->second_name), p->P);
        const fedc_tensor *k =
            fedc__tensor_of(fedc__field(fedc__field(agg, "measurements"), "clients"));
        if (!second || !k) {
            fedc_free(noisy);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                                   "server update: the aggregate has no %s float32[%lld] or no "
                                   "measurements.clients",
                                   p->second_name, (long long)p->P);
        }
        clients = fedc_tensor_get_flat(k, 0);
    }
    bool finite = true;
    for (int64_t i = 0; i < p->P && finite; i++)
        finite = isfinite(update[i]);
    for (int64_t i = 0; second && i < p->P && finite; i++)
        finite = isfinite(second[i]);
    fedc_value *weights = NULL, *fin = NULL, *extra = NULL, *aggst = NULL;
    if (finite) {
        float *w = fedc_malloc((size_t)(p->P ? p->P : 1) * sizeof(float));
        float *o = fedc_malloc((size_t)(p->F ? p->F : 1) * sizeof(float));
        if (!w || !o) st = oom(ctx);
        if (st >= 0) {
            memcpy(w, sp.trainable, (size_t)p->P * sizeof(float));
            memcpy(o, sp.opt, (size_t)p->F * sizeof(float));
            st = fedc_optimizer_next(ctx, p->server_opt, o, w, update);
        }
        fedc_value *tw = NULL;
        if (st >= 0) st = fedc__vector_value(ctx, w, p->P, &tw);
        if (st >= 0) st = fedc__vector_value(ctx, o, p->F, &fin);
        if (st >= 0 && second)
            st = next_extra(ctx, p, blob, blob_size, &sp, second, clients, &extra);
        fedc_free(w);
        fedc_free(o);
        if (st >= 0) {
            static const char *const wn[2] = {"trainable", "non_trainable"};
            fedc_value *wi[2] = {tw, fedc_value_retain(fedc__field(sp.m.weights, "non_trainable"))};
            st = make_struct(ctx, 2, wi, wn, &weights);
        } else {
            fedc_value_release(tw);
            fedc_value_release(fin);
            fedc_value_release(extra);
            fin = extra = NULL;
        }
    } else {
        weights = fedc_value_retain(sp.m.weights);
        fin = fedc_value_retain(sp.m.finalizer);
        extra = fedc_value_retain(sp.m.extra);
    }
    fedc_free(noisy);
    if (st >= 0 && p->A) st = fedc__aggregator_state(ctx, p, est, &aggst);
    if (st < 0) {
        fedc_value_release(weights);
        fedc_value_release(fin);
        fedc_value_release(extra);
        fedc_value_release(aggst);
        return fedc_ctx_prefixf(ctx, "server update");
    }
    fedc_value *state = NULL, *hp = NULL;
    st = scheduled(ctx, p, blob, blob_size, sp.m.hparams, sp.m.round + 1, &hp);
    if (st < 0) {
        fedc_value_release(weights);
        fedc_value_release(fin);
        fedc_value_release(extra);
        fedc_value_release(aggst);
        return st;
    }
    st = make_state(ctx, p,
                    (fedc__state){.weights = weights,
                                  .hparams = hp,
                                  .finalizer = fin,
                                  .extra = extra,
                                  .aggregator = aggst,
                                  .round = sp.m.round + 1},
                    &state);
    if (st < 0) return st;
    static const char *const mn[2] = {"update_non_finite", "dp_epsilon"};
    fedc_value *mi[2] = {scalar_i32(ctx, finite ? 0 : 1), dp ? scalar_f64(ctx, epsilon) : NULL};
    fedc_value *meas = NULL;
    st = make_struct(ctx, dp ? 2 : 1, mi, mn, &meas);
    if (st < 0) {
        fedc_value_release(state);
        return st;
    }
    static const char *const rn[2] = {"state", "measurements"};
    fedc_value *ri[2] = {state, meas};
    return make_struct(ctx, 2, ri, rn, out);
}

fedc_status fedc__native_finalize_metrics(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                          size_t blob_size, fedc_value *arg, fedc_value **out) {
    (void)blob, (void)blob_size;
    fedc_learning_process *p = user;
    const fedc_metric_set *set = p->model->metrics;
    const fedc_tensor *t = fedc_value_get_tensor(arg);
    size_t n = set ? fedc_metric_set_count(set) : 0;
    if (!t || t->dtype != FEDC_DTYPE_FLOAT64 || fedc_tensor_numel(t) != p->M)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "finalize metrics: expected float64[%lld]",
                               (long long)p->M);
    double results[64];
    if (n > 64) return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "more than 64 metrics");
    if (set) fedc_metric_set_finalize(set, t->data, results);
    fedc_value *items[64] = {0};
    const char *names[64];
    for (size_t i = 0; i < n; i++) {
        fedc_shape s = FEDC_SHAPE0;
        fedc_tensor v = fedc_tensor_view(FEDC_DTYPE_FLOAT64, &s, &results[i]);
        fedc_value_tensor(ctx, &v, &items[i]);
        names[i] = fedc_metric_set_name(set, i);
    }
    return make_struct(ctx, n, items, names, out);
}
