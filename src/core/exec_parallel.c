/* exec_parallel.c — the threaded executor's part: federated_map over clients on a fedc_pool,
 * window by window, and aggregations that fold a map's results as they stream.
 *
 * Determinism: workers write results by client index; results are handed on (stored or folded)
 * strictly in index order on the calling thread, so the arithmetic is the reference executor's,
 * bit for bit, for any number of threads. It must never fold in completion order, never share a
 * fedc_ctx between threads, and never hold more than one window of results.
 *
 * Results are handed on as soon as every client before them is done, by whichever worker
 * finishes the missing one (one at a time, under the window's lock), so a client's update is
 * folded while it is still in that worker's cache and its memory is free for the next client;
 * what a failure leaves unfolded the calling thread hands on (or releases) after the window.
 */
#include <pthread.h>
#include <string.h>

#include "core/core_int.h"

fedc_status fedc__exec_client_error(fedc__exec *ex, fedc_intrinsic in, size_t i, fedc_status st) {
    const char *name = fedc_intrinsic_name(in);
    if (ex->opts.client_ids && (int64_t)i < ex->opts.num_clients && ex->opts.client_ids[i])
        fedc_ctx_prefixf(ex->ctx, "%s: client %zu (%s)", name, i, ex->opts.client_ids[i]);
    else
        fedc_ctx_prefixf(ex->ctx, "%s: client %zu", name, i);
    return st;
}

fedc_status fedc__store_result(fedc__exec *ex, void *user, size_t i, fedc_value *r) {
    (void)ex;
    ((fedc_value **)user)[i] = r;
    return FEDC_STATUS_OK;
}

typedef struct map_job {
    fedc__exec *ex;
    fedc_intrinsic in;
    fedc__client_work work;
    void *work_user;
    fedc_value *v;
    fedc__client_sink sink;
    void *sink_user;
    size_t base;         /* the window's first client */
    size_t m;            /* clients in the window */
    fedc_ctx **ctxs;     /* one per worker */
    fedc_value **res;    /* [window] */
    fedc_status *status; /* [window] */
    bool *ready;         /* [window]: the client finished (res, status set); under lock */
    char **msg;          /* [window]: the failing clients' messages */
    /* In-order hand-off within the window: clients [0, handed) went to the sink. `handing` is
     * set while one worker runs the sink, so the sink never runs on two threads at once. A
     * failing sink sets sink_status and its message, and nothing more is handed on. */
    pthread_mutex_t lock;
    bool serial; /* a pool of one thread: every client runs on the calling thread, no lock */
    size_t handed;
    bool handing;
    fedc_status sink_status;
    char *sink_msg;
} map_job;

/* Hands results to the sink in index order from j->handed while they are ready and succeeded;
 * called with j->lock held by a worker that has just finished a client, on its own executor. */
static void hand_on(map_job *j, fedc__exec *wex) {
    if (j->handing) return; /* the worker handing on now will see this client ready */
    j->handing = true;
    while (j->sink_status >= 0 && j->handed < j->m && j->ready[j->handed] &&
           j->status[j->handed] >= 0) {
        size_t k = j->handed++;
        fedc_value *r = j->res[k];
        j->res[k] = NULL;
        if (!j->serial) pthread_mutex_unlock(&j->lock);
        fedc_status st = j->sink(wex, j->sink_user, j->base + k, r); /* takes the reference */
        char *msg = st < 0 ? fedc_strdup(fedc_ctx_message(wex->ctx)) : NULL;
        if (!j->serial) pthread_mutex_lock(&j->lock);
        if (st < 0) {
            j->sink_status = st;
            j->sink_msg = msg;
        }
    }
    j->handing = false;
}

static void map_one(void *arg, int64_t k, int worker) {
    map_job *j = arg;
    size_t i = j->base + (size_t)k;
    fedc__exec wex = *j->ex; /* the run's options and constants, the worker's own ctx */
    wex.ctx = j->ctxs[worker];
    fedc_value *r = NULL;
    fedc_status st = j->work(&wex, j->work_user, j->v ? j->v->items[i] : NULL, &r);
    char *msg = NULL;
    if (st < 0) {
        fedc__exec_client_error(&wex, j->in, i, st);
        msg = fedc_strdup(fedc_ctx_message(wex.ctx));
    }
    if (!j->serial) pthread_mutex_lock(&j->lock);
    j->res[k] = r;
    j->status[k] = st;
    j->msg[k] = msg;
    j->ready[k] = true;
    hand_on(j, &wex);
    if (!j->serial) pthread_mutex_unlock(&j->lock);
}

/* The plain client work: the mapped function applied to the client's member. */
static fedc_status apply_work(fedc__exec *ex, void *user, fedc_value *x, fedc_value **out) {
    return fedc__exec_apply(ex, user, x, out);
}

fedc_status fedc__exec_map_clients(fedc__exec *ex, fedc_intrinsic in, fedc_value *fn, fedc_value *v,
                                   size_t n, fedc__client_sink sink, void *user) {
    return fedc__exec_work_clients(ex, in, apply_work, fn, v, n, sink, user);
}

fedc_status fedc__exec_work_clients(fedc__exec *ex, fedc_intrinsic in, fedc__client_work work,
                                    void *work_user, fedc_value *v, size_t n,
                                    fedc__client_sink sink, void *user) {
    int nthreads = fedc_pool_size(ex->opts.pool);
    /* each window costs a wake-up and a wait on every worker: with a few microseconds of work
     * per client, 4 clients per thread spent more time in the hand-off than in the clients
     * (bench/core: 2 threads slower than 1); 32 per thread amortizes it and still holds only a
     * few windows' worth of results */
    size_t window = ex->opts.window ? ex->opts.window : 32 * (size_t)nthreads;
    if (window > n) window = n ? n : 1;
    map_job j;
    memset(&j, 0, sizeof j);
    j.ex = ex;
    j.in = in;
    j.work = work;
    j.work_user = work_user;
    j.v = v;
    j.sink = sink;
    j.sink_user = user;
    j.serial = nthreads == 1;
    j.ctxs = fedc_calloc((size_t)nthreads, sizeof *j.ctxs);
    j.res = fedc_calloc(window, sizeof *j.res);
    j.status = fedc_calloc(window, sizeof *j.status);
    j.ready = fedc_calloc(window, sizeof *j.ready);
    j.msg = fedc_calloc(window, sizeof *j.msg);
    fedc_status st = j.ctxs && j.res && j.status && j.ready && j.msg
                         ? FEDC_STATUS_OK
                         : fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                           "%s: out of memory for a window of %zu clients",
                                           fedc_intrinsic_name(in), window);
    bool locked = false;
    if (st >= 0 && pthread_mutex_init(&j.lock, NULL) != 0)
        st = fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot make a lock",
                             fedc_intrinsic_name(in));
    else
        locked = st >= 0;
    for (int w = 0; w < nthreads && st >= 0; w++)
        st = fedc_ctx_create(&j.ctxs[w]);
    if (st < 0 && fedc_ctx_status(ex->ctx) >= 0)
        st = fedc_ctx_errorf(ex->ctx, st, "%s: cannot make worker contexts",
                             fedc_intrinsic_name(in));
    for (size_t base = 0; base < n && st >= 0; base += window) {
        size_t m = n - base < window ? n - base : window;
        j.base = base;
        j.m = m;
        j.handed = 0;
        memset(j.res, 0, m * sizeof *j.res);
        memset(j.status, 0, m * sizeof *j.status);
        memset(j.ready, 0, m * sizeof *j.ready);
        fedc_pool_parallel_for(ex->opts.pool, (int64_t)m, map_one, &j);
        /* the pool has joined its workers: what they wrote is visible here without the lock */
        if (j.sink_status < 0) {
            st = fedc_ctx_errorf(ex->ctx, j.sink_status, "%s",
                                 j.sink_msg ? j.sink_msg : "a client failed (no memory for why)");
            fedc_free(j.sink_msg);
            j.sink_msg = NULL;
        }
        for (size_t k = 0; k < m; k++) {
            if (k >= j.handed) { /* not handed on: a client before it failed, or the sink */
                if (st >= 0 && j.status[k] < 0) /* the lowest failing client of the window */
                    st = fedc_ctx_errorf(ex->ctx, j.status[k], "%s",
                                         j.msg[k] ? j.msg[k]
                                                  : "a client failed (no memory for why)");
                if (st >= 0)
                    st = sink(ex, user, base + k, j.res[k]); /* takes the reference */
                else
                    fedc_value_release(j.res[k]);
                j.res[k] = NULL;
            }
            fedc_free(j.msg[k]);
            j.msg[k] = NULL;
        }
    }
    if (locked) pthread_mutex_destroy(&j.lock);
    for (int w = 0; j.ctxs && w < nthreads; w++)
        fedc_ctx_destroy(j.ctxs[w]);
    fedc_free(j.ctxs);
    fedc_free(j.res);
    fedc_free(j.status);
    fedc_free(j.ready);
    fedc_free(j.msg);
    return st;
}

/* The running fold of a fused aggregation: the reference executor's order, acc = m0, then
 * acc = op(acc, m_i) for i = 1, 2, ... */
typedef struct fold_state {
    fedc_intrinsic in;
    fedc_binary_op op;
    fedc_value *acc;
} fold_state;

static fedc_status fold_sink(fedc__exec *ex, void *user, size_t i, fedc_value *r) {
    fold_state *f = user;
    if (!f->acc) {
        f->acc = r;
        return FEDC_STATUS_OK;
    }
    fedc_status st = fedc__value_accumulate(ex->ctx, f->op, &f->acc, r);
    fedc_value_release(r);
    if (st < 0) return fedc__exec_client_error(ex, f->in, i, st);
    return FEDC_STATUS_OK;
}

static bool is_map_call(const fedc_node *m) {
    return m && m->kind == FEDC_NODE_CALL && m->a[0]->kind == FEDC_NODE_INTRINSIC &&
           m->a[0]->intrinsic == FEDC_INTRINSIC_FEDERATED_MAP && m->a[1];
}

/* Evaluates a federated_map call's argument into *arg; true when it maps a per-client value of
 * at least one client (what streams), else *arg is released and NULL. */
static fedc_status eval_map_arg(fedc__exec *ex, fedc__env *env, const fedc_node *map,
                                fedc_value **arg, bool *streams) {
    *streams = false;
    fedc_status st = fedc__exec_eval(ex, env, map->a[1], arg);
    if (st < 0) return st;
    fedc_value *a = *arg;
    fedc_value *v = a->kind == FEDC_VALUE_STRUCT && a->n == 2 ? a->items[1] : NULL;
    *streams = v && v->kind == FEDC_VALUE_FEDERATED && v->placement == FEDC_PLACEMENT_CLIENTS &&
               !v->all_equal && v->n > 0;
    if (!*streams) {
        /* the general path handles the rest (all-equal inputs, no clients); it evaluates the
         * argument again, which is pure */
        fedc_value_release(a);
        *arg = NULL;
    }
    return FEDC_STATUS_OK;
}

/* federated_aggregate's accumulate, one client at a time in index order, as the reference. */
typedef struct acc_state {
    fedc_value *acc, *accumulate;
} acc_state;

static fedc_status accumulate_sink(fedc__exec *ex, void *user, size_t i, fedc_value *r) {
    acc_state *a = user;
    fedc_value *pair[2] = {a->acc, r}, *arg, *next = NULL;
    fedc_status st = fedc_value_struct(ex->ctx, 2, pair, NULL, &arg);
    fedc_value_release(r);
    if (st < 0) return st;
    if ((st = fedc__exec_apply(ex, a->accumulate, arg, &next)) < 0)
        fedc__exec_client_error(ex, FEDC_INTRINSIC_FEDERATED_AGGREGATE, i, st);
    fedc_value_release(arg);
    fedc_value_release(a->acc);
    a->acc = next;
    return st;
}

/* federated_aggregate(<federated_map(...), zero, accumulate, merge, report>) as it streams. */
static fedc_status fused_federated_aggregate(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                             bool *done, fedc_value **out) {
    const fedc_node *s = n->a[1];
    if (!s || s->kind != FEDC_NODE_STRUCT || s->n != 5 || !is_map_call(s->items[0]))
        return FEDC_STATUS_OK;
    fedc_value *arg, *parts[5] = {NULL};
    bool streams;
    fedc_status st = eval_map_arg(ex, env, s->items[0], &arg, &streams);
    *done = st < 0 || streams;
    if (st < 0 || !streams) return st;
    for (size_t k = 1; k < 5 && st >= 0; k++)
        st = fedc__exec_eval(ex, env, s->items[k], &parts[k]);
    acc_state a = {st >= 0 ? fedc_value_retain(parts[1]) : NULL, parts[2]};
    if (st >= 0)
        st = fedc__exec_map_clients(ex, FEDC_INTRINSIC_FEDERATED_MAP, arg->items[0], arg->items[1],
                                    arg->items[1]->n, accumulate_sink, &a);
    fedc_value *r = NULL;
    if (st >= 0) st = fedc__exec_apply(ex, parts[4], a.acc, &r);
    if (st >= 0) st = fedc_value_federated(ex->ctx, FEDC_PLACEMENT_SERVER, true, 1, &r, out);
    fedc_value_release(r);
    fedc_value_release(a.acc);
    for (size_t k = 1; k < 5; k++)
        fedc_value_release(parts[k]);
    fedc_value_release(arg);
    return st;
}

fedc_status fedc__exec_fused_aggregate(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                       bool *done, fedc_value **out) {
    *done = false;
    *out = NULL;
    const fedc_node *agg = n->a[0];
    if (!ex->opts.pool || agg->kind != FEDC_NODE_INTRINSIC) return FEDC_STATUS_OK;
    if (agg->intrinsic == FEDC_INTRINSIC_FEDERATED_AGGREGATE)
        return fused_federated_aggregate(ex, env, n, done, out);
    if (agg->intrinsic == FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN)
        return fedc__exec_stream_weighted_mean(ex, env, n, done, out);
    fold_state f = {agg->intrinsic, FEDC_BINARY_OP_ADD, NULL};
    switch (agg->intrinsic) {
    case FEDC_INTRINSIC_FEDERATED_SUM:
    case FEDC_INTRINSIC_FEDERATED_MEAN: break;
    case FEDC_INTRINSIC_FEDERATED_MIN: f.op = FEDC_BINARY_OP_MINIMUM; break;
    case FEDC_INTRINSIC_FEDERATED_MAX: f.op = FEDC_BINARY_OP_MAXIMUM; break;
    default: return FEDC_STATUS_OK;
    }
    if (!is_map_call(n->a[1])) return FEDC_STATUS_OK;
    fedc_value *arg;
    bool streams;
    fedc_status st = eval_map_arg(ex, env, n->a[1], &arg, &streams);
    *done = st < 0 || streams;
    if (st < 0 || !streams) return st;
    fedc_value *v = arg->items[1];
    size_t nclients = v->n;
    st = fedc__exec_map_clients(ex, FEDC_INTRINSIC_FEDERATED_MAP, arg->items[0], v, nclients,
                                fold_sink, &f);
    fedc_value_release(arg);
    if (st >= 0 && agg->intrinsic == FEDC_INTRINSIC_FEDERATED_MEAN) {
        fedc_value *m;
        st = fedc__value_divide(ex->ctx, f.acc, (double)nclients, &m);
        fedc_value_release(f.acc);
        f.acc = st >= 0 ? m : NULL;
    }
    if (st < 0) {
        fedc_value_release(f.acc);
        return st;
    }
    fedc_value *r = f.acc;
    st = fedc_value_federated(ex->ctx, FEDC_PLACEMENT_SERVER, true, 1, &r, out);
    fedc_value_release(r);
    return st;
}
