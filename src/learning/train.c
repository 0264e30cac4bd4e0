/* train.c — the training loop: sample, run a round, evaluate now and then, report. Everything
 * that makes a run reproducible lives in the process's state (the round) and the sampling
 * stream, so the loop itself holds nothing a resume would need.
 */
#include <math.h>
#include <time.h>

#include "learning/learning_int.h"
#include "fedc/learning_train.h"

fedc_train_opts fedc_train_opts_default(void) {
    fedc_train_opts o = {0};
    o.rounds = 10;
    o.sampling = fedc_sampling_opts_default();
    o.threads = 1;
    o.eval_every = 0;
    o.eval_batch_size = 500;
    return o;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The cohort as a {D*}@CLIENTS value, with its ids for messages. */
static fedc_status cohort_value(fedc_ctx *ctx, const fedc_client_data *cd, const int64_t *idx,
                                int64_t n, fedc_value **out, const char **ids) {
    fedc_value **items = fedc_calloc((size_t)(n ? n : 1), sizeof *items);
    if (!items) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    fedc_status st = FEDC_STATUS_OK;
    for (int64_t i = 0; i < n && st >= 0; i++) {
        st = fedc_value_client_sequence(ctx, cd, idx[i], &items[i]);
        ids[i] = fedc_client_data_client_id(cd, idx[i]);
    }
    if (st >= 0)
        st = fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, (size_t)n, items, out);
    for (int64_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    fedc_free(items);
    return st;
}

static double metric_or_nan(fedc_value *m, const char *path) {
    double v;
    return m && fedc_metrics_get(NULL, m, path, &v) >= 0 ? v : NAN;
}

/* Evaluates the weights of `state` on every client of test. */
static fedc_status evaluate(fedc_ctx *ctx, fedc_learning_process *process,
                            fedc_learning_process *eval, fedc_value *state, fedc_value *test_value,
                            const fedc_exec_opts *e, fedc_value **out) {
    fedc_value *w = NULL, *ws = NULL, *s2 = NULL;
    fedc_status st = fedc_learning_process_get_model_weights(ctx, process, state, &w);
    if (st >= 0) st = fedc_value_federated(ctx, FEDC_PLACEMENT_SERVER, true, 1, &w, &ws);
    if (st >= 0) st = fedc_learning_process_next(ctx, eval, ws, test_value, e, &s2, out);
    fedc_value_release(w);
    fedc_value_release(ws);
    fedc_value_release(s2);
    return st < 0 ? fedc_ctx_prefixf(ctx, "evaluation") : st;
}

fedc_status fedc_train_run(fedc_ctx *ctx, fedc_learning_process *process, fedc_value **state,
                           const fedc_client_data *train, const fedc_client_data *test,
                           const fedc_train_opts *opts) {
    if (opts->rounds < 0 || opts->eval_every < -1 || opts->eval_batch_size < 1 || opts->threads < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "training: rounds >= 0, eval_every >= -1, eval batch size >= 1 and "
                               "threads >= 0 are needed");
    int64_t start = fedc_learning_process_round(process, *state);
    if (start < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "training: not a state of this process");
    int64_t ncl = fedc_client_data_num_clients(train);
    int64_t cap = opts->sampling.mode == FEDC_SAMPLING_POISSON ? ncl : opts->sampling.cohort_size;
    int64_t *idx = fedc_malloc((size_t)(cap > 0 ? cap : 1) * sizeof *idx);
    const char **ids = fedc_malloc((size_t)(cap > 0 ? cap : 1) * sizeof *ids);
    fedc_pool *pool = NULL;
    fedc_learning_process *eval = NULL;
    fedc_value *test_value = NULL;
    const char **test_ids = NULL;
    fedc_status st = idx && ids ? FEDC_STATUS_OK
                                : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    if (st >= 0 && opts->threads != 1) st = fedc_pool_create(ctx, opts->threads, &pool);
    if (st >= 0 && test && opts->eval_every >= 0) {
        fedc_process_opts eo = fedc_process_opts_default(FEDC_ALGORITHM_FED_EVAL);
        eo.client.batch_size = opts->eval_batch_size;
        st = fedc_learning_process_create(ctx, process->model, &eo, &eval);
        if (st >= 0) st = fedc_value_clients_sequences(ctx, test, &test_value);
        if (st >= 0) st = fedc_client_data_id_array(ctx, test, &test_ids);
    }
    double t0 = now();
    for (int64_t r = start; r < opts->rounds && st >= 0; r++) {
        double t1 = now();
        int64_t n = 0;
        fedc_value *cohort = NULL, *s2 = NULL, *m = NULL, *em = NULL;
        st = fedc_sample_clients(ctx, &opts->sampling, ncl, (uint64_t)r, idx, cap, &n);
        if (st >= 0) st = cohort_value(ctx, train, idx, n, &cohort, ids);
        fedc_exec_opts e = fedc_exec_opts_default();
        e.pool = pool;
        e.client_ids = ids;
        if (st >= 0) st = fedc_learning_process_next(ctx, process, *state, cohort, &e, &s2, &m);
        fedc_value_release(cohort);
        if (st < 0) break;
        fedc_value_release(*state);
        *state = s2;
        bool last = r + 1 == opts->rounds;
        if (eval && (last || (opts->eval_every > 0 && (r + 1) % opts->eval_every == 0))) {
            fedc_exec_opts ee = fedc_exec_opts_default();
            ee.pool = pool;
            ee.client_ids = test_ids;
            st = evaluate(ctx, process, eval, *state, test_value, &ee, &em);
        }
        if (st >= 0 && opts->on_round) {
            fedc_round_report rep = {0};
            rep.round = r + 1;
            rep.rounds = opts->rounds;
            rep.clients = n;
            rep.train_loss = metric_or_nan(m, "client_work/train/loss");
            rep.train_accuracy = metric_or_nan(m, "client_work/train/sparse_categorical_accuracy");
            rep.train_examples = metric_or_nan(m, "client_work/train/num_examples");
            rep.eval_loss = metric_or_nan(em, "client_work/eval/loss");
            rep.eval_accuracy = metric_or_nan(em, "client_work/eval/sparse_categorical_accuracy");
            rep.non_finite = (int64_t)metric_or_nan(m, "finalizer/update_non_finite");
            rep.seconds = now() - t1;
            rep.elapsed = now() - t0;
            rep.metrics = m;
            rep.eval = em;
            st = opts->on_round(ctx, opts->user, &rep);
        }
        fedc_value_release(m);
        fedc_value_release(em);
    }
    fedc_free(test_ids);
    fedc_value_release(test_value);
    fedc_learning_process_destroy(eval);
    fedc_pool_destroy(pool);
    fedc_free(idx);
    fedc_free(ids);
    return st;
}
