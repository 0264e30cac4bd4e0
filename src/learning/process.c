/* process.c — learning processes (fedc/learning.h): options and defaults, building the module
 * and its natives, and running initialize and next through the executor; the state accessors.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learning/learning_int.h"

fedc_client_work_opts fedc_client_work_opts_default(void) {
    fedc_client_work_opts o;
    memset(&o, 0, sizeof o);
    o.optimizer = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.optimizer.learning_rate = 0.1;
    o.epochs = 1;
    o.batch_size = 20;
    o.max_batches = -1;
    o.weighting = FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES;
    return o;
}

fedc_aggregator fedc_aggregator_mean(void) {
    fedc_aggregator a = {.kind = FEDC_AGGREGATOR_MEAN, .norm = 0, .inner = NULL};
    return a;
}

bool fedc_algorithm_is_evaluation(fedc_algorithm a) {
    return a == FEDC_ALGORITHM_FED_EVAL || a == FEDC_ALGORITHM_PERSONALIZATION_EVAL;
}

fedc_aggregator fedc_aggregator_dp_gaussian(double noise_multiplier, double clip,
                                            int64_t expected_clients, int64_t population,
                                            double delta) {
    fedc_aggregator a = {0};
    a.kind = FEDC_AGGREGATOR_DP_GAUSSIAN;
    a.norm = clip;
    a.noise_multiplier = noise_multiplier;
    a.expected_clients = expected_clients;
    a.population = population;
    a.delta = delta;
    return a;
}

fedc_process_opts fedc_process_opts_default(fedc_algorithm algorithm) {
    fedc_process_opts o;
    memset(&o, 0, sizeof o);
    o.algorithm = algorithm;
    o.client = fedc_client_work_opts_default();
    o.server_optimizer = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.server_optimizer.learning_rate = algorithm == FEDC_ALGORITHM_FED_SGD ? 0.1 : 1.0;
    o.aggregator = fedc_aggregator_mean();
    o.personalization_test_fraction = 0.2;
    if (algorithm == FEDC_ALGORITHM_SCAFFOLD) /* the paper averages clients uniformly */
        o.client.weighting = FEDC_CLIENT_WEIGHTING_UNIFORM;
    return o;
}

const char *fedc__algorithm_word(fedc_algorithm a) {
    switch (a) {
    case FEDC_ALGORITHM_FED_AVG: return "fed_avg";
    case FEDC_ALGORITHM_FED_SGD: return "fed_sgd";
    case FEDC_ALGORITHM_FED_PROX: return "fed_prox";
    case FEDC_ALGORITHM_FED_EVAL: return "fed_eval";
    case FEDC_ALGORITHM_PERSONALIZATION_EVAL: return "personalization_eval";
    case FEDC_ALGORITHM_MIME_LITE: return "mime_lite";
    case FEDC_ALGORITHM_SCAFFOLD: return "scaffold";
    }
    return "invalid";
}

static fedc_status check_opts(fedc_ctx *ctx, const fedc_process_opts *o) {
    const fedc_client_work_opts *c = &o->client;
    if (!(o->personalization_test_fraction >= 0 && o->personalization_test_fraction <= 1))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "personalization test fraction must be in [0, 1], got %g",
                               o->personalization_test_fraction);
    if ((unsigned)o->algorithm > FEDC_ALGORITHM_SCAFFOLD)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "unknown algorithm %d",
                               (int)o->algorithm);
    bool two_vectors =
        o->algorithm == FEDC_ALGORITHM_MIME_LITE || o->algorithm == FEDC_ALGORITHM_SCAFFOLD;
    /* the second vector (gradient, control delta) is averaged unclipped and unnoised */
    if (two_vectors && o->aggregator.kind == FEDC_AGGREGATOR_DP_GAUSSIAN)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: a DP aggregator would not cover the clients' %s",
                               fedc__algorithm_word(o->algorithm),
                               o->algorithm == FEDC_ALGORITHM_SCAFFOLD ? "control deltas"
                                                                       : "full gradients");
    if (o->algorithm == FEDC_ALGORITHM_SCAFFOLD) {
        if (o->population < 1)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "scaffold: population must be >= 1, got %lld",
                                   (long long)o->population);
        if (c->optimizer.kind != FEDC_OPTIMIZER_SGD || c->optimizer.momentum != 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "scaffold: the client optimizer must be sgd without momentum "
                                   "(option II's control variates assume it), got %s momentum %g",
                                   fedc_optimizer_kind_name(c->optimizer.kind),
                                   c->optimizer.momentum);
    }
    const fedc_metrics_aggregator *ma = &o->metrics_aggregator;
    if ((unsigned)ma->kind > FEDC_METRICS_FINALIZE_THEN_SAMPLE || !(ma->secure_upper >= 0) ||
        !isfinite(ma->secure_upper) || ma->sample_size < 0 || ma->sample_size > 100000)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "metrics aggregation: kind %d, a secure upper bound >= 0 (got %g) "
                               "and a sample size in [0, 100000] (got %lld) are needed",
                               (int)ma->kind, ma->secure_upper, (long long)ma->sample_size);
    if (c->epochs < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client epochs must be >= 1, got %lld", (long long)c->epochs);
    if (c->batch_size < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client batch size must be >= 1, got %lld",
                               (long long)c->batch_size);
    if (c->shuffle_buffer < 0 || c->max_batches < -1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client shuffle buffer must be >= 0 and max batches >= -1");
    if (!(c->proximal_strength >= 0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "proximal strength must be >= 0, got %g", c->proximal_strength);
    if ((unsigned)c->weighting > FEDC_CLIENT_WEIGHTING_UNIFORM)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "unknown client weighting %d",
                               (int)c->weighting);
    return FEDC_STATUS_OK;
}

static fedc_status check_schedule(fedc_ctx *ctx, const fedc_lr_schedule_opts *o) {
    if (o->nboundaries > FEDC__MAX_BOUNDARIES)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client learning-rate schedule: more than %d boundaries",
                               FEDC__MAX_BOUNDARIES);
    fedc_lr_schedule *s;
    fedc_status st = fedc_lr_schedule_create(ctx, o, &s);
    fedc_lr_schedule_destroy(s);
    return st < 0 ? fedc_ctx_prefixf(ctx, "client learning-rate schedule") : st;
}

/* A new module: the overrides' own definitions, then the generated ones with the overridden
 * ones replaced. */
static fedc_status apply_overrides(fedc_ctx *ctx, fedc_comp **module, const char *text) {
    fedc_comp *over = NULL, *out = NULL;
    fedc_status st = fedc_comp_parse(ctx, "overrides", text, &over);
    if (st >= 0) st = fedc_comp_create(ctx, &out);
    for (size_t i = 0; st >= 0 && i < fedc_comp_ndefs(over); i++) {
        const fedc_def *d = fedc_comp_def(over, i);
        if (!fedc_comp_lookup(*module, d->name))
            st = fedc_comp_define(ctx, out, d->name, fedc_node_clone(out, d->node));
    }
    for (size_t i = 0; st >= 0 && i < fedc_comp_ndefs(*module); i++) {
        const fedc_def *d = fedc_comp_def(*module, i), *o = fedc_comp_lookup(over, d->name);
        st = fedc_comp_define(ctx, out, d->name, fedc_node_clone(out, o ? o->node : d->node));
    }
    fedc_comp_destroy(over);
    if (st < 0) {
        fedc_comp_destroy(out);
        return st;
    }
    fedc_comp_destroy(*module);
    *module = out;
    return FEDC_STATUS_OK;
}

void fedc_learning_process_destroy(fedc_learning_process *p) {
    if (!p) return;
    fedc__instances_free(&p->instances);
    fedc_optimizer_destroy(p->client_opt);
    fedc_optimizer_destroy(p->server_opt);
    if (p->owns_store) fedc_client_store_destroy(p->store);
    fedc_comp_destroy(p->module);
    fedc_free(p);
}

fedc_status fedc_learning_process_create(fedc_ctx *ctx, fedc_learning_model *model,
                                         const fedc_process_opts *opts,
                                         fedc_learning_process **out) {
    *out = NULL;
    fedc_status st = check_opts(ctx, opts);
    if (st < 0) return st;
    fedc_learning_process *p = fedc_calloc(1, sizeof *p);
    if (!p) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a process");
    p->opts = *opts;
    p->model = model;
    p->instances.proto = model;
    p->P = fedc_learning_model_num_trainable(model);
    p->Q = fedc_learning_model_num_non_trainable(model);
    p->M = model->metrics ? (int64_t)fedc_metric_set_state_size(model->metrics) : 0;
    st = fedc_optimizer_create(ctx, &opts->client.optimizer, p->P, &p->client_opt);
    if (st < 0) st = fedc_ctx_prefixf(ctx, "client optimizer");
    if (st >= 0) {
        st = fedc_optimizer_create(ctx, &opts->server_optimizer, p->P, &p->server_opt);
        if (st < 0) st = fedc_ctx_prefixf(ctx, "server optimizer");
    }
    if (st >= 0) {
        p->H = (int64_t)fedc_optimizer_hparam_count(p->client_opt);
        p->lr_index = -1;
        for (int64_t i = 0; i < p->H; i++)
            if (!strcmp(fedc_optimizer_hparam_name(p->client_opt, (size_t)i), "learning_rate"))
                p->lr_index = i;
        p->F = fedc_optimizer_state_size(p->server_opt);
        if (opts->algorithm == FEDC_ALGORITHM_MIME_LITE) {
            p->E = fedc_optimizer_state_size(p->client_opt) - p->H;
            p->extra_name = "optimizer_state";
            p->second_name = "gradient";
        } else if (opts->algorithm == FEDC_ALGORITHM_SCAFFOLD) {
            p->E = p->P;
            p->extra_name = "control";
            p->second_name = "control_delta";
            p->store = opts->client_store;
            if (!p->store) {
                st = fedc_client_store_memory(ctx, &p->store);
                p->owns_store = st >= 0;
            }
        }
        if (st >= 0) st = fedc__agg_plan(ctx, p);
        fedc_native natives[FEDC__NATIVES] = {
            {"fedc.learning.quantize", fedc__native_quantize, p},
            {"fedc.learning.secure_encode", fedc__native_secure_encode, p},
            {"fedc.learning.secure_add", fedc__native_secure_add, p},
            {"fedc.learning.secure_decode", fedc__native_secure_decode, p},
            {"fedc.learning.secure_metrics_add", fedc__native_secure_metrics_add, p},
            {"fedc.learning.secure_metrics_merge", fedc__native_secure_metrics_merge, p},
            {"fedc.learning.secure_metrics_decode", fedc__native_secure_metrics_decode, p},
            {"fedc.learning.sample_put", fedc__native_sample_put, p},
            {"fedc.learning.sample_merge", fedc__native_sample_merge, p},
            {"fedc.learning.sample_report", fedc__native_sample_report, p},
            {"fedc.learning.personalize", fedc__native_personalize, p},
            {"fedc.learning.rows_put", fedc__native_rows_put, p},
            {"fedc.learning.rows_merge", fedc__native_rows_merge, p},
            {"fedc.learning.robust_reduce", fedc__native_robust_reduce, p},
            {"fedc.learning.train", fedc__native_train, p},
            {"fedc.learning.evaluate", fedc__native_evaluate, p},
            {"fedc.learning.server_update", fedc__native_server_update, p},
            {"fedc.learning.finalize_metrics", fedc__native_finalize_metrics, p},
            {"fedc.learning.init", fedc__native_init, p},
        };
        memcpy(p->natives, natives, sizeof natives);
        if (st >= 0 && opts->client_lr_schedule) st = check_schedule(ctx, opts->client_lr_schedule);
        char *text = NULL;
        if (st >= 0) st = fedc__process_text(ctx, p, &text);
        if (st >= 0) st = fedc_comp_parse(ctx, "process", text, &p->module);
        if (st >= 0 && opts->overrides) st = apply_overrides(ctx, &p->module, opts->overrides);
        if (st >= 0) st = fedc_comp_check(ctx, p->module);
        fedc_free(text);
    }
    if (st < 0) {
        fedc_learning_process_destroy(p);
        return st;
    }
    *out = p;
    return FEDC_STATUS_OK;
}

const fedc_comp *fedc_learning_process_module(const fedc_learning_process *p) { return p->module; }

fedc_client_store *fedc_learning_process_client_store(const fedc_learning_process *p) {
    return p->store;
}

const fedc_native *fedc_learning_process_natives(const fedc_learning_process *p, size_t *n) {
    *n = sizeof p->natives / sizeof p->natives[0];
    return p->natives;
}

static fedc_exec_opts exec_opts(const fedc_learning_process *p, const fedc_exec_opts *given) {
    fedc_exec_opts o = given ? *given : fedc_exec_opts_default();
    o.natives = p->natives;
    o.nnatives = sizeof p->natives / sizeof p->natives[0];
    return o;
}

fedc_status fedc_learning_process_initialize(fedc_ctx *ctx, fedc_learning_process *p,
                                             fedc_value **state) {
    fedc_exec_opts o = exec_opts(p, NULL);
    o.num_clients = 1; /* initialize places nothing at CLIENTS */
    return fedc_exec_run(ctx, p->module, "initialize", NULL, &o, state);
}

fedc_status fedc_learning_process_next(fedc_ctx *ctx, fedc_learning_process *p, fedc_value *state,
                                       fedc_value *clients, const fedc_exec_opts *exec,
                                       fedc_value **new_state, fedc_value **metrics) {
    *new_state = *metrics = NULL;
    fedc_exec_opts o = exec_opts(p, exec);
    if (fedc_value_get_kind(clients) == FEDC_VALUE_FEDERATED && o.num_clients == 0)
        o.num_clients = (int64_t)fedc_value_size(clients);
    fedc_value *items[2] = {state, clients}, *arg = NULL, *out = NULL;
    static const char *const names[2] = {"state", "datasets"};
    fedc_status st = fedc_value_struct(ctx, 2, items, names, &arg);
    if (st >= 0) st = fedc_exec_run(ctx, p->module, "next", arg, &o, &out);
    fedc_value_release(arg);
    if (st < 0) return st;
    *new_state = fedc_value_retain(fedc__field(out, "state"));
    *metrics = fedc_value_retain(fedc__field(out, "metrics"));
    fedc_value_release(out);
    return FEDC_STATUS_OK;
}

/* New references to a state's members, with weights and, when given, the client
 * hyperparameters or the finalizer's state replaced (those taken as they are, not retained). */
static fedc__state retained(fedc__state m, fedc_value *weights, fedc_value *hparams,
                            fedc_value *finalizer) {
    return (fedc__state){.weights = fedc_value_retain(weights),
                         .hparams = hparams ? hparams : fedc_value_retain(m.hparams),
                         .finalizer = finalizer ? finalizer : fedc_value_retain(m.finalizer),
                         .extra = fedc_value_retain(m.extra),
                         .aggregator = fedc_value_retain(m.aggregator),
                         .round = m.round};
}

/* The member of a S@SERVER value, or the value itself. */
static fedc_value *member(fedc_value *v) {
    if (v && fedc_value_get_kind(v) == FEDC_VALUE_FEDERATED && fedc_value_size(v) == 1)
        return fedc_value_item(v, 0);
    return v;
}

/* Rewraps a new member like the given state (federated at SERVER or not); takes m. */
static fedc_status like(fedc_ctx *ctx, fedc_value *given, fedc_value *m, fedc_value **out) {
    if (given && fedc_value_get_kind(given) == FEDC_VALUE_FEDERATED) {
        fedc_status st = fedc_value_federated(ctx, FEDC_PLACEMENT_SERVER, true, 1, &m, out);
        fedc_value_release(m);
        return st;
    }
    *out = m;
    return FEDC_STATUS_OK;
}

fedc_status fedc_learning_process_get_model_weights(fedc_ctx *ctx, const fedc_learning_process *p,
                                                    fedc_value *state, fedc_value **weights) {
    fedc_value *s = member(state);
    if (fedc_algorithm_is_evaluation(p->opts.algorithm)) {
        *weights = fedc_value_retain(s);
        return FEDC_STATUS_OK;
    }
    fedc__state m;
    fedc_status st = fedc__read_state(ctx, p, s, &m);
    if (st < 0) return st;
    *weights = fedc_value_retain(m.weights);
    return FEDC_STATUS_OK;
}

static bool weights_ok(const fedc_learning_process *p, fedc_value *w) {
    return fedc__vector_of(fedc__field(w, "trainable"), p->P) &&
           fedc__vector_of(fedc__field(w, "non_trainable"), p->Q);
}

fedc_status fedc_learning_process_set_model_weights(fedc_ctx *ctx, const fedc_learning_process *p,
                                                    fedc_value *state, fedc_value *weights,
                                                    fedc_value **new_state) {
    *new_state = NULL;
    if (!weights_ok(p, weights))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "model weights: expected <trainable=float32[%lld],"
                               "non_trainable=float32[%lld]>",
                               (long long)p->P, (long long)p->Q);
    if (fedc_algorithm_is_evaluation(p->opts.algorithm))
        return like(ctx, state, fedc_value_retain(weights), new_state);
    fedc_value *m = NULL;
    fedc__state parts;
    fedc_status st = fedc__read_state(ctx, p, member(state), &parts);
    if (st >= 0) st = fedc__make_state(ctx, p, retained(parts, weights, NULL, NULL), &m);
    if (st < 0) return st;
    return like(ctx, state, m, new_state);
}

int64_t fedc_learning_process_round(const fedc_learning_process *p, fedc_value *state) {
    fedc__state m;
    if (fedc_algorithm_is_evaluation(p->opts.algorithm)) return -1;
    if (fedc__read_state(NULL, p, member(state), &m) < 0) return -1;
    return m.round;
}

/* Which optimizer and which state vector a hyperparameter name refers to. */
static fedc_status find_hparam(fedc_ctx *ctx, const fedc_learning_process *p, const char *name,
                               const fedc_optimizer **opt, const char **local, bool *client) {
    *client = strncmp(name, "client/", 7) == 0;
    bool server = strncmp(name, "server/", 7) == 0;
    if (!fedc_algorithm_is_evaluation(p->opts.algorithm) && (*client || server)) {
        *opt = *client ? p->client_opt : p->server_opt;
        *local = name + 7;
        for (size_t i = 0; i < fedc_optimizer_hparam_count(*opt); i++)
            if (strcmp(fedc_optimizer_hparam_name(*opt, i), *local) == 0) return FEDC_STATUS_OK;
    }
    char known[512];
    size_t len = 0;
    known[0] = 0;
    for (int side = 0; side < 2 && !fedc_algorithm_is_evaluation(p->opts.algorithm); side++) {
        const fedc_optimizer *o = side ? p->server_opt : p->client_opt;
        for (size_t i = 0; i < fedc_optimizer_hparam_count(o) && len < sizeof known; i++) {
            int n = snprintf(known + len, sizeof known - len, "%s%s/%s", len ? ", " : "",
                             side ? "server" : "client", fedc_optimizer_hparam_name(o, i));
            if (n > 0) len += (size_t)n;
        }
    }
    return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "no hyperparameter '%s' (known: %s)", name,
                           len ? known : "none");
}

fedc_status fedc_learning_process_get_hparam(fedc_ctx *ctx, const fedc_learning_process *p,
                                             fedc_value *state, const char *name, double *out) {
    const fedc_optimizer *opt;
    const char *local;
    bool client;
    fedc_status st = find_hparam(ctx, p, name, &opt, &local, &client);
    fedc__state m;
    if (st >= 0) st = fedc__read_state(ctx, p, member(state), &m);
    if (st < 0) return st;
    /* A client state holds only the hyperparameters, which lead every optimizer state. */
    const float *v = fedc__vector_of(client ? m.hparams : m.finalizer, client ? p->H : p->F);
    return fedc_optimizer_get_hparam(ctx, opt, v, local, out);
}

fedc_status fedc_learning_process_set_hparam(fedc_ctx *ctx, const fedc_learning_process *p,
                                             fedc_value *state, const char *name, double value,
                                             fedc_value **new_state) {
    *new_state = NULL;
    const fedc_optimizer *opt;
    const char *local;
    bool client;
    fedc_status st = find_hparam(ctx, p, name, &opt, &local, &client);
    fedc__state parts;
    if (st >= 0) st = fedc__read_state(ctx, p, member(state), &parts);
    if (st < 0) return st;
    int64_t n = client ? fedc_optimizer_state_size(opt) : p->F;
    float *buf = fedc_calloc((size_t)(n ? n : 1), sizeof(float));
    if (!buf) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    const float *cur =
        fedc__vector_of(client ? parts.hparams : parts.finalizer, client ? p->H : p->F);
    if (client) fedc_optimizer_init(opt, buf);
    memcpy(buf, cur, (size_t)(client ? p->H : p->F) * sizeof(float));
    st = fedc_optimizer_set_hparam(ctx, opt, buf, local, value);
    fedc_value *vec = NULL, *m = NULL;
    if (st >= 0) st = fedc__vector_value(ctx, buf, client ? p->H : p->F, &vec);
    fedc_free(buf);
    if (st >= 0)
        st = fedc__make_state(
            ctx, p, retained(parts, parts.weights, client ? vec : NULL, client ? NULL : vec), &m);
    else
        fedc_value_release(vec);
    if (st < 0) return st;
    return like(ctx, state, m, new_state);
}

fedc_status fedc_metrics_get(fedc_ctx *ctx, fedc_value *metrics, const char *path, double *out) {
    fedc_value *v = member(metrics);
    char part[128];
    const char *s = path;
    while (v && *s) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        if (len >= sizeof part) break;
        memcpy(part, s, len);
        part[len] = 0;
        v = fedc__field(v, part);
        s = slash ? slash + 1 : s + len;
    }
    const fedc_tensor *t = v ? fedc_value_get_tensor(v) : NULL;
    if (!t || fedc_tensor_numel(t) != 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "no metric '%s'", path);
    *out = fedc_tensor_get_flat(t, 0);
    return FEDC_STATUS_OK;
}
