/* train.c — the training loop: sample, run a round, evaluate now and then, report. Everything
 * that makes a run reproducible lives in the process's state (the round) and the sampling
 * stream, so the loop itself holds nothing a resume would need.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
    o.keep_checkpoints = 3;
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

/* ---- the run directory: metric files and checkpoints ---- */

/* Adds every scalar of a metrics value under `prefix` ("client_work/train" becomes "train"). */
static fedc_status flatten(fedc_ctx *ctx, fedc_metrics_record *rec, fedc_value *v,
                           const char *prefix) {
    if (!v) return FEDC_STATUS_OK;
    if (fedc_value_get_kind(v) == FEDC_VALUE_FEDERATED && fedc_value_size(v) == 1)
        v = fedc_value_item(v, 0);
    const fedc_tensor *t = fedc__tensor_of(v);
    if (t) {
        if (fedc_tensor_numel(t) != 1) return FEDC_STATUS_OK;
        return fedc_metrics_record_add(ctx, rec, prefix, fedc_tensor_get_flat(t, 0));
    }
    if (fedc_value_get_kind(v) != FEDC_VALUE_STRUCT) return FEDC_STATUS_OK;
    fedc_status st = FEDC_STATUS_OK;
    for (size_t i = 0; i < fedc_value_size(v) && st >= 0; i++) {
        const char *name = fedc_value_name(v, i);
        if (!name) continue;
        char path[256];
        if (!prefix[0] && !strcmp(name, "client_work"))
            path[0] = 0; /* train/..., eval/... */
        else
            snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "/" : "", name);
        st = flatten(ctx, rec, fedc_value_item(v, i), path);
    }
    return st;
}

static fedc_status make_dir(fedc_ctx *ctx, const char *dir) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) return FEDC_STATUS_OK;
    return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: %s", dir, strerror(errno));
}

/* The state of a process as checkpoint blobs (views into the state's tensors, and into est for
 * the aggregator's estimates): 5, plus the client work's third member (MimeLite's optimizer
 * state, SCAFFOLD's control variate) and the aggregator state when the process has them, into
 * *count. */
static fedc_status state_blobs(fedc_ctx *ctx, const fedc_learning_process *p, fedc_value *state,
                               fedc_checkpoint_blob *b, int64_t *round_le, float *est,
                               size_t *count) {
    fedc_value *s = state;
    if (fedc_value_get_kind(s) == FEDC_VALUE_FEDERATED) s = fedc_value_item(s, 0);
    fedc__state m;
    fedc_status st = fedc__read_state(ctx, p, s, &m);
    if (st < 0) return st;
    *round_le = m.round;
    b[0] = (fedc_checkpoint_blob){"trainable",
                                  fedc__vector_of(fedc__field(m.weights, "trainable"), p->P),
                                  (size_t)p->P * sizeof(float)};
    b[1] = (fedc_checkpoint_blob){"non_trainable",
                                  fedc__vector_of(fedc__field(m.weights, "non_trainable"), p->Q),
                                  (size_t)p->Q * sizeof(float)};
    b[2] = (fedc_checkpoint_blob){"client_hparams", fedc__vector_of(m.hparams, p->H),
                                  (size_t)p->H * sizeof(float)};
    b[3] = (fedc_checkpoint_blob){"server_optimizer", fedc__vector_of(m.finalizer, p->F),
                                  (size_t)p->F * sizeof(float)};
    b[4] = (fedc_checkpoint_blob){"round", round_le, sizeof *round_le};
    *count = 5;
    if (m.extra)
        b[(*count)++] = (fedc_checkpoint_blob){"client_work_state", fedc__vector_of(m.extra, p->E),
                                               (size_t)p->E * sizeof(float)};
    if (p->A) {
        fedc__aggregator_values(p, m.aggregator, est); /* checked by fedc__read_state */
        b[(*count)++] = (fedc_checkpoint_blob){"aggregator", est, (size_t)p->A * sizeof(float)};
    }
    return FEDC_STATUS_OK;
}

/* A float32 [n] value from n floats at any alignment (a checkpoint blob's bytes). */
static fedc_status vector_from_bytes(fedc_ctx *ctx, const void *bytes, int64_t n,
                                     fedc_value **out) {
    fedc_status st = fedc__vector_value(ctx, NULL, n, out);
    if (st >= 0 && n > 0)
        memcpy(fedc_value_get_tensor(*out)->data, bytes, (size_t)n * sizeof(float));
    return st;
}

/* A state from a checkpoint's blobs, checked against the process's sizes. */
static fedc_status state_from_checkpoint(fedc_ctx *ctx, const fedc_learning_process *p,
                                         const fedc_checkpoint *c, fedc_value **out) {
    static const char *const names[5] = {"trainable", "non_trainable", "client_hparams",
                                         "server_optimizer", "client_work_state"};
    int64_t sizes[5] = {p->P, p->Q, p->H, p->F, p->E};
    fedc_value *parts[5] = {NULL, NULL, NULL, NULL, NULL};
    fedc_status st = FEDC_STATUS_OK;
    int nparts = p->E > 0 ? 5 : 4;
    for (int i = 0; i < nparts && st >= 0; i++) {
        size_t size;
        const void *data = fedc_checkpoint_find(c, names[i], &size);
        if (!data || size != (size_t)sizes[i] * sizeof(float))
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "checkpoint of round %lld: '%s' has %zu bytes, this process "
                                 "needs %lld",
                                 (long long)fedc_checkpoint_round(c), names[i], data ? size : 0,
                                 (long long)sizes[i] * 4);
        else
            st = vector_from_bytes(ctx, data, sizes[i], &parts[i]);
    }
    size_t rsize;
    int64_t round = -1;
    /* a blob's bytes need not be aligned for an int64_t: copy them out */
    const void *round_bytes = fedc_checkpoint_find(c, "round", &rsize);
    if (round_bytes && rsize == sizeof round) memcpy(&round, round_bytes, sizeof round);
    if (st >= 0 && (!round_bytes || rsize != sizeof round || round != fedc_checkpoint_round(c)))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "checkpoint of round %lld: bad 'round'",
                             (long long)fedc_checkpoint_round(c));
    fedc_value *w = NULL, *m = NULL, *agg = NULL;
    if (st >= 0 && p->A) {
        size_t size;
        const void *data = fedc_checkpoint_find(c, "aggregator", &size);
        if (!data || size != (size_t)p->A * sizeof(float))
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "checkpoint of round %lld: 'aggregator' has %zu bytes, this "
                                 "process needs %lld",
                                 (long long)fedc_checkpoint_round(c), data ? size : 0,
                                 (long long)p->A * 4);
        else { /* a blob's bytes need not be aligned for a float: copy them out */
            float est[FEDC__AGG_MAX_DEPTH];
            memcpy(est, data, size);
            st = fedc__aggregator_state(ctx, p, est, &agg);
        }
    }
    if (st >= 0) {
        static const char *const wn[2] = {"trainable", "non_trainable"};
        st = fedc_value_struct(ctx, 2, parts, wn, &w);
    }
    if (st >= 0) {
        st = fedc__make_state(ctx, p,
                              (fedc__state){.weights = w,
                                            .hparams = fedc_value_retain(parts[2]),
                                            .finalizer = fedc_value_retain(parts[3]),
                                            .extra = fedc_value_retain(parts[4]),
                                            .aggregator = agg,
                                            .round = (int32_t)round},
                              &m);
        w = agg = NULL;
    }
    if (st >= 0 && p->store) {
        size_t size;
        const void *data = fedc_checkpoint_find(c, "client_store", &size);
        st = data ? fedc__store_load(ctx, p->store, data, size)
                  : fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                    "checkpoint of round %lld: no 'client_store' for this "
                                    "process's per-client state",
                                    (long long)fedc_checkpoint_round(c));
    }
    if (st >= 0) st = fedc_value_federated(ctx, FEDC_PLACEMENT_SERVER, true, 1, &m, out);
    fedc_value_release(m);
    fedc_value_release(w);
    fedc_value_release(agg);
    for (int i = 0; i < 5; i++)
        fedc_value_release(parts[i]);
    return st;
}

/* What a run writes, opened together. */
typedef struct run_files {
    fedc_checkpoint_dir *ckpt;
    fedc_metrics_writer *writers;
    fedc_metrics_record *record;
} run_files;

static void files_close(run_files *f) {
    fedc_checkpoint_dir_close(f->ckpt);
    fedc_metrics_writer_destroy(f->writers);
    fedc_metrics_record_destroy(f->record);
}

static fedc_status files_open(fedc_ctx *ctx, const fedc_learning_process *p,
                              const fedc_train_opts *o, fedc_value **state, run_files *f) {
    memset(f, 0, sizeof *f);
    fedc_status st = fedc_metrics_record_create(ctx, 0, 0, &f->record);
    if (st < 0 || !o->out_dir) return st;
    char path[4096];
    st = make_dir(ctx, o->out_dir);
    if (st >= 0 && (o->checkpoint_every > 0 || o->resume)) {
        fedc_checkpoint_opts co = fedc_checkpoint_opts_default();
        co.keep_last = o->keep_checkpoints;
        snprintf(path, sizeof path, "%s/checkpoints", o->out_dir);
        st = fedc_checkpoint_dir_open(ctx, path, &co, &f->ckpt);
    }
    int64_t keep = -1;
    if (st >= 0 && o->resume) {
        fedc_checkpoint *c = NULL;
        st = fedc_checkpoint_load_latest(ctx, f->ckpt, &c);
        if (st == FEDC_STATUS_NOT_FOUND) {
            st = FEDC_STATUS_OK; /* nothing to resume: a fresh run */
        } else if (st >= 0) {
            fedc_value *s = NULL;
            st = state_from_checkpoint(ctx, p, c, &s);
            if (st >= 0) {
                fedc_value_release(*state);
                *state = s;
                keep = fedc_checkpoint_round(c);
            }
        }
        fedc_checkpoint_destroy(c);
    }
    fedc_metrics_writer *w[3] = {NULL, NULL, NULL};
    if (st >= 0) {
        snprintf(path, sizeof path, "%s/metrics.csv", o->out_dir);
        st = fedc_metrics_csv_writer_create(ctx, path, keep, &w[0]);
    }
    if (st >= 0) {
        snprintf(path, sizeof path, "%s/metrics.jsonl", o->out_dir);
        st = fedc_metrics_jsonl_writer_create(ctx, path, keep, &w[1]);
    }
    if (st >= 0) st = fedc_metrics_tfevents_writer_create(ctx, o->out_dir, keep, NULL, &w[2], NULL);
    if (st >= 0) return fedc_metrics_writer_group(ctx, w, 3, &f->writers);
    for (int i = 0; i < 3; i++)
        fedc_metrics_writer_destroy(w[i]);
    return st;
}

static double wall_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* After a round: its record to the metric files, and a checkpoint when one is due. */
static fedc_status release_round(fedc_ctx *ctx, const fedc_learning_process *p,
                                 const fedc_train_opts *o, run_files *f, int64_t round,
                                 fedc_value *state, fedc_value *m, fedc_value *em, double seconds) {
    fedc_metrics_record_reset(f->record, round, wall_clock());
    fedc_status st = flatten(ctx, f->record, m, "");
    if (st >= 0) st = flatten(ctx, f->record, em, "");
    if (st >= 0) st = fedc_metrics_record_add(ctx, f->record, "round_seconds", seconds);
    if (st >= 0 && f->writers) st = fedc_metrics_writer_write(ctx, f->writers, f->record);
    bool due = f->ckpt && o->checkpoint_every > 0 &&
               (round % o->checkpoint_every == 0 || round == o->rounds);
    if (st >= 0 && due) {
        fedc_checkpoint_blob b[8];
        int64_t round_le;
        float est[FEDC__AGG_MAX_DEPTH];
        size_t count = 0;
        uint8_t *store = NULL;
        size_t store_len = 0;
        st = state_blobs(ctx, p, state, b, &round_le, est, &count);
        /* SCAFFOLD: the clients' control variates as they are after this round */
        if (st >= 0 && p->store) st = fedc__store_save(ctx, p->store, &store, &store_len);
        if (st >= 0 && p->store)
            b[count++] = (fedc_checkpoint_blob){"client_store", store, store_len};
        if (st >= 0) st = fedc_checkpoint_save(ctx, f->ckpt, round, b, count);
        fedc_free(store);
    }
    return st;
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
    if (fedc_learning_process_round(process, *state) < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "training: not a state of this process");
    run_files files;
    fedc_status fst = files_open(ctx, process, opts, state, &files);
    if (fst < 0) {
        files_close(&files);
        return fst;
    }
    int64_t start = fedc_learning_process_round(process, *state);
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
        double seconds = now() - t1;
        if (st >= 0) st = release_round(ctx, process, opts, &files, r + 1, *state, m, em, seconds);
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
            rep.seconds = seconds;
            rep.record = files.record;
            rep.elapsed = now() - t0;
            rep.metrics = m;
            rep.eval = em;
            st = opts->on_round(ctx, opts->user, &rep);
        }
        fedc_value_release(m);
        fedc_value_release(em);
    }
    files_close(&files);
    fedc_free(test_ids);
    fedc_value_release(test_value);
    fedc_learning_process_destroy(eval);
    fedc_pool_destroy(pool);
    fedc_free(idx);
    fedc_free(ids);
    return st;
}
