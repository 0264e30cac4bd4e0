/* exec_parallel.c — the threaded executor's part: federated_map over clients on a fedc_pool,
 * and aggregations that fold a map's results as they stream.
 *
 * Determinism: results are handed on (stored or folded) strictly in client-index order, so the
 * arithmetic is the reference executor's, bit for bit, for any number of threads. It must never
 * fold in completion order, never share a fedc_ctx between threads, and never hold more than a
 * window of results (a chunk per worker).
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

/* Clients are dealt to workers in chunks of consecutive indices, and a chunk's results are
 * folded by the worker that computed them: the running sum (a 4 KB update in the bench) moves
 * between cores once per chunk, not once per client, and each update is read back from the
 * cache that wrote it. The chunk holding client `handed` is the only one whose owner may hand
 * on; its owner hands on each result as soon as it is computed, and when it has handed on the
 * chunk's last client it passes the turn (the store of `handed`) to the owner of the next chunk,
 * which has meanwhile kept its results and hands them on in order once the turn comes. A worker
 * that has computed its chunk before its turn waits for it, so at most one chunk of results per
 * worker is held. */
typedef struct map_job {
    fedc__exec *ex;
    fedc_intrinsic in;
    fedc__client_work work;
    void *work_user;
    fedc_value *v;
    fedc__client_sink sink;
    void *sink_user;
    size_t n;
    size_t chunk;        /* clients per chunk */
    fedc_ctx **ctxs;     /* one per worker */
    fedc_value **res;    /* [worker][chunk]: the results a worker keeps until its turn */
    fedc_value **spares; /* [worker]: fedc__exec.spare */
    /* a fold by addition (NULL: another sink): the running sum, and the mapped function's body,
     * whose fused chain may add a client's result into the sum when the client is next */
    fedc_value **fold_acc;
    const fedc_node *fold_node;
    /* clients [0, handed) went to the sink; the owner of the chunk holding `handed` alone
     * advances it (release), the others read it (acquire) to learn that their turn has come */
    atomic_size_t handed;
    /* the lowest client that failed, in its work or in the sink (n: none): clients above it are
     * not run and nothing is handed on beyond it; lowered under `lock` */
    atomic_size_t stop;
    atomic_int waiters; /* workers blocked on `turn` */
    pthread_mutex_t lock;
    pthread_cond_t turn; /* `handed` reached a waiting chunk, or `stop` fell */
    fedc_status fail_status;
    char *fail_msg; /* the lowest failure's message (NULL: no memory for it) */
} map_job;

/* Records a failure at client i (message from ctx) if it is the lowest so far, and wakes the
 * waiting workers, whose turn may now never come. */
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
    pthread_cond_broadcast(&j->turn);
    pthread_mutex_unlock(&j->lock);
    fedc_free(msg);
}

/* Hands results [*from, to) of the chunk starting at `base` on to the sink; the caller's turn
 * has come (handed == *from). Advances *from past what was handed on. False after a failure. */
static bool hand_on(map_job *j, fedc__exec *wex, fedc_value **res, size_t base, size_t *from,
                    size_t to) {
    while (*from < to) {
        size_t i = (*from)++;
        fedc_status st = j->sink(wex, j->sink_user, i, res[i - base]); /* takes the reference */
        res[i - base] = NULL;
        if (st < 0) {
            fail_at(j, i, st, wex->ctx);
            return false;
        }
        atomic_store_explicit(&j->handed, i + 1, memory_order_release);
    }
    return true;
}

/* Blocks until the turn reaches client `at` or a failure below `at` makes it never come;
 * true when the turn came. */
static bool wait_turn(map_job *j, size_t at) {
    /* the turn is usually a few clients away: watch for it a while before sleeping, since a
     * sleeping worker woke up tens of microseconds late on a busy machine, holding up the turn
     * it had to pass on (bench/core: 2 threads at half the speed of 1) */
    for (int spin = 0; spin < 1 << 14; spin++) {
        if (atomic_load_explicit(&j->handed, memory_order_acquire) == at) return true;
        if (at >= atomic_load_explicit(&j->stop, memory_order_relaxed)) return false;
    }
    pthread_mutex_lock(&j->lock);
    atomic_fetch_add(&j->waiters, 1);
    while (atomic_load(&j->handed) != at && at < atomic_load(&j->stop))
        pthread_cond_wait(&j->turn, &j->lock);
    atomic_fetch_sub(&j->waiters, 1);
    pthread_mutex_unlock(&j->lock);
    return atomic_load_explicit(&j->handed, memory_order_acquire) == at;
}

/* Wakes the owner of the next chunk if it waits for the turn just passed. Called after the
 * store of `handed` (sequentially consistent with the waiter's count and its re-check, so
 * either the waiter sees the new value or this sees the waiter). */
static void pass_turn(map_job *j) {
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&j->waiters) > 0) {
        pthread_mutex_lock(&j->lock);
        pthread_cond_broadcast(&j->turn);
        pthread_mutex_unlock(&j->lock);
    }
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
    size_t base = (size_t)q * j->chunk, end = base + j->chunk < j->n ? base + j->chunk : j->n;
    fedc__exec wex = *j->ex; /* the run's options and constants, the worker's own ctx */
    wex.ctx = j->ctxs[worker];
    wex.spare = &j->spares[worker];
    fedc_value **res = j->res + (size_t)worker * j->chunk;
    size_t from = base; /* the first client of the chunk not yet handed on */
    bool ok = true;
    size_t i = base;
    fedc__fold_into into = {j->fold_node, NULL, false};
    for (; i < end && ok && i < atomic_load_explicit(&j->stop, memory_order_relaxed); i++) {
        bool turn = atomic_load_explicit(&j->handed, memory_order_acquire) == from;
        if (turn && from < i && !(ok = hand_on(j, &wex, res, base, &from, i))) break;
        /* the client is next in the fold: its chain may add into the sum directly */
        into.acc = turn && j->fold_acc && foldable(*j->fold_acc) ? *j->fold_acc : NULL;
        into.done = false;
        wex.fold_into = into.acc ? &into : NULL;
        fedc_value *r = NULL;
        fedc_status st = j->work(&wex, j->work_user, j->v ? j->v->items[i] : NULL, &r);
        wex.fold_into = NULL;
        if (st >= 0 && into.done) { /* r is a placeholder: the client is folded */
            fedc_value_release(r);
            from = i + 1;
            atomic_store_explicit(&j->handed, from, memory_order_release);
            continue;
        }
        if (st < 0) {
            fedc__exec_client_error(&wex, j->in, i, st);
            fail_at(j, i, st, wex.ctx);
            fedc_value_release(r);
            ok = false;
            break;
        }
        res[i - base] = r;
        /* our turn: hand on at once, while the result is in this core's cache */
        if (atomic_load_explicit(&j->handed, memory_order_acquire) == from)
            ok = hand_on(j, &wex, res, base, &from, i + 1);
    }
    /* the chunk is computed: hand on what is left when the turn comes */
    if (ok && i == end && from < end && wait_turn(j, from))
        ok = hand_on(j, &wex, res, base, &from, end);
    if (from == end) pass_turn(j);
    for (size_t k = from; k < i; k++) { /* kept after a failure: never handed on */
        fedc_value_release(res[k - base]);
        res[k - base] = NULL;
    }
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
    /* 32 clients per chunk by default: the turn passes (and may wake a worker) once per chunk,
     * and at most one chunk of results per worker is held. A round of few clients (learning:
     * ten clients that train for a while each) gets chunks small enough for every worker to
     * have several, or the first worker would take them all. */
    size_t window = ex->opts.window ? ex->opts.window : 32 * (size_t)nthreads;
    size_t chunk = window / (size_t)nthreads ? window / (size_t)nthreads : 1;
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
    j.fold_acc = fold_node ? fold_acc : NULL;
    j.fold_node = fold_node;
    atomic_init(&j.handed, 0);
    atomic_init(&j.stop, n);
    atomic_init(&j.waiters, 0);
    j.ctxs = fedc_calloc((size_t)nthreads, sizeof *j.ctxs);
    j.res = fedc_calloc((size_t)nthreads * chunk, sizeof *j.res);
    j.spares = fedc_calloc((size_t)nthreads, sizeof *j.spares);
    fedc_status st = j.ctxs && j.res && j.spares
                         ? FEDC_STATUS_OK
                         : fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                           "%s: out of memory for a window of %zu "
                                           "clients",
                                           fedc_intrinsic_name(in), window);
    int made = 0; /* 1: the lock, 2: and the condition */
    if (st >= 0 && pthread_mutex_init(&j.lock, NULL) == 0) made++;
    if (made == 1 && pthread_cond_init(&j.turn, NULL) == 0) made++;
    if (st >= 0 && made < 2)
        st = fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot make a lock",
                             fedc_intrinsic_name(in));
    for (int w = 0; w < nthreads && st >= 0; w++)
        st = fedc_ctx_create(&j.ctxs[w]);
    if (st < 0 && fedc_ctx_status(ex->ctx) >= 0)
        st = fedc_ctx_errorf(ex->ctx, st, "%s: cannot make worker contexts",
                             fedc_intrinsic_name(in));
    if (st >= 0) {
        fedc_pool_parallel_for(ex->opts.pool, (int64_t)((n + chunk - 1) / chunk), map_chunk, &j);
        /* the pool has joined its workers: what they wrote is visible here */
        if (atomic_load(&j.stop) < n)
            st = fedc_ctx_errorf(ex->ctx, j.fail_status, "%s",
                                 j.fail_msg ? j.fail_msg : "a client failed (no memory for why)");
    }
    fedc_free(j.fail_msg);
    if (made >= 2) pthread_cond_destroy(&j.turn);
    if (made >= 1) pthread_mutex_destroy(&j.lock);
    for (int w = 0; j.ctxs && w < nthreads; w++)
        fedc_ctx_destroy(j.ctxs[w]);
    fedc_free(j.ctxs);
    for (int w = 0; j.spares && w < nthreads; w++)
        fedc_value_release(j.spares[w]);
    fedc_free(j.res);
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
