/* exec_parallel.c — the threaded executor's part: federated_map over clients on a fedc_pool,
 * and aggregations that fold a map's results as they stream.
 *
 * Determinism: results are handed on (stored or folded) strictly in client-index order, so the
 * arithmetic is the reference executor's, bit for bit, for any number of threads. It must never
 * fold in completion order, never share a fedc_ctx between threads, and never hold more than a
 * window of results.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

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

/* Clients are dealt to workers in chunks of consecutive indices (any free worker takes the next
 * chunk), and results are handed on to the sink in client order by whichever worker finds the
 * next one ready: a worker puts each result into a ring of `window` slots (slot i % window) and
 * then advances the hand-off as far as results are there. One worker at a time advances (the
 * `advancing` flag, taken by exchange: a worker that cannot take it leaves its result to the
 * one that holds it, which looks again after letting go). A worker starts a chunk only when its
 * clients fit the ring (end <= handed + window), so at most a window of results is held, and a
 * worker whose clients are done goes on to the next chunk instead of waiting for slower ones
 * (a round of ten clients of different sizes keeps both cores busy).
 *
 * The client at `handed` may skip the ring: its worker sees that it is next and lets its fused
 * chain add straight into the running sum (fold_into), since nobody else can hand on before it.
 * The running sum (a 4 KB update in the bench) thus moves between cores only when the worker
 * that advances changes. */
typedef struct map_job {
    fedc__exec *ex;
    fedc_intrinsic in;
    fedc__client_work work;
    void *work_user;
    fedc_value *v;
    fedc__client_sink sink;
    void *sink_user;
    size_t n;
    size_t chunk;                /* clients per chunk */
    int64_t first;               /* the loop's index 0 is chunk `first` */
    size_t window;               /* ring slots, >= chunk */
    fedc_ctx **ctxs;             /* one per worker */
    _Atomic(fedc_value *) *ring; /* [window]: results waiting to be handed on */
    fedc_value **spares;         /* [worker]: fedc__exec.spare */
    /* a fold by addition (NULL: another sink): the running sum, and the mapped function's body,
     * whose fused chain may add a client's result into the sum when the client is next */
    fedc_value **fold_acc;
    const fedc_node *fold_node;
    /* clients [0, handed) went to the sink; advanced (release) only by the holder of
     * `advancing`, or by the worker of client `handed` when it folds that client itself */
    atomic_size_t handed;
    /* the lowest client that failed, in its work or in the sink (n: none): clients above it are
     * not run and nothing is handed on beyond it; lowered under `lock` */
    atomic_size_t stop;
    /* true while a worker hands on. It, `handed` and the ring's slots are accessed in sequentially
     * consistent order where two workers must not both miss each other's write: a worker puts
     * its result and then tries the flag, the holder clears the flag and then looks at the slot
     * again, so one of them sees the other (the same for `handed` and `waiters`) */
    atomic_bool advancing;
    atomic_int waiters; /* workers blocked on `room` */
    pthread_mutex_t lock;
    pthread_cond_t room; /* `handed` moved (a chunk may now fit the ring), or `stop` fell */
    fedc_status fail_status;
    char *fail_msg; /* the lowest failure's message (NULL: no memory for it) */
} map_job;

/* Records a failure at client i (message from ctx) if it is the lowest so far, and wakes the
 * waiting workers, whose room may now never come. */
static void fail_at(map_job *j, size_t i, fedc_status st, fedc_ctx *ctx) {
    char *msg = fedc_strdup(fedc_ctx_message(ctx));
    pthread_mutex_lock(&j->lock);
    if (i < atomic_load(&j->stop)) {
        atomic_store(&j->stop, i);
        j->fail_status = st;
        fedc_free(j->fail_msg);
        j->fail_msg = msg;
        msg = NULL;
    }
    pthread_cond_broadcast(&j->room);
    pthread_mutex_unlock(&j->lock);
    fedc_free(msg);
}

/* Wakes the workers waiting for room, if any. Called after the sequentially consistent store
 * that moved `handed`: either the waiter's re-check sees it or this sees the waiter's count. */
static void wake_waiters(map_job *j) {
    if (atomic_load(&j->waiters) > 0) {
        pthread_mutex_lock(&j->lock);
        pthread_cond_broadcast(&j->room);
        pthread_mutex_unlock(&j->lock);
    }
}

static bool ready(map_job *j) {
    size_t h = atomic_load(&j->handed);
    return h < atomic_load_explicit(&j->stop, memory_order_relaxed) &&
           atomic_load(&j->ring[h % j->window]) != NULL;
}

/* Hands on every result that is next and ready, while this worker can take `advancing`; looks
 * again after letting go, for a result put while it held it. */
static void advance(map_job *j, fedc__exec *wex) {
    while (ready(j) && !atomic_exchange(&j->advancing, true)) {
        bool moved = false;
        for (;;) {
            size_t h = atomic_load_explicit(&j->handed, memory_order_relaxed);
            if (h >= atomic_load_explicit(&j->stop, memory_order_relaxed)) break;
            fedc_value *r =
                atomic_exchange_explicit(&j->ring[h % j->window], NULL, memory_order_acquire);
            if (!r) break;
            fedc_status st = j->sink(wex, j->sink_user, h, r); /* takes the reference */
            if (st < 0) {
                fail_at(j, h, st, wex->ctx);
                break;
            }
            atomic_store(&j->handed, h + 1);
            moved = true;
        }
        atomic_store(&j->advancing, false);
        if (moved) wake_waiters(j);
    }
}

/* Blocks until clients below `end` fit the ring, or a failure below `base` makes the chunk
 * moot; true when it may run. */
static bool wait_room(map_job *j, size_t base, size_t end) {
    for (int spin = 0;; spin++) {
        if (end <= atomic_load_explicit(&j->handed, memory_order_acquire) + j->window) return true;
        if (base >= atomic_load_explicit(&j->stop, memory_order_relaxed)) return false;
        /* the room is usually a client away: watch for it a while before sleeping */
        if (spin >= 1 << 14) break;
    }
    pthread_mutex_lock(&j->lock);
    atomic_fetch_add(&j->waiters, 1);
    while (end > atomic_load(&j->handed) + j->window && base < atomic_load(&j->stop))
        pthread_cond_wait(&j->room, &j->lock);
    atomic_fetch_sub(&j->waiters, 1);
    pthread_mutex_unlock(&j->lock);
    return base < atomic_load(&j->stop);
}

/* Whether a running sum can take a chain's result in place: a float32 tensor that no one else
 * holds (the condition under which fedc__value_accumulate adds in place). */
static bool foldable(const fedc_value *acc) {
    return acc && atomic_load(&acc->refs) == 1 && acc->kind == FEDC_VALUE_TENSOR &&
           acc->tensor.dtype == FEDC_DTYPE_FLOAT32 && acc->tensor.owned &&
           acc->tensor.owned == acc->tensor.data && fedc_tensor_is_contiguous(&acc->tensor);
}

static void map_chunk(void *arg, int64_t q, int worker) {
    map_job *j = arg;
    q += j->first;
    size_t base = (size_t)q * j->chunk, end = base + j->chunk < j->n ? base + j->chunk : j->n;
    fedc__exec wex = *j->ex; /* the run's options and constants, the worker's own ctx */
    wex.ctx = j->ctxs[worker];
    wex.spare = &j->spares[worker];
    if (!wait_room(j, base, end)) return;
    fedc__fold_into into = {j->fold_node, NULL, false};
    for (size_t i = base; i < end && i < atomic_load_explicit(&j->stop, memory_order_relaxed);
         i++) {
        /* the client is next in the fold and nobody can hand on before it: its chain may add
         * into the sum directly */
        bool next = j->fold_acc && atomic_load_explicit(&j->handed, memory_order_acquire) == i;
        into.acc = next && foldable(*j->fold_acc) ? *j->fold_acc : NULL;
        into.done = false;
        wex.fold_into = into.acc ? &into : NULL;
        fedc_value *r = NULL;
        fedc_status st = j->work(&wex, j->work_user, j->v ? j->v->items[i] : NULL, &r);
        wex.fold_into = NULL;
        if (st < 0) {
            fedc__exec_client_error(&wex, j->in, i, st);
            fail_at(j, i, st, wex.ctx);
            fedc_value_release(r);
            return;
        }
        if (into.done) { /* r is a placeholder: the client is folded */
            fedc_value_release(r);
            atomic_store(&j->handed, i + 1);
            wake_waiters(j);
        } else {
            atomic_store(&j->ring[i % j->window], r);
        }
        advance(j, &wex);
    }
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Clients lighter than this run on one thread: the fold, which is in client order on one thread
 * at a time, then takes as long as the work, and a second core only adds the cost of moving
 * results and the running sum between caches (bench/core: 100,000 clients of 0.2 us each were
 * slower on 2 threads than on 1). Speed only: any split gives the same bits. */
#define LIGHT_CLIENT_SECONDS 2e-6

/* Runs the chunks [0, nchunks) on the pool. With many clients, the first chunk runs alone on
 * this thread first, as a probe: when its clients are light, the rest run here too, in order. */
static void run_chunks(map_job *j, fedc_pool *pool, int64_t nchunks) {
    int nthreads = fedc_pool_size(pool);
    j->first = 0;
    if (nthreads > 1 && nchunks >= 16 * (int64_t)nthreads) {
        double t0 = seconds();
        map_chunk(j, 0, 0);
        double per_client = (seconds() - t0) / (double)j->chunk;
        j->first = 1;
        if (per_client < LIGHT_CLIENT_SECONDS) pool = NULL; /* inline, in order, as worker 0 */
    }
    fedc_pool_parallel_for(pool, nchunks - j->first, map_chunk, j);
}

/* The plain client work: the mapped function applied to the client's member. */
static fedc_status apply_work(fedc__exec *ex, void *user, fedc_value *x, fedc_value **out) {
    return fedc__exec_apply(ex, user, x, out);
}

/* fedc__exec_work_clients; fold_acc as in map_job (NULL: none), fold_node the body of the
 * mapped function when work is apply_work of a lambda. */
static fedc_status work_clients(fedc__exec *ex, fedc_intrinsic in, fedc__client_work work,
                                void *work_user, fedc_value *v, size_t n, fedc__client_sink sink,
                                void *user, fedc_value **fold_acc, const fedc_node *fold_node) {
    if (n == 0) return FEDC_STATUS_OK;
    int nthreads = fedc_pool_size(ex->opts.pool);
    /* 16 clients per chunk by default, so each worker may hold a chunk in the ring while it
     * computes the next one. A round of few clients (learning:
     * ten clients that train for a while each) gets chunks small enough for every worker to
     * have several, or the first worker would take them all. */
    size_t window = ex->opts.window ? ex->opts.window : 32 * (size_t)nthreads;
    size_t chunk = window / (size_t)nthreads / 2 ? window / (size_t)nthreads / 2 : 1;
    size_t balanced = n / (4 * (size_t)nthreads);
    if (chunk > balanced) chunk = balanced ? balanced : 1;
    map_job j;
    memset(&j, 0, sizeof j);
    j.ex = ex;
    j.in = in;
    j.work = work;
    j.work_user = work_user;
    j.v = v;
    j.sink = sink;
    j.sink_user = user;
    j.n = n;
    j.chunk = chunk;
    j.window = window;
    j.fold_acc = fold_node ? fold_acc : NULL;
    j.fold_node = fold_node;
    atomic_init(&j.handed, 0);
    atomic_init(&j.stop, n);
    atomic_init(&j.waiters, 0);
    atomic_init(&j.advancing, false);
    j.ctxs = fedc_calloc((size_t)nthreads, sizeof *j.ctxs);
    j.ring = fedc_calloc(window, sizeof *j.ring);
    j.spares = fedc_calloc((size_t)nthreads, sizeof *j.spares);
    fedc_status st = j.ctxs && j.ring && j.spares
                         ? FEDC_STATUS_OK
                         : fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                           "%s: out of memory for a window of %zu "
                                           "clients",
                                           fedc_intrinsic_name(in), window);
    int made = 0; /* 1: the lock, 2: and the condition */
    if (st >= 0 && pthread_mutex_init(&j.lock, NULL) == 0) made++;
    if (made == 1 && pthread_cond_init(&j.room, NULL) == 0) made++;
    if (st >= 0 && made < 2)
        st = fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot make a lock",
                             fedc_intrinsic_name(in));
    for (int w = 0; w < nthreads && st >= 0; w++)
        st = fedc_ctx_create(&j.ctxs[w]);
    if (st < 0 && fedc_ctx_status(ex->ctx) >= 0)
        st = fedc_ctx_errorf(ex->ctx, st, "%s: cannot make worker contexts",
                             fedc_intrinsic_name(in));
    if (st >= 0) {
        run_chunks(&j, ex->opts.pool, (int64_t)((n + chunk - 1) / chunk));
        /* every result was handed on by the workers; this only matters if one was not */
        fedc__exec wex = *ex;
        wex.ctx = j.ctxs[0];
        wex.spare = &j.spares[0];
        advance(&j, &wex);
        if (atomic_load(&j.stop) == n && atomic_load(&j.handed) != n)
            st = fedc_ctx_errorf(ex->ctx, FEDC_STATUS_INTERNAL,
                                 "%s: %zu of %zu clients were not handed on",
                                 fedc_intrinsic_name(in), n - atomic_load(&j.handed), n);
        /* the pool has joined its workers: what they wrote is visible here */
        if (atomic_load(&j.stop) < n)
            st = fedc_ctx_errorf(ex->ctx, j.fail_status, "%s",
                                 j.fail_msg ? j.fail_msg : "a client failed (no memory for why)");
    }
    fedc_free(j.fail_msg);
    if (made >= 2) pthread_cond_destroy(&j.room);
    if (made >= 1) pthread_mutex_destroy(&j.lock);
    for (size_t k = 0; j.ring && k < window; k++) /* kept after a failure: never handed on */
        fedc_value_release(atomic_load(&j.ring[k]));
    for (int w = 0; j.ctxs && w < nthreads; w++)
        fedc_ctx_destroy(j.ctxs[w]);
    fedc_free(j.ctxs);
    for (int w = 0; j.spares && w < nthreads; w++)
        fedc_value_release(j.spares[w]);
    fedc_free((void *)j.ring);
    fedc_free(j.spares);
    return st;
}

fedc_status fedc__exec_work_clients(fedc__exec *ex, fedc_intrinsic in, fedc__client_work work,
                                    void *work_user, fedc_value *v, size_t n,
                                    fedc__client_sink sink, void *user) {
    return work_clients(ex, in, work, work_user, v, n, sink, user, NULL, NULL);
}

fedc_status fedc__exec_map_clients(fedc__exec *ex, fedc_intrinsic in, fedc_value *fn, fedc_value *v,
                                   size_t n, fedc__client_sink sink, void *user) {
    return work_clients(ex, in, apply_work, fn, v, n, sink, user, NULL, NULL);
}

/* The running fold of a fused aggregation: the reference executor's order, acc = m0, then
 * acc = op(acc, m_i) for i = 1, 2, ... */
typedef struct fold_state {
    fedc_intrinsic in;
    fedc_binary_op op;
    fedc_value *acc;
} fold_state;

/* Releases r, a result the fold is done with, or keeps it as the worker's spare when it is a
 * float32 tensor no one else holds: the worker's next fused result then reuses its memory (a
 * 4 KB malloc and free per client in the bench). */
static void recycle(fedc__exec *ex, fedc_value *r) {
    if (ex->spare && !*ex->spare && atomic_load(&r->refs) == 1 && r->kind == FEDC_VALUE_TENSOR &&
        r->tensor.dtype == FEDC_DTYPE_FLOAT32 && r->tensor.owned &&
        r->tensor.owned == r->tensor.data && fedc_tensor_is_contiguous(&r->tensor) && !r->env &&
        !r->lazy && !r->names && !r->items)
        *ex->spare = r;
    else
        fedc_value_release(r);
}

static fedc_status fold_sink(fedc__exec *ex, void *user, size_t i, fedc_value *r) {
    fold_state *f = user;
    if (!f->acc) {
        f->acc = r;
        return FEDC_STATUS_OK;
    }
    fedc_status st = fedc__value_accumulate(ex->ctx, f->op, &f->acc, r);
    recycle(ex, r);
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
    /* a sum or mean of a lambda's results: its body, when a fused chain, adds into the sum */
    fedc_value *fn = arg->items[0];
    const fedc_node *body = f.op == FEDC_BINARY_OP_ADD && fn->kind == FEDC_VALUE_FUNCTION &&
                                    fn->lambda->kind == FEDC_NODE_LAMBDA && fn->lambda->n == 1
                                ? fn->lambda->a[0]
                                : NULL;
    st = work_clients(ex, FEDC_INTRINSIC_FEDERATED_MAP, apply_work, fn, v, nclients, fold_sink, &f,
                      &f.acc, body);
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
