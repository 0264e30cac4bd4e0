/* pool.c — a fixed set of pthreads that run parallel loops, the calling thread included.
 *
 * Indices are handed out through one atomic counter, so which thread runs which index is not
 * deterministic: nothing here may promise an order, and callers reduce by index afterwards. It
 * must stay clean under ThreadSanitizer: every job field is published under the mutex, and the
 * caller learns that all bodies have returned under the same mutex.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "fedc/base.h"

struct fedc_pool;

typedef struct pool_worker {
    struct fedc_pool *pool;
    int id;
} pool_worker;

struct fedc_pool {
    int nthreads; /* the caller counts as one */
    pthread_t *threads;
    pool_worker *workers;
    int started; /* threads successfully created, for cleanup after a partial start */

    pthread_mutex_t call_mutex; /* one loop at a time: worker ids must stay exclusive */
    pthread_mutex_t mutex;      /* guards everything below */
    pthread_cond_t wake;        /* a new generation or shutdown */
    pthread_cond_t done;        /* busy reached 0 */
    uint64_t generation;
    bool shutdown;
    int busy; /* workers not yet finished with the current generation */

    fedc_pool_fn fn;
    void *arg;
    int64_t n;
    atomic_int_fast64_t next;
};

/* The pool whose loop body this thread is running (and as which worker), so that a nested call
 * runs inline instead of waiting on threads that are busy running its caller. */
static _Thread_local const struct fedc_pool *tl_pool;
static _Thread_local int tl_worker;

static void run_indices(struct fedc_pool *pool, fedc_pool_fn fn, void *arg, int64_t n, int id) {
    for (;;) {
        int64_t i = atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
        if (i >= n) break;
        fn(arg, i, id);
    }
}

static void *worker_main(void *p) {
    pool_worker *w = p;
    struct fedc_pool *pool = w->pool;
    tl_pool = pool;
    tl_worker = w->id;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->mutex);
    for (;;) {
        while (!pool->shutdown && pool->generation == seen)
            pthread_cond_wait(&pool->wake, &pool->mutex);
        if (pool->shutdown) break;
        seen = pool->generation;
        fedc_pool_fn fn = pool->fn;
        void *arg = pool->arg;
        int64_t n = pool->n;
        pthread_mutex_unlock(&pool->mutex);

        run_indices(pool, fn, arg, n, w->id);

        pthread_mutex_lock(&pool->mutex);
        if (--pool->busy == 0) pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->mutex);
    return NULL;
}

static void pool_stop(fedc_pool *pool) {
    pthread_mutex_lock(&pool->mutex);
    pool->shutdown = true;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 0; i < pool->started; i++)
        pthread_join(pool->threads[i], NULL);
}

static void pool_free(fedc_pool *pool, int sync_made) {
    if (sync_made >= 4) pthread_cond_destroy(&pool->done);
    if (sync_made >= 3) pthread_cond_destroy(&pool->wake);
    if (sync_made >= 2) pthread_mutex_destroy(&pool->mutex);
    if (sync_made >= 1) pthread_mutex_destroy(&pool->call_mutex);
    fedc_free(pool->workers);
    fedc_free(pool->threads);
    fedc_free(pool);
}

fedc_status fedc_pool_create(fedc_ctx *ctx, int nthreads, fedc_pool **out) {
    *out = NULL;
    if (nthreads < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "pool: thread count must be >= 0 (0 = one per processor), got %d",
                               nthreads);
    if (nthreads == 0) nthreads = fedc_cpu_count();

    fedc_pool *pool = fedc_calloc(1, sizeof *pool);
    if (!pool) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "pool: out of memory");
    pool->nthreads = nthreads;
    atomic_init(&pool->next, 0);
    if (nthreads > 1) {
        pool->threads = fedc_calloc((size_t)nthreads - 1, sizeof *pool->threads);
        pool->workers = fedc_calloc((size_t)nthreads - 1, sizeof *pool->workers);
        if (!pool->threads || !pool->workers) {
            pool_free(pool, 0);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "pool: out of memory for %d threads", nthreads);
        }
    }

    int made = 0;
    if (pthread_mutex_init(&pool->call_mutex, NULL) == 0) made++;
    if (made == 1 && pthread_mutex_init(&pool->mutex, NULL) == 0) made++;
    if (made == 2 && pthread_cond_init(&pool->wake, NULL) == 0) made++;
    if (made == 3 && pthread_cond_init(&pool->done, NULL) == 0) made++;
    if (made < 4) {
        pool_free(pool, made);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "pool: cannot initialize a mutex or condition variable");
    }

    for (int i = 0; i < nthreads - 1; i++) {
        pool->workers[i] = (pool_worker){pool, i + 1};
        int err = pthread_create(&pool->threads[i], NULL, worker_main, &pool->workers[i]);
        if (err != 0) {
            pool_stop(pool);
            pool_free(pool, 4);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_UNAVAILABLE,
                                   "pool: cannot start thread %d of %d (error %d)", i + 2, nthreads,
                                   err);
        }
        pool->started++;
    }
    *out = pool;
    return FEDC_STATUS_OK;
}

void fedc_pool_destroy(fedc_pool *pool) {
    if (!pool) return;
    pool_stop(pool);
    pool_free(pool, 4);
}

int fedc_pool_size(const fedc_pool *pool) { return pool ? pool->nthreads : 1; }

static void run_inline(int64_t n, fedc_pool_fn fn, void *arg, int worker) {
    for (int64_t i = 0; i < n; i++)
        fn(arg, i, worker);
}

void fedc_pool_parallel_for(fedc_pool *pool, int64_t n, fedc_pool_fn fn, void *arg) {
    if (n <= 0) return;
    if (!pool) {
        run_inline(n, fn, arg, 0);
        return;
    }
    if (tl_pool) {
        /* Nested: the threads that could help may be the ones waiting on this body. On the same
         * pool this thread keeps its worker id; on another pool it takes id 0, which is
         * exclusive only if nothing else runs that pool meanwhile (see the report on base.h). */
        run_inline(n, fn, arg, tl_pool == pool ? tl_worker : 0);
        return;
    }

    pthread_mutex_lock(&pool->call_mutex);
    tl_pool = pool;
    tl_worker = 0;
    if (pool->nthreads == 1 || n == 1) {
        run_inline(n, fn, arg, 0);
    } else {
        pthread_mutex_lock(&pool->mutex);
        pool->fn = fn;
        pool->arg = arg;
        pool->n = n;
        atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
        pool->busy = pool->nthreads - 1;
        pool->generation++;
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->mutex);

        run_indices(pool, fn, arg, n, 0);

        pthread_mutex_lock(&pool->mutex);
        while (pool->busy > 0)
            pthread_cond_wait(&pool->done, &pool->mutex);
        pthread_mutex_unlock(&pool->mutex);
    }
    tl_pool = NULL;
    pthread_mutex_unlock(&pool->call_mutex);
}

int fedc_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return 1;
    if (n > 65536) return 65536;
    return (int)n;
}
