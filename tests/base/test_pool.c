/* test_pool.c — the thread pool: every index exactly once, worker ids, nesting, serialized
 * callers, real concurrency, results independent of the thread count, and creation errors.
 * Run under ThreadSanitizer too: the bodies below touch plain memory on purpose, so a missing
 * happens-before edge in the pool shows up as a race report. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "harness/harness.h"

typedef struct {
    atomic_int *visits;
    int size;
    atomic_int bad_worker;
} visit_args;

static void visit(void *arg, int64_t i, int worker) {
    visit_args *v = arg;
    atomic_fetch_add(&v->visits[i], 1);
    if (worker < 0 || worker >= v->size) atomic_store(&v->bad_worker, 1);
}

TEST(every_index_exactly_once) {
    static const int64_t ns[] = {0, 1, 7, 10000};
    static const int threads[] = {1, 2, 4, 8};
    atomic_int *visits = fedc_calloc(10000, sizeof *visits);
    ASSERT_NOT_NULL(visits);
    for (size_t t = 0; t < 4; t++) {
        fedc_pool *pool;
        ASSERT_OK(fedc_pool_create(ctx, threads[t], &pool));
        ASSERT_EQ(fedc_pool_size(pool), threads[t]);
        for (size_t k = 0; k < 4; k++) {
            for (int64_t i = 0; i < 10000; i++)
                atomic_init(&visits[i], 0);
            visit_args v = {visits, threads[t], 0};
            fedc_pool_parallel_for(pool, ns[k], visit, &v);
            for (int64_t i = 0; i < 10000; i++)
                if (atomic_load(&visits[i]) != (i < ns[k]))
                    FAIL("%d threads, n = %lld: index %lld visited %d times", threads[t],
                         (long long)ns[k], (long long)i, atomic_load(&visits[i]));
            ASSERT_EQ(atomic_load(&v.bad_worker), 0);
        }
        fedc_pool_destroy(pool);
    }
    fedc_free(visits);
}

typedef struct {
    int64_t next;
    int bad;
} order_args;

static void record_order(void *arg, int64_t i, int worker) {
    order_args *o = arg;
    if (i != o->next++ || worker != 0) o->bad = 1;
}

TEST(null_pool_and_size_one_run_inline_in_order) {
    ASSERT_EQ(fedc_pool_size(NULL), 1);
    order_args o = {0, 0};
    fedc_pool_parallel_for(NULL, 1000, record_order, &o);
    ASSERT_EQ(o.next, 1000);
    ASSERT_EQ(o.bad, 0);
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 1, &pool));
    order_args o1 = {0, 0};
    fedc_pool_parallel_for(pool, 1000, record_order, &o1);
    ASSERT_EQ(o1.next, 1000);
    ASSERT_EQ(o1.bad, 0);
    fedc_pool_destroy(pool);
    fedc_pool_destroy(NULL);
}

TEST(zero_threads_means_one_per_processor) {
    int cpus = fedc_cpu_count();
    ASSERT_GE(cpus, 1);
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 0, &pool));
    ASSERT_EQ(fedc_pool_size(pool), cpus);
    fedc_pool_destroy(pool);
}

TEST(negative_count_is_invalid) {
    fedc_pool *pool = (fedc_pool *)&pool;
    ASSERT_STATUS(fedc_pool_create(ctx, -1, &pool), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_NULL(pool);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "-1");
}

typedef struct {
    fedc_pool *pool;
    pthread_t outer_thread[64];
    int outer_worker[64];
    atomic_int bad;
} nest_args;

typedef struct {
    nest_args *n;
    int64_t outer;
    int64_t next;
} inner_args;

static void inner_body(void *arg, int64_t i, int worker) {
    inner_args *in = arg;
    nest_args *n = in->n;
    /* inline: this thread, the outer worker id, in order */
    if (!pthread_equal(pthread_self(), n->outer_thread[in->outer])) atomic_store(&n->bad, 1);
    if (worker != n->outer_worker[in->outer]) atomic_store(&n->bad, 2);
    if (i != in->next++) atomic_store(&n->bad, 3);
}

static void outer_body(void *arg, int64_t i, int worker) {
    nest_args *n = arg;
    n->outer_thread[i] = pthread_self();
    n->outer_worker[i] = worker;
    inner_args in = {n, i, 0};
    fedc_pool_parallel_for(n->pool, 100, inner_body, &in);
    if (in.next != 100) atomic_store(&n->bad, 4);
}

TEST(nested_call_runs_inline) {
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 4, &pool));
    nest_args n = {.pool = pool};
    atomic_init(&n.bad, 0);
    fedc_pool_parallel_for(pool, 64, outer_body, &n);
    ASSERT_EQ(atomic_load(&n.bad), 0);
    /* and the pool still works afterwards */
    atomic_int visits[50];
    for (int i = 0; i < 50; i++)
        atomic_init(&visits[i], 0);
    visit_args v = {visits, 4, 0};
    fedc_pool_parallel_for(pool, 50, visit, &v);
    for (int i = 0; i < 50; i++)
        ASSERT_EQ(atomic_load(&visits[i]), 1);
    fedc_pool_destroy(pool);
}

/* Work that takes some time, with a result that depends on rounding order. */
static void heavy(void *arg, int64_t i, int worker) {
    (void)worker;
    double *out = arg;
    double acc = 0.0;
    for (int k = 1; k <= 200; k++)
        acc += sin((double)(i * k)) / k;
    out[i] = acc;
}

TEST(results_by_index_do_not_depend_on_thread_count) {
    enum { N = 5000 };
    double *out = fedc_malloc(N * sizeof *out);
    ASSERT_NOT_NULL(out);
    double ref_sum = 0.0;
    static const int threads[] = {1, 2, 4, 8};
    for (int t = 0; t < 4; t++) {
        fedc_pool *pool;
        ASSERT_OK(fedc_pool_create(ctx, threads[t], &pool));
        memset(out, 0xff, N * sizeof *out);
        fedc_pool_parallel_for(pool, N, heavy, out);
        fedc_pool_destroy(pool);
        double sum = 0.0;
        for (int i = 0; i < N; i++)
            sum += out[i];
        if (t == 0)
            ref_sum = sum;
        else if (memcmp(&sum, &ref_sum, sizeof sum) != 0)
            FAIL("%d threads: sum %.17g, 1 thread: %.17g", threads[t], sum, ref_sum);
    }
    ASSERT_TRUE(isfinite(ref_sum));
    fedc_free(out);
}

/* Two indices that each wait for the other to start: both see the other only if the pool really
 * runs bodies at the same time. The deadline only keeps a broken pool from hanging the run. */
typedef struct {
    atomic_int arrived;
    atomic_int met;
} rendezvous_args;

static void rendezvous(void *arg, int64_t i, int worker) {
    (void)i;
    (void)worker;
    rendezvous_args *r = arg;
    atomic_fetch_add(&r->arrived, 1);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        if (atomic_load(&r->arrived) >= 2) {
            atomic_fetch_add(&r->met, 1);
            return;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 60);
}

TEST(bodies_run_concurrently) {
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 2, &pool));
    for (int round = 0; round < 3; round++) {
        rendezvous_args r;
        atomic_init(&r.arrived, 0);
        atomic_init(&r.met, 0);
        fedc_pool_parallel_for(pool, 2, rendezvous, &r);
        ASSERT_EQ(atomic_load(&r.met), 2);
    }
    fedc_pool_destroy(pool);
}

/* Several threads share one pool; bodies update per-worker slots without atomics, which is only
 * safe because calls are serialized and each worker id belongs to one thread at a time. */
typedef struct {
    fedc_pool *pool;
    long *per_worker;
} shared_args;

static void count_in_slot(void *arg, int64_t i, int worker) {
    (void)i;
    shared_args *s = arg;
    s->per_worker[worker]++;
}

static void *caller_thread(void *arg) {
    shared_args *s = arg;
    for (int k = 0; k < 20; k++)
        fedc_pool_parallel_for(s->pool, 500, count_in_slot, s);
    return NULL;
}

TEST(calls_from_several_threads_are_serialized) {
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 4, &pool));
    long per_worker[4] = {0};
    shared_args s = {pool, per_worker};
    pthread_t callers[4];
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(pthread_create(&callers[i], NULL, caller_thread, &s), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(callers[i], NULL);
    long total = 0;
    for (int w = 0; w < 4; w++)
        total += per_worker[w];
    ASSERT_EQ(total, 4L * 20 * 500);
    fedc_pool_destroy(pool);
}

typedef struct {
    int nthreads;
    fedc_pool *pool;
} create_args;

static fedc_status create_op(fedc_ctx *c, void *arg) {
    create_args *a = arg;
    a->pool = NULL;
    fedc_status st = fedc_pool_create(c, a->nthreads, &a->pool);
    if (st != FEDC_STATUS_OK && a->pool != NULL) return FEDC_STATUS_INTERNAL;
    return st;
}

static void create_cleanup(void *arg) {
    create_args *a = arg;
    fedc_pool_destroy(a->pool);
    a->pool = NULL;
}

TEST(create_survives_allocation_failures) {
    static const int threads[] = {1, 4};
    for (int t = 0; t < 2; t++) {
        create_args a = {threads[t], NULL};
        long made = fedc_test_alloc_sweep(ctx, create_op, create_cleanup, &a);
        ASSERT_GE(made, 1);
    }
}
