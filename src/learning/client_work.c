/* client_work.c — what a client runs: local training from the broadcast model (FedAvg, FedProx,
 * MimeLite with the broadcast optimizer state frozen, SCAFFOLD with control variates) or one
 * averaged gradient (FedSGD), giving <update, weight, metrics[, second vector]>; and local
 * evaluation.
 * The update is w_start - w_end (TFF's model delta), zeroed with weight 0 when it is not finite,
 * as TFF's client work does.
 */
#include <math.h>
#include <string.h>

#include "learning/learning_int.h"

/* splitmix64: mixes the keys of a draw (seed, round, client, batch) into one 64-bit key. */
static uint64_t mix(uint64_t h, uint64_t v) {
    uint64_t z = h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Everything one client call holds, freed together. */
typedef struct client_run {
    fedc_learning_model *m;
    int slot;
    float *w0, *acc, *opt_state;
    /* MimeLite: the broadcast base optimizer state, restored before every step. SCAFFOLD: the
     * global control variate c and the client's c_i, subtracted from / added to every gradient
     * as g - c_i + c. NULL otherwise. */
    const float *frozen, *control;
    float *second, *client_control;
    double *metrics;
    int64_t *order;
    fedc__examples data;
} client_run;

static void run_free(fedc__instances *in, client_run *r) {
    if (r->m) fedc__instance_give(in, r->m, r->slot);
    fedc_free(r->w0);
    fedc_free(r->acc);
    fedc_free(r->opt_state);
    fedc_free(r->second);
    fedc_free(r->client_control);
    fedc_free(r->metrics);
    fedc_free(r->order);
    fedc__examples_free(&r->data);
}

static fedc_status oom(fedc_ctx *ctx) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory in client work");
}

/* A float64 [n] value copied from v, or NULL when memory ran out. */
static fedc_value *vector_f64(fedc_ctx *ctx, const double *v, int64_t n) {
    fedc_value *out = NULL;
    fedc__typed_vector_value(ctx, FEDC_DTYPE_FLOAT64, v, n, &out);
    return out;
}

/* Reads the server's message: <weights=W, hparams=float32[H], round=int32>. */
static fedc_status read_server(fedc_ctx *ctx, const fedc_learning_process *p, fedc_value *server,
                               fedc_value **weights, const float **hparams, int64_t *round) {
    *weights = fedc__field(server, "weights");
    *hparams = fedc__vector_of(fedc__field(server, "hparams"), p->H);
    const fedc_tensor *r = fedc__tensor_of(fedc__field(server, "round"));
    if (!*weights || !*hparams || !r || r->dtype != FEDC_DTYPE_INT32 || r->shape.rank != 0)
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_TYPE,
            "client work: expected <weights=W,hparams=float32[%lld],round=int32>", (long long)p->H);
    *round = (int64_t)fedc_tensor_get_flat(r, 0);
    return FEDC_STATUS_OK;
}

static bool all_finite(const float *v, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

/* Local training on rows [0, n) of the loaded examples from the model's current weights (kept in
 * r->w0 for the proximal term): the client optimizer's steps, or (FedSGD) the example-weighted sum
 * of the batches' gradients into r->acc. Batches are shuffled per epoch when asked, and dropout is
 * keyed by (seed, round, client, batch). *examples counts the examples trained on. */
static fedc_status local_train(fedc_ctx *ctx, const fedc_learning_process *p,
                               const fedc_client_work_opts *op, bool fed_sgd, client_run *r,
                               int64_t n, int64_t round, int64_t *examples_out,
                               int64_t *steps_out) {
    const fedc_client_work_opts o = *op;
    int64_t P = p->P;
    float *w = fedc_learning_model_trainable(r->m), *g = fedc_learning_model_gradients(r->m);
    fedc_status st = FEDC_STATUS_OK;
    int64_t examples = 0, batches = 0;
    uint64_t client_key = r->data.key;
    bool done = false;
    for (int64_t epoch = 0; epoch < o.epochs && !done && st >= 0; epoch++) {
        if (r->order)
            st = fedc__shuffle_order(ctx, o.seed,
                                     mix(mix(client_key, (uint64_t)round), (uint64_t)epoch),
                                     o.shuffle_buffer, n, r->order);
        for (int64_t start = 0; start < n && !done && st >= 0; start += o.batch_size) {
            int64_t count = n - start < o.batch_size ? n - start : o.batch_size;
            if (count < o.batch_size && o.drop_remainder) break;
            fedc_batch b;
            fedc_tensor bx, by;
            st = fedc__examples_batch(ctx, &p->model->spec, &r->data, r->order, start, count, &bx,
                                      &by, &b);
            fedc_forward_opts fo = {
                true, true, mix(mix(mix(o.seed, (uint64_t)round), client_key), (uint64_t)batches)};
            fedc_forward_output res;
            if (st >= 0) st = fedc_learning_model_forward(ctx, r->m, &b, &fo, r->metrics, &res);
            if (st < 0) break;
            if (fed_sgd) {
                for (int64_t i = 0; i < P; i++)
                    r->acc[i] += g[i] * (float)b.n;
            } else {
                if (o.proximal_strength > 0) {
                    float mu = (float)o.proximal_strength;
                    for (int64_t i = 0; i < P; i++)
                        g[i] += mu * (w[i] - r->w0[i]);
                }
                if (r->control)
                    for (int64_t i = 0; i < P; i++)
                        g[i] = g[i] - r->client_control[i] + r->control[i];
                if (r->frozen)
                    memcpy(r->opt_state, r->frozen,
                           (size_t)fedc_optimizer_state_size(p->client_opt) * sizeof(float));
                st = fedc_optimizer_next(ctx, p->client_opt, r->opt_state, w, g);
            }
            examples += b.n;
            batches++;
            done = o.max_batches >= 0 && batches >= o.max_batches;
        }
    }
    *examples_out = examples;
    if (steps_out) *steps_out = batches;
    return st;
}

/* MimeLite's full-batch gradient at the model's current weights: every example once, in order,
 * in batches of batch_size, the batches' mean gradients weighted by their sizes, into
 * r->second. Dropout draws are keyed apart from local training's. No metrics. */
static fedc_status full_gradient(fedc_ctx *ctx, const fedc_learning_process *p,
                                 const fedc_client_work_opts *o, client_run *r, int64_t round) {
    int64_t P = p->P, examples = 0;
    const float *g = fedc_learning_model_gradients(r->m);
    fedc_status st = FEDC_STATUS_OK;
    uint64_t key = mix(mix(mix(o->seed, (uint64_t)round), r->data.key), 0x6d696d65ull /* mime */);
    for (int64_t start = 0, b = 0; start < r->data.n && st >= 0; start += o->batch_size, b++) {
        int64_t count = r->data.n - start < o->batch_size ? r->data.n - start : o->batch_size;
        fedc_batch batch;
        fedc_tensor bx, by;
        st = fedc__examples_batch(ctx, &p->model->spec, &r->data, NULL, start, count, &bx, &by,
                                  &batch);
        fedc_forward_opts fo = {true, true, mix(key, (uint64_t)b)};
        fedc_forward_output res;
        if (st >= 0) st = fedc_learning_model_forward(ctx, r->m, &batch, &fo, NULL, &res);
        if (st < 0) break;
        for (int64_t i = 0; i < P; i++)
            r->second[i] += g[i] * (float)batch.n;
        examples += batch.n;
    }
    for (int64_t i = 0; i < P && examples; i++)
        r->second[i] = r->second[i] / (float)examples;
    return st;
}

/* The client's id: SCAFFOLD keys its control variate by it, so only client-data sequences (which
 * carry ids) can be trained on. */
static fedc_status client_id(fedc_ctx *ctx, fedc_value *data, const char **id) {
    const fedc_client_data *cd;
    int64_t index;
    if (!fedc_value_as_client_sequence(data, &cd, &index))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "scaffold: a client's dataset must be a client-data sequence (its "
                               "id keys the client's control variate)");
    *id = fedc_client_data_client_id(cd, index);
    return FEDC_STATUS_OK;
}

/* The blob's algorithm against the process's (a printed process run by another one). */
static fedc_status check_algorithm(fedc_ctx *ctx, const fedc_learning_process *p,
                                   const uint8_t *blob, size_t blob_size) {
    char word[32] = "", store[32] = "";
    bool has = fedc__blob_get_str(blob, blob_size, "algorithm", word, sizeof word);
    const char *want = p->extra_name ? fedc__algorithm_word(p->opts.algorithm) : NULL;
    if ((want && (!has || strcmp(word, want))) || (!want && has))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client work: algorithm '%s' in the computation, the process runs "
                               "'%s'",
                               has ? word : fedc__algorithm_word(FEDC_ALGORITHM_FED_AVG),
                               fedc__algorithm_word(p->opts.algorithm));
    if (p->store && (!fedc__blob_get_str(blob, blob_size, "store", store, sizeof store) ||
                     strcmp(store, fedc_client_store_kind(p->store))))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client work: client store '%s' in the computation, the process "
                               "has '%s'",
                               store, fedc_client_store_kind(p->store));
    return FEDC_STATUS_OK;
}

/* Inference over rows [start, start + count) in batches, adding into the metrics. */
static fedc_status local_eval(fedc_ctx *ctx, const fedc_learning_process *p, client_run *r,
                              int64_t start, int64_t count, int64_t batch_size, double *metrics) {
    fedc_status st = FEDC_STATUS_OK;
    for (int64_t i = start; st >= 0 && i < start + count; i += batch_size) {
        int64_t k = start + count - i < batch_size ? start + count - i : batch_size;
        fedc_batch b;
        fedc_tensor bx, by;
        fedc_forward_opts fo = {false, false, 0};
        fedc_forward_output res;
        st = fedc__examples_batch(ctx, &p->model->spec, &r->data, NULL, i, k, &bx, &by, &b);
        if (st >= 0) st = fedc_learning_model_forward(ctx, r->m, &b, &fo, metrics, &res);
    }
    return st;
}

fedc_status fedc__native_train(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                               fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    fedc_client_work_opts o;
    bool fed_sgd;
    fedc_status st = fedc__client_work_from_blob(ctx, blob, blob_size, &o, &fed_sgd);
    if (st >= 0) st = check_algorithm(ctx, p, blob, blob_size);
    if (st < 0) return st;
    if (o.optimizer.kind != fedc_optimizer_get_kind(p->client_opt))
        return fedc_ctx_errorf(
            ctx, FEDC_STATUS_INVALID_ARGUMENT,
            "client work: optimizer '%s' in the computation, the process has '%s'",
            fedc_optimizer_kind_name(o.optimizer.kind),
            fedc_optimizer_kind_name(fedc_optimizer_get_kind(p->client_opt)));
    fedc_value *weights, *data = fedc__field(arg, "dataset");
    const float *hparams = NULL, *extra = NULL;
    int64_t round = 0;
    st = read_server(ctx, p, fedc__field(arg, "server"), &weights, &hparams, &round);
    if (st < 0) return st;
    if (!data) return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "client work: no 'dataset' field");
    if (p->extra_name &&
        !(extra = fedc__vector_of(fedc__field(fedc__field(arg, "server"), p->extra_name), p->E)))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "client work: the server sent no %s float32[%lld]", p->extra_name,
                               (long long)p->E);
    const char *id = NULL;
    if (p->store && (st = client_id(ctx, data, &id)) < 0) return st;

    client_run r = {0};
    int64_t P = p->P, M = p->M, S = fedc_optimizer_state_size(p->client_opt);
    st = fedc__instance_take(ctx, &p->instances, &r.m, &r.slot);
    if (st >= 0) st = fedc_learning_model_set_weights(ctx, r.m, weights);
    if (st >= 0) {
        r.w0 = fedc_malloc((size_t)(P ? P : 1) * sizeof(float));
        r.acc = fedc_calloc((size_t)(P ? P : 1), sizeof(float));
        r.opt_state = fedc_malloc((size_t)(S ? S : 1) * sizeof(float));
        r.metrics = fedc_calloc((size_t)(M ? M : 1), sizeof(double));
        if (!r.w0 || !r.acc || !r.opt_state || !r.metrics) st = oom(ctx);
        if (st >= 0 && p->second_name &&
            !(r.second = fedc_calloc((size_t)(P ? P : 1), sizeof(float))))
            st = oom(ctx);
        if (st >= 0 && p->store &&
            !(r.client_control = fedc_malloc((size_t)(P ? P : 1) * sizeof(float))))
            st = oom(ctx);
    }
    if (st >= 0 && p->store) st = fedc_client_store_get(ctx, p->store, id, P, r.client_control);
    if (st >= 0) st = fedc__examples_load(ctx, &p->model->spec, data, &r.data);
    if (st >= 0 && o.shuffle_buffer > 1 &&
        !(r.order = fedc_malloc((size_t)(r.data.n ? r.data.n : 1) * sizeof *r.order)))
        st = oom(ctx);
    if (st < 0) {
        run_free(&p->instances, &r);
        return fedc_ctx_prefixf(ctx, "client work (round %lld)", (long long)round);
    }
    float *w = fedc_learning_model_trainable(r.m);
    memcpy(r.w0, w, (size_t)P * sizeof(float));
    fedc_optimizer_init(p->client_opt, r.opt_state);
    memcpy(r.opt_state, hparams, (size_t)p->H * sizeof(float));
    if (p->model->metrics) fedc_metric_set_zero(p->model->metrics, r.metrics);
    if (p->opts.algorithm == FEDC_ALGORITHM_MIME_LITE) {
        /* the base optimizer's broadcast state: hparams then the rest, frozen for every step */
        memcpy(r.opt_state + p->H, extra, (size_t)p->E * sizeof(float));
        float *frozen = fedc_malloc((size_t)S * sizeof(float));
        if (!frozen)
            st = oom(ctx);
        else
            memcpy(frozen, r.opt_state, (size_t)S * sizeof(float));
        r.frozen = frozen;
        if (st >= 0) st = full_gradient(ctx, p, &o, &r, round);
    } else if (p->store) {
        r.control = extra;
    }

    int64_t examples = 0, steps = 0;
    if (st >= 0) st = local_train(ctx, p, &o, fed_sgd, &r, r.data.n, round, &examples, &steps);
    fedc_free((void *)r.frozen);
    r.frozen = NULL;
    if (st < 0) {
        run_free(&p->instances, &r);
        return fedc_ctx_prefixf(ctx, "client work (round %lld)", (long long)round);
    }
    /* The update: the mean gradient (FedSGD) or the model delta. */
    for (int64_t i = 0; i < P; i++)
        r.acc[i] = fed_sgd ? (examples ? r.acc[i] / (float)examples : 0.0f) : r.w0[i] - w[i];
    float weight = o.weighting == FEDC_CLIENT_WEIGHTING_UNIFORM ? 1.0f : (float)examples;
    bool finite = all_finite(r.acc, P) && (!r.second || all_finite(r.second, P));
    if (p->store && steps > 0 && finite) {
        /* option II: c_i+ = c_i - c + (x - y) / (K lr); the client sends c_i+ - c_i */
        float klr = (float)steps * hparams[p->lr_index];
        float *next = r.client_control, *delta = r.second;
        for (int64_t i = 0; i < P; i++) {
            float ci = next[i];
            next[i] = ci - r.control[i] + r.acc[i] / klr;
            delta[i] = next[i] - ci;
        }
        finite = all_finite(next, P);
        if (finite) st = fedc_client_store_put(ctx, p->store, id, next, P);
        if (st < 0) {
            run_free(&p->instances, &r);
            return fedc_ctx_prefixf(ctx, "client work (round %lld)", (long long)round);
        }
    }
    if (!finite) {
        /* as TFF's client work: a non-finite result counts for nothing (nor is it stored) */
        memset(r.acc, 0, (size_t)P * sizeof(float));
        if (r.second) memset(r.second, 0, (size_t)P * sizeof(float));
        weight = 0.0f;
    }
    /* <update, weight, metrics[, second vector][, norms][, key, round]>: the aggregator's
     * adaptive norms come back with the update, and a quantizing aggregator keys its draws by
     * the client and the round */
    const char *names[7] = {"update", "weight", "metrics"};
    fedc_value *items[7] = {NULL, fedc__scalar_value(ctx, FEDC_DTYPE_FLOAT32, &weight),
                            vector_f64(ctx, r.metrics, M)};
    size_t n = 3;
    fedc__vector_value(ctx, r.acc, P, &items[0]);
    if (p->second_name) {
        names[n] = p->second_name;
        fedc__vector_value(ctx, r.second, P, &items[n++]);
    }
    fedc_value *norms = fedc__field(fedc__field(arg, "server"), "norms");
    if (norms) {
        names[n] = "norms";
        items[n++] = fedc_value_retain(norms);
    }
    int64_t send_key = 0;
    if (fedc__blob_get_i64(blob, blob_size, "send_key", &send_key) && send_key) {
        int64_t key = (int64_t)r.data.key;
        int32_t rd = (int32_t)round;
        names[n] = "key";
        items[n++] = fedc__scalar_value(ctx, FEDC_DTYPE_INT64, &key);
        names[n] = "round";
        items[n++] = fedc__scalar_value(ctx, FEDC_DTYPE_INT32, &rd);
    }
    bool made = true;
    for (size_t i = 0; i < n; i++)
        made &= items[i] != NULL;
    st = made ? fedc_value_struct(ctx, n, items, names, out) : oom(ctx);
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    run_free(&p->instances, &r);
    return st;
}

fedc_status fedc__native_evaluate(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                                  fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    int64_t batch_size;
    if (!fedc__blob_get_i64(blob, blob_size, "batch_size", &batch_size) || batch_size < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "evaluation options: missing or bad 'batch_size'");
    fedc_value *weights = fedc__field(arg, "weights"), *data = fedc__field(arg, "dataset");
    if (!weights || !data)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "evaluation: expected <weights=W,dataset=D*>");
    client_run r = {0};
    int64_t M = p->M;
    fedc_status st = fedc__instance_take(ctx, &p->instances, &r.m, &r.slot);
    if (st >= 0) st = fedc_learning_model_set_weights(ctx, r.m, weights);
    if (st >= 0 && !(r.metrics = fedc_calloc((size_t)(M ? M : 1), sizeof(double)))) st = oom(ctx);
    if (st >= 0) st = fedc__examples_load(ctx, &p->model->spec, data, &r.data);
    if (st >= 0 && p->model->metrics) fedc_metric_set_zero(p->model->metrics, r.metrics);
    if (st >= 0) st = local_eval(ctx, p, &r, 0, r.data.n, batch_size, r.metrics);
    if (st >= 0) {
        *out = vector_f64(ctx, r.metrics, M);
        if (!*out) st = oom(ctx);
    }
    run_free(&p->instances, &r);
    return st < 0 ? fedc_ctx_prefixf(ctx, "evaluation") : st;
}

fedc_status fedc__native_personalize(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                     size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    fedc_client_work_opts o;
    bool fed_sgd;
    double test_fraction;
    fedc_status st = fedc__client_work_from_blob(ctx, blob, blob_size, &o, &fed_sgd);
    if (st < 0) return st;
    if (!fedc__blob_get_f64(blob, blob_size, "test_fraction", &test_fraction) ||
        !(test_fraction >= 0 && test_fraction <= 1))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "personalization options: missing or bad 'test_fraction'");
    fedc_value *weights = fedc__field(arg, "weights"), *data = fedc__field(arg, "dataset");
    if (!weights || !data)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "personalization: expected <weights=W,dataset=D*>");
    client_run r = {0};
    int64_t P = p->P, M = p->M, S = fedc_optimizer_state_size(p->client_opt);
    double *after = NULL;
    st = fedc__instance_take(ctx, &p->instances, &r.m, &r.slot);
    if (st >= 0) st = fedc_learning_model_set_weights(ctx, r.m, weights);
    if (st >= 0) {
        r.w0 = fedc_malloc((size_t)(P ? P : 1) * sizeof(float));
        r.acc = fedc_calloc((size_t)(P ? P : 1), sizeof(float));
        r.opt_state = fedc_malloc((size_t)(S ? S : 1) * sizeof(float));
        r.metrics = fedc_calloc((size_t)(M ? M : 1), sizeof(double));
        after = fedc_calloc((size_t)(M ? M : 1), sizeof(double));
        if (!r.w0 || !r.acc || !r.opt_state || !r.metrics || !after) st = oom(ctx);
    }
    if (st >= 0) st = fedc__examples_load(ctx, &p->model->spec, data, &r.data);
    /* the first examples fine-tune, the last floor(n * fraction) evaluate */
    int64_t n = r.data.n, ntest = (int64_t)((double)n * test_fraction), ntrain = n - ntest;
    if (st >= 0 && o.shuffle_buffer > 1 &&
        !(r.order = fedc_malloc((size_t)(ntrain ? ntrain : 1) * sizeof *r.order)))
        st = oom(ctx);
    if (st >= 0 && p->model->metrics) {
        fedc_metric_set_zero(p->model->metrics, r.metrics);
        fedc_metric_set_zero(p->model->metrics, after);
    }
    int64_t examples = 0;
    if (st >= 0) st = local_eval(ctx, p, &r, ntrain, ntest, o.batch_size, r.metrics);
    if (st >= 0) {
        memcpy(r.w0, fedc_learning_model_trainable(r.m), (size_t)P * sizeof(float));
        fedc_optimizer_init(p->client_opt, r.opt_state);
        double *train_metrics = fedc_calloc((size_t)(M ? M : 1), sizeof(double));
        double *keep = r.metrics;
        r.metrics = train_metrics; /* fine-tuning's own metrics are not reported */
        st = train_metrics ? local_train(ctx, p, &o, false, &r, ntrain, 0, &examples, NULL)
                           : oom(ctx);
        r.metrics = keep;
        fedc_free(train_metrics);
    }
    if (st >= 0) st = local_eval(ctx, p, &r, ntrain, ntest, o.batch_size, after);
    if (st >= 0) {
        static const char *const names[2] = {"baseline", "personalized"};
        fedc_value *items[2] = {vector_f64(ctx, r.metrics, M), vector_f64(ctx, after, M)};
        st = items[0] && items[1] ? fedc_value_struct(ctx, 2, items, names, out) : oom(ctx);
        fedc_value_release(items[0]);
        fedc_value_release(items[1]);
    }
    fedc_free(after);
    run_free(&p->instances, &r);
    return st < 0 ? fedc_ctx_prefixf(ctx, "personalization") : st;
}
