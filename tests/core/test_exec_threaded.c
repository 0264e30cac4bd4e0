/* test_exec_threaded.c — the threaded executor (fedc_exec_opts.pool) against the reference
 * executor: generated computations and values must give bit-identical results for 1, 2, 4 and
 * 8 threads and several windows, also on data-backed client sequences; runtime errors name the
 * client (index and id) and the intrinsic.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_testutil.h"
#include "fedc/core_data.h"
#include "fedc/core_exec.h"

/* Per-client float32[d] values of wildly different magnitudes, so that any change in the order
 * of the additions changes the bits of the result. */
static fedc_value *random_clients(fedc_ctx *ctx, fedc_rng *rng, size_t n, int d) {
    fedc_value *items[64];
    ASSERT_LE(n, 64);
    for (size_t i = 0; i < n; i++) {
        float x[8];
        for (int k = 0; k < d; k++)
            x[k] = (float)(fedc_rng_normal(rng) * (fedc_rng_below(rng, 2) ? 1e-3 : 1e4));
        fedc_shape s = FEDC_SHAPE(d);
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, x);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
    }
    fedc_value *v;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items, &v));
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

static fedc_status run_with(fedc_ctx *ctx, fedc_comp *c, fedc_value *arg, fedc_pool *pool,
                            size_t window, const char *const *ids, fedc_value **out) {
    fedc_exec_opts o = fedc_exec_opts_default();
    o.pool = pool;
    o.window = window;
    o.client_ids = ids;
    return fedc_exec_run(ctx, c, "main", arg, &o, out);
}

/* Runs `main` on arg with the reference executor and with 1, 2, 4, 8 threads and windows
 * 0 (default), 1 and 3; every result must equal the reference's bit for bit. */
static void expect_identical(fedc_ctx *ctx, fedc_pool **pools, const char *text, fedc_value *arg) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *want;
    ASSERT_OK(run_with(ctx, c, arg, NULL, 0, NULL, &want));
    static const size_t windows[] = {0, 1, 3};
    for (int p = 0; p < 4; p++)
        for (int w = 0; w < 3; w++) {
            fedc_value *got;
            ASSERT_OK(run_with(ctx, c, arg, pools[p], windows[w], NULL, &got));
            if (!fedc_value_equal(want, got)) {
                char *a = NULL, *b = NULL;
                fedc_value_print(ctx, want, &a);
                fedc_value_print(ctx, got, &b);
                FAIL("%d threads, window %zu: %s differs from the reference's %s for\n%s",
                     fedc_pool_size(pools[p]), windows[w], b ? b : "?", a ? a : "?", text);
            }
            fedc_value_release(got);
        }
    fedc_value_release(want);
    fedc_comp_destroy(c);
}

static void make_pools(fedc_ctx *ctx, fedc_pool **pools) {
    static const int threads[] = {1, 2, 4, 8};
    for (int p = 0; p < 4; p++)
        ASSERT_OK(fedc_pool_create(ctx, threads[p], &pools[p]));
}

static void destroy_pools(fedc_pool **pools) {
    for (int p = 0; p < 4; p++)
        fedc_pool_destroy(pools[p]);
}

TEST(threaded_generated_computations_match_reference_bitwise) {
    static const char *const aggs[] = {"federated_sum", "federated_mean", "federated_min",
                                       "federated_max"};
    static const char *const ops[] = {"add", "sub", "mul", "maximum", "minimum"};
    static const char *const unary[] = {"square", "abs", "tanh", "neg", "sigmoid"};
    fedc_pool *pools[4];
    make_pools(ctx, pools);
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 0x7e5ad);
    char text[1024];
    for (int trial = 0; trial < 80; trial++) {
        int d = 1 + (int)fedc_rng_below(&rng, 5);
        size_t n = 1 + fedc_rng_below(&rng, 40);
        const char *agg = aggs[fedc_rng_below(&rng, 4)];
        const char *op = ops[fedc_rng_below(&rng, 5)];
        const char *un = unary[fedc_rng_below(&rng, 5)];
        float k = (float)fedc_rng_normal(&rng);
        bool with_server = trial % 8 == 1 || trial % 8 == 5;
        switch (trial % 8) {
        case 0: /* an aggregation of a map: folded as it streams */
            snprintf(text, sizeof text,
                     "main = (x: {float32[%d]}@CLIENTS) -> %s(federated_map(<(v: float32[%d] -> "
                     "%s(%s(v), %.9g)), x>))",
                     d, agg, d, op, un, (double)k);
            break;
        case 1: /* a broadcast value zipped in */
            snprintf(text, sizeof text,
                     "main = (x: {float32[%d]}@CLIENTS, s: float32@SERVER) -> %s(federated_map(<"
                     "(p: <v=float32[%d], s=float32> -> %s(p.v, p.s)), federated_zip(<v=x, "
                     "s=federated_broadcast(s)>)>))",
                     d, agg, d, op);
            break;
        case 2: /* a map alone: per-client results kept; federated_eval at CLIENTS */
            snprintf(text, sizeof text,
                     "each = (x: {float32[%d]}@CLIENTS) -> federated_map(<(v: float32[%d] -> "
                     "%s(v, %s(v))), x>)\nmain = (x: {float32[%d]}@CLIENTS) -> <each(x), "
                     "federated_sum(federated_eval(<( -> %.9g), CLIENTS>))>",
                     d, d, op, un, d, (double)k);
            break;
        case 3: /* weighted mean over two maps */
            snprintf(text, sizeof text,
                     "main = (x: {float32[%d]}@CLIENTS) -> federated_weighted_mean(<"
                     "federated_map(<(v: float32[%d] -> %s(v)), x>), federated_map(<(v: "
                     "float32[%d] -> add(abs(reduce_sum(v)), 1.0)), x>)>)",
                     d, d, un, d);
            break;
        case 5: /* a weighted mean of two maps over one zip: both streamed in one pass */
            snprintf(text, sizeof text,
                     "main = (x: {float32[%d]}@CLIENTS, s: float32@SERVER) -> "
                     "(let z = federated_zip(<v=x, s=federated_broadcast(s)>) in "
                     "federated_weighted_mean(<federated_map(<(p: <v=float32[%d], s=float32> -> "
                     "%s(p.v, p.s)), z>), federated_map(<(p: <v=float32[%d], s=float32> -> "
                     "add(abs(reduce_sum(p.v)), 1.0)), z>)>))",
                     d, d, op, d);
            break;
        case 6: /* a weighted mean of the fields of one map (the map streams through) */
            snprintf(text, sizeof text,
                     "main = (x: {float32[%d]}@CLIENTS) -> federated_weighted_mean(<"
                     "federated_map(<(p: <float32[%d],float32> -> p[0]), federated_map(<(v: "
                     "float32[%d] -> <%s(v), add(abs(reduce_sum(v)), 0.5)>), x>)>), "
                     "federated_map(<(p: <float32[%d],float32> -> p[1]), federated_map(<(v: "
                     "float32[%d] -> <%s(v), add(abs(reduce_sum(v)), 0.5)>), x>)>)>)",
                     d, d, d, un, d, d, un);
            break;
        case 7: /* a let-bound map used only by aggregations: streamed into all of them */
            snprintf(text, sizeof text,
                     "main = (x: {float32[%d]}@CLIENTS) -> (let k = %.9g, out = federated_map(<"
                     "(v: float32[%d] -> %s(%s(v), k)), x>) in <%s(out), federated_sum("
                     "federated_map(<(v: float32[%d] -> reduce_sum(v)), out>)), "
                     "federated_weighted_mean(<out, federated_map(<(v: float32[%d] -> "
                     "add(abs(reduce_max(v)), 1.0)), out>)>), federated_aggregate(<out, 0.0, "
                     "(a: float32, v: float32[%d] -> add(a, reduce_mean(v))), (a: float32, b: "
                     "float32 -> add(a, b)), (a: float32 -> mul(a, k))>)>)",
                     d, (double)k, d, op, un, agg, d, d, d);
            break;
        default: /* federated_aggregate of a map, and a nested mean of a mean */
            snprintf(text, sizeof text,
                     "main = (x: {float32[%d]}@CLIENTS) -> <federated_aggregate(<federated_map(<"
                     "(v: float32[%d] -> %s(v)), x>), zeros_like(%.9g), (a: float32, v: "
                     "float32[%d] -> add(a, reduce_sum(v))), (a: float32, b: float32 -> add(a, b)),"
                     " (a: float32 -> a)>), federated_mean(federated_map(<(v: float32[%d] -> "
                     "reduce_mean(v)), x>))>",
                     d, d, un, (double)k, d, d);
            break;
        }
        fedc_value *x = random_clients(ctx, &rng, n, d);
        fedc_value *arg = x;
        if (with_server) {
            float sv = (float)fedc_rng_normal(&rng);
            fedc_shape s0 = FEDC_SHAPE0;
            fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &sv);
            fedc_value *m, *srv;
            ASSERT_OK(fedc_value_tensor(ctx, &t, &m));
            ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_SERVER, true, 1, &m, &srv));
            fedc_value *items[2] = {x, srv};
            ASSERT_OK(fedc_value_struct(ctx, 2, items, NULL, &arg));
            fedc_value_release(m);
            fedc_value_release(srv);
            fedc_value_release(x);
        }
        expect_identical(ctx, pools, text, arg);
        fedc_value_release(arg);
    }
    destroy_pools(pools);
}

/* Memory client data: client c has c + 1 examples {"x": float32[3], "y": int32}. */
static fedc_client_data *memory_clients(fedc_ctx *ctx, int nclients) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    for (int c = 0; c < nclients; c++) {
        char id[32];
        snprintf(id, sizeof id, "client_%03d", c);
        for (int e = 0; e <= c; e++) {
            fedc_example_clear(ex);
            float x[3] = {(float)c * 0.1f + (float)e, 1e4f / (float)(e + 1), -0.5f * (float)c};
            int32_t y = (c * 7 + e) % 10;
            fedc_shape s3 = FEDC_SHAPE(3), s0 = FEDC_SHAPE0;
            fedc_tensor tx = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s3, x);
            fedc_tensor ty = fedc_tensor_view(FEDC_DTYPE_INT32, &s0, &y);
            ASSERT_OK(fedc_example_set_tensor(ctx, ex, "x", &tx));
            ASSERT_OK(fedc_example_set_tensor(ctx, ex, "y", &ty));
            ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
        }
    }
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    return cd;
}

TEST(data_backed_sequences_run_identically_on_threads) {
    fedc_client_data *cd = memory_clients(ctx, 23);
    fedc_value *clients;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &clients));
    ASSERT_EQ(fedc_value_size(clients), 23);
    /* one client's sequence reads its examples as named structs */
    fedc_value *one;
    ASSERT_OK(fedc_value_sequence_collect(ctx, fedc_value_item(clients, 4), &one));
    ASSERT_EQ(fedc_value_size(one), 5);
    ASSERT_STREQ(fedc_value_name(fedc_value_item(one, 0), 0), "x");
    ASSERT_STREQ(fedc_value_name(fedc_value_item(one, 0), 1), "y");
    fedc_value_release(one);
    fedc_pool *pools[4];
    make_pools(ctx, pools);
    const char *T = "<x=float32[3],y=int32>";
    char text[1024];
    snprintf(text, sizeof text,
             "count = (s: %s* -> sequence_reduce(<s, 0, (a: int32, e: %s -> add(a, 1))>))\n"
             "total = (s: %s* -> sequence_sum(sequence_map(<(e: %s -> mul(e.x, 0.1)), s>)))\n"
             "main = (d: {%s*}@CLIENTS) -> <federated_mean(federated_map(<total, d>)), "
             "federated_sum(federated_map(<count, d>)), federated_max(federated_map(<count, d>)), "
             "federated_map(<count, d>)>",
             T, T, T, T, T);
    expect_identical(ctx, pools, text, clients);
    /* and the values are right: 23 clients with 1..23 examples */
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *r;
    ASSERT_OK(run_with(ctx, c, clients, pools[3], 0, NULL, &r));
    const fedc_value *sum = fedc_value_item(fedc_value_item(r, 1), 0);
    ASSERT_EQ(fedc_tensor_get_flat(fedc_value_get_tensor(sum), 0), 23 * 24 / 2);
    const fedc_value *max = fedc_value_item(fedc_value_item(r, 2), 0);
    ASSERT_EQ(fedc_tensor_get_flat(fedc_value_get_tensor(max), 0), 23);
    fedc_value_release(r);
    fedc_comp_destroy(c);
    destroy_pools(pools);
    fedc_value_release(clients);
    fedc_client_data_destroy(cd);
}

TEST(client_sequence_rejects_a_bad_index) {
    fedc_client_data *cd = memory_clients(ctx, 2);
    fedc_value *v;
    ASSERT_STATUS(fedc_value_client_sequence(ctx, cd, 2, &v), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client index 2 outside [0, 2)");
    const char **ids;
    ASSERT_OK(fedc_client_data_id_array(ctx, cd, &ids));
    ASSERT_STREQ(ids[1], "client_001");
    fedc_free(ids);
    fedc_client_data_destroy(cd);
}

/* A native that fails on clients whose value exceeds its blob's threshold. */
static fedc_status fail_above(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                              fedc_value *arg, fedc_value **out) {
    (void)user;
    (void)blob_size;
    double x = fedc_tensor_get_flat(fedc_value_get_tensor(arg), 0);
    if (x > blob[0]) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE, "%g is too big", x);
    *out = fedc_value_retain(arg);
    return FEDC_STATUS_OK;
}

TEST(threaded_errors_name_the_first_failing_client) {
    const char *text = "main = (x: {float32}@CLIENTS) -> federated_sum(federated_map(<"
                       "native(\"fail_above\": (float32 -> float32), \"0a\"), x>))";
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *items[20];
    const char *ids[20];
    char idbuf[20][16];
    for (int i = 0; i < 20; i++) {
        float x = i == 13 || i == 17 ? 50.0f : (float)(i % 10);
        fedc_shape s0 = FEDC_SHAPE0;
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &x);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
        snprintf(idbuf[i], sizeof idbuf[i], "f%04d", i);
        ids[i] = idbuf[i];
    }
    fedc_value *x;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, 20, items, &x));
    for (int i = 0; i < 20; i++)
        fedc_value_release(items[i]);
    fedc_native nat = {"fail_above", fail_above, NULL};
    fedc_pool *pools[4];
    make_pools(ctx, pools);
    for (int p = 0; p < 4; p++) {
        fedc_exec_opts o = fedc_exec_opts_default();
        o.pool = pools[p];
        o.client_ids = ids;
        o.natives = &nat;
        o.nnatives = 1;
        fedc_value *r = NULL;
        ASSERT_STATUS(fedc_exec_run(ctx, c, "main", x, &o, &r), FEDC_STATUS_OUT_OF_RANGE);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "federated_map: client 13 (f0013)");
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "50 is too big");
        ASSERT_TRUE(r == NULL);
    }
    destroy_pools(pools);
    fedc_value_release(x);
    fedc_comp_destroy(c);
}

/* A fold that fails (federated_aggregate's accumulate, run as results are handed on, on
 * whichever worker finished the client they waited for): the first failing client is named,
 * whatever the threads and the window, and nothing leaks. */
TEST(threaded_errors_of_a_fold_name_the_first_failing_client) {
    const char *text = "f = native(\"fail_above\": (float32 -> float32), \"0a\")\n"
                       "main = (x: {float32}@CLIENTS) -> federated_aggregate(<"
                       "federated_map(<(v: float32 -> mul(v, 2.0)), x>), 0.0, "
                       "(a: float32, v: float32 -> add(a, f(mul(v, 0.5)))), "
                       "(a: float32, b: float32 -> add(a, b)), (a: float32 -> a)>)";
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *items[40];
    for (int i = 0; i < 40; i++) {
        float x = i == 13 || i == 29 ? 50.0f : (float)(i % 10);
        fedc_shape s0 = FEDC_SHAPE0;
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &x);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
    }
    fedc_value *x;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, 40, items, &x));
    for (int i = 0; i < 40; i++)
        fedc_value_release(items[i]);
    fedc_native nat = {"fail_above", fail_above, NULL};
    fedc_pool *pools[4];
    make_pools(ctx, pools);
    static const size_t windows[] = {0, 1, 3, 16};
    for (int p = 0; p < 4; p++)
        for (int w = 0; w < 4; w++) {
            fedc_exec_opts o = fedc_exec_opts_default();
            o.pool = pools[p];
            o.window = windows[w];
            o.natives = &nat;
            o.nnatives = 1;
            fedc_value *r = NULL;
            ASSERT_STATUS(fedc_exec_run(ctx, c, "main", x, &o, &r), FEDC_STATUS_OUT_OF_RANGE);
            ASSERT_CONTAINS(fedc_ctx_message(ctx), "federated_aggregate: client 13");
            ASSERT_CONTAINS(fedc_ctx_message(ctx), "50 is too big");
            ASSERT_TRUE(r == NULL);
        }
    destroy_pools(pools);
    fedc_value_release(x);
    fedc_comp_destroy(c);
}

/* ---- memory: a map feeding an aggregation holds a window of results, not one per client ---- */

static atomic_llong g_live, g_peak;

static void track(long long delta) {
    long long now = atomic_fetch_add(&g_live, delta) + delta;
    long long peak = atomic_load(&g_peak);
    while (now > peak && !atomic_compare_exchange_weak(&g_peak, &peak, now)) {
    }
}

static void *t_malloc(void *user, size_t size) {
    (void)user;
    void *p = malloc(size);
    if (p) track((long long)malloc_usable_size(p));
    return p;
}

static void *t_realloc(void *user, void *ptr, size_t size) {
    (void)user;
    long long before = ptr ? (long long)malloc_usable_size(ptr) : 0;
    void *p = realloc(ptr, size);
    if (p) track((long long)malloc_usable_size(p) - before);
    return p;
}

static void t_free(void *user, void *ptr) {
    (void)user;
    if (ptr) track(-(long long)malloc_usable_size(ptr));
    free(ptr);
}

/* The peak of live bytes while running `main` of comp on arg (from the level at the start). */
static long long peak_bytes(fedc_ctx *ctx, fedc_comp *c, fedc_value *arg, fedc_pool *pool,
                            fedc_value **out) {
    fedc_allocator a = {t_malloc, t_realloc, t_free, NULL};
    atomic_store(&g_live, 0);
    atomic_store(&g_peak, 0);
    fedc_allocator_set(&a);
    fedc_status st = run_with(ctx, c, arg, pool, 16, NULL, out); /* a window of 16 clients */
    fedc_allocator_set(NULL);
    ASSERT_OK(st);
    return atomic_load(&g_peak);
}

TEST(threaded_map_into_mean_holds_a_window_not_all_clients) {
    const int nclients = 300, width = 1000;
    fedc_client_data *cd = memory_clients(ctx, 4); /* 4 distinct datasets, reused */
    fedc_value *items[300];
    for (int i = 0; i < nclients; i++)
        ASSERT_OK(fedc_value_client_sequence(ctx, cd, i % 4, &items[i]));
    fedc_value *clients;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, (size_t)nclients, items,
                                   &clients));
    for (int i = 0; i < nclients; i++)
        fedc_value_release(items[i]);
    /* each client makes a float32[1000] from its data */
    static char text[16384];
    int len = snprintf(text, sizeof text, "ones = float32([");
    for (int k = 0; k < width; k++)
        len += snprintf(text + len, sizeof text - (size_t)len, "%s1", k ? "," : "");
    snprintf(text + len, sizeof text - (size_t)len,
             "])\nmain = (d: {<x=float32[3],y=int32>*}@CLIENTS) -> federated_mean(federated_map(<"
             "(s: <x=float32[3],y=int32>* -> mul(ones, sequence_sum(sequence_map(<(e: "
             "<x=float32[3],y=int32> -> reduce_sum(e.x)), s>)))), d>))\n");
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 4, &pool));
    fedc_value *want, *got;
    long long ref = peak_bytes(ctx, c, clients, NULL, &want);
    long long thr = peak_bytes(ctx, c, clients, pool, &got);
    ASSERT_TRUE(fedc_value_equal(want, got));
    /* the reference holds 300 results of 4000 bytes; the threaded one a window of 16 */
    ASSERT_GT(ref, (long long)nclients * width * 4);
    ASSERT_LT(thr, 64LL * width * 4);
    /* the same once lowered to federated_aggregate: streams too, same bits */
    fedc_comp *low;
    ASSERT_OK(fedc_comp_lower_aggregates(ctx, c, &low));
    fedc_value *lowered;
    long long thr_low = peak_bytes(ctx, low, clients, pool, &lowered);
    ASSERT_TRUE(fedc_value_equal(want, lowered));
    ASSERT_LT(thr_low, 64LL * width * 4);
    fedc_value_release(lowered);
    fedc_comp_destroy(low);
    fedc_value_release(want);
    fedc_value_release(got);
    fedc_pool_destroy(pool);
    fedc_comp_destroy(c);
    fedc_value_release(clients);
    fedc_client_data_destroy(cd);
}

/* The shapes streamed beyond one aggregation of one map, each with clients making float32[1000]
 * updates: the threaded executor's peak stays at a window of results whatever the clients. */
TEST(threaded_streams_weighted_means_and_let_bound_maps_in_a_window) {
    const int width = 1000;
    static char text[24576];
    int len = snprintf(text, sizeof text, "ones = float32([");
    for (int k = 0; k < width; k++)
        len += snprintf(text + len, sizeof text - (size_t)len, "%s1", k ? "," : "");
    snprintf(text + len, sizeof text - (size_t)len,
             "])\n"
             "work = (x: float32 -> mul(ones, x))\n"
             "pair = (x: float32 -> <u=mul(ones, x), w=add(abs(x), 1.0)>)\n"
             /* weighted mean of two maps over one argument */
             "two = (c: {float32}@CLIENTS) -> federated_weighted_mean(<federated_map(<work, c>), "
             "federated_map(<(x: float32 -> add(abs(x), 1.0)), c>)>)\n"
             /* weighted mean of the fields of one map */
             "fields = (c: {float32}@CLIENTS) -> federated_weighted_mean(<"
             "federated_map(<(p: <u=float32[%d],w=float32> -> p.u), federated_map(<pair, c>)>), "
             "federated_map(<(p: <u=float32[%d],w=float32> -> p.w), federated_map(<pair, c>)>)>)\n"
             /* a let-bound map used by several aggregations (FedAvg's shape) */
             "bound = (c: {float32}@CLIENTS) -> (let out = federated_map(<pair, c>) in "
             "<federated_weighted_mean(<federated_map(<(p: <u=float32[%d],w=float32> -> p.u), "
             "out>), federated_map(<(p: <u=float32[%d],w=float32> -> p.w), out>)>), "
             "federated_sum(federated_map(<(p: <u=float32[%d],w=float32> -> p.w), out>)), "
             "federated_max(federated_map(<(p: <u=float32[%d],w=float32> -> p.u), out>))>)\n",
             width, width, width, width, width, width);
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 4, &pool));
    fedc_allocator hook = {t_malloc, t_realloc, t_free, NULL};
    static const char *const defs[] = {"two", "fields", "bound"};
    for (int d = 0; d < 3; d++) {
        long long peak[2][2]; /* [executor][clients 100 or 400] */
        for (int sz = 0; sz < 2; sz++) {
            size_t n = sz ? 400 : 100;
            fedc_value *items[400], *clients;
            for (size_t i = 0; i < n; i++) {
                float x = (float)i * 0.25f - 7.0f;
                fedc_shape s0 = FEDC_SHAPE0;
                fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &x);
                ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
            }
            ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items, &clients));
            for (size_t i = 0; i < n; i++)
                fedc_value_release(items[i]);
            fedc_value *r[2];
            for (int e = 0; e < 2; e++) {
                fedc_exec_opts o = fedc_exec_opts_default();
                o.pool = e ? pool : NULL;
                o.window = 16;
                atomic_store(&g_live, 0);
                atomic_store(&g_peak, 0);
                fedc_allocator_set(&hook);
                fedc_status st = fedc_exec_run(ctx, c, defs[d], clients, &o, &r[e]);
                fedc_allocator_set(NULL);
                ASSERT_OK(st);
                peak[e][sz] = atomic_load(&g_peak);
            }
            if (!fedc_value_equal(r[0], r[1])) FAIL("%s: threaded result differs", defs[d]);
            fedc_value_release(r[0]);
            fedc_value_release(r[1]);
            fedc_value_release(clients);
        }
        /* the reference holds every client's 4000 bytes; the threaded one a window of 16 */
        ASSERT_GT(peak[0][1], 400LL * width * 4);
        ASSERT_LT(peak[1][0], 64LL * width * 4);
        ASSERT_LT(peak[1][1], 64LL * width * 4);
        /* 4x the clients, same memory: had it grown with them, 300 more updates (1.2 MB).
         * Results are folded as soon as the clients before them are done, so how many of the
         * window's 16 are held at once depends on the workers' timing: the two runs may differ
         * by up to the window and what 4 workers hold in flight, under 32 updates. */
        ASSERT_LT(peak[1][1], peak[1][0] + 32LL * width * 4);
    }
    fedc_pool_destroy(pool);
    fedc_comp_destroy(c);
}

typedef struct sweep_state {
    fedc_comp *comp;
    fedc_value *arg;
    fedc_pool *pool;
    const char *const *ids;
    fedc_value *result;
} sweep_state;

static fedc_status sweep_op(fedc_ctx *ctx, void *arg) {
    sweep_state *s = arg;
    return run_with(ctx, s->comp, s->arg, s->pool, 2, s->ids, &s->result);
}

static void sweep_cleanup(void *arg) {
    sweep_state *s = arg;
    fedc_value_release(s->result);
    s->result = NULL;
}

TEST(threaded_executor_survives_allocation_failures) {
    fedc_client_data *cd = memory_clients(ctx, 6);
    sweep_state s = {NULL, NULL, NULL, NULL, NULL};
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &s.arg));
    const char **ids;
    ASSERT_OK(fedc_client_data_id_array(ctx, cd, &ids));
    s.ids = ids;
    const char *text =
        "total = (s: <x=float32[3],y=int32>* -> sequence_sum(sequence_map(<(e: "
        "<x=float32[3],y=int32> -> e.x), s>)))\n"
        "main = (d: {<x=float32[3],y=int32>*}@CLIENTS) -> <federated_mean(federated_map(<total, "
        "d>)), federated_aggregate(<federated_map(<total, d>), [0.0, 0.0, 0.0], (a: float32[3], "
        "b: float32[3] -> add(a, b)), (a: float32[3], b: float32[3] -> add(a, b)), (a: float32[3] "
        "-> a)>), federated_map(<total, d>)>";
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &s.comp));
    ASSERT_OK(fedc_comp_check(ctx, s.comp));
    /* one thread: the harness's failing allocator counts without atomics; the threaded paths
     * (windows, worker contexts, fused folds) run all the same */
    ASSERT_OK(fedc_pool_create(ctx, 1, &s.pool));
    ASSERT_GT(fedc_test_alloc_sweep(ctx, sweep_op, sweep_cleanup, &s), 50);
    fedc_pool_destroy(s.pool);
    fedc_comp_destroy(s.comp);
    fedc_value_release(s.arg);
    fedc_free(ids);
    fedc_client_data_destroy(cd);
}

TEST(threaded_data_errors_name_the_client_id) {
    fedc_client_data *cd = memory_clients(ctx, 5);
    fedc_value *arg;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &arg));
    const char **ids;
    ASSERT_OK(fedc_client_data_id_array(ctx, cd, &ids));
    /* the declared element has a field the data lacks: found only when client 0 is read */
    const char *text =
        "main = (d: {<x=float32[3],z=int32>*}@CLIENTS) -> federated_sum(federated_map(<"
        "(s: <x=float32[3],z=int32>* -> sequence_sum(sequence_map(<(e: "
        "<x=float32[3],z=int32> -> e.z), s>))), d>))";
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 4, &pool));
    fedc_value *r = NULL;
    ASSERT_STATUS(run_with(ctx, c, arg, pool, 0, ids, &r), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "federated_map: client 0 (client_000)");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no field 'z'");
    fedc_pool_destroy(pool);
    fedc_comp_destroy(c);
    fedc_free(ids);
    fedc_value_release(arg);
    fedc_client_data_destroy(cd);
}

/* A native that takes a while (as a client's training does) and records which thread ran it. */
typedef struct seen_threads {
    pthread_mutex_t lock;
    pthread_t ids[16];
    int n;
} seen_threads;

static fedc_status slow_identity(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                                 fedc_value *arg, fedc_value **out) {
    (void)ctx, (void)blob, (void)blob_size;
    seen_threads *s = user;
    struct timespec pause = {0, 5 * 1000 * 1000};
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&s->lock);
    bool known = false;
    for (int i = 0; i < s->n; i++)
        known |= pthread_equal(s->ids[i], pthread_self()) != 0;
    if (!known && s->n < 16) s->ids[s->n++] = pthread_self();
    pthread_mutex_unlock(&s->lock);
    *out = fedc_value_retain(arg);
    return FEDC_STATUS_OK;
}

TEST(a_round_of_few_slow_clients_runs_on_every_thread) {
    /* ten clients, as a learning round has: each worker must get some, whatever the window */
    const char *text = "main = (x: {float32}@CLIENTS) -> federated_sum(federated_map(<"
                       "native(\"slow\": (float32 -> float32)), x>))";
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *items[10], *x;
    for (int i = 0; i < 10; i++) {
        float v = (float)i;
        fedc_shape s0 = FEDC_SHAPE0;
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &v);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
    }
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, 10, items, &x));
    for (int i = 0; i < 10; i++)
        fedc_value_release(items[i]);
    seen_threads seen = {.n = 0};
    ASSERT_EQ(pthread_mutex_init(&seen.lock, NULL), 0);
    fedc_native nat = {"slow", slow_identity, &seen};
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 2, &pool));
    fedc_exec_opts o = fedc_exec_opts_default();
    o.pool = pool;
    o.natives = &nat;
    o.nnatives = 1;
    fedc_value *r = NULL;
    ASSERT_OK(fedc_exec_run(ctx, c, "main", x, &o, &r));
    ASSERT_EQ(fedc_tensor_get_flat(fedc_value_get_tensor(fedc_value_item(r, 0)), 0), 45);
    ASSERT_EQ(seen.n, 2);
    pthread_mutex_destroy(&seen.lock);
    fedc_value_release(r);
    fedc_value_release(x);
    fedc_pool_destroy(pool);
    fedc_comp_destroy(c);
}

/* Many light clients (the map then runs on one thread after a probe, many heavy ones run on the
 * pool): sums and maps equal the reference's bits, and a failure deep in the round names the
 * first failing client, whichever way the clients ran. */
TEST(many_clients_sum_like_the_reference_and_name_a_late_failure) {
    enum { N = 3000 };
    const char *text = "main = (x: {float32[8]}@CLIENTS) -> <federated_sum(federated_map(<"
                       "(v: float32[8] -> add(mul(v, v), 0.5)), x>)), federated_map(<"
                       "(v: float32[8] -> sub(v, 1.0)), x>)>";
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 0x3000);
    fedc_value **items = malloc(N * sizeof *items), *x;
    ASSERT_TRUE(items != NULL);
    for (int i = 0; i < N; i++) {
        float v[8];
        for (int k = 0; k < 8; k++) /* small, but client 2500's sum is 40: over 10 */
            v[k] = i == 2500 ? 5.0f : (float)(0.1 * fedc_rng_normal(&rng));
        fedc_shape s = FEDC_SHAPE(8);
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, v);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
    }
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, N, items, &x));
    for (int i = 0; i < N; i++)
        fedc_value_release(items[i]);
    free(items);
    fedc_exec_opts ro = fedc_exec_opts_default();
    fedc_value *want;
    ASSERT_OK(fedc_exec_run(ctx, c, "main", x, &ro, &want));
    fedc_pool *pools[4];
    make_pools(ctx, pools);
    for (int p = 0; p < 4; p++) {
        fedc_exec_opts o = fedc_exec_opts_default();
        o.pool = pools[p];
        fedc_value *got;
        ASSERT_OK(fedc_exec_run(ctx, c, "main", x, &o, &got));
        ASSERT_TRUE(fedc_value_equal(got, want));
        fedc_value_release(got);
    }
    fedc_value_release(want);
    fedc_comp_destroy(c);
    /* the same many clients, one of them failing late */
    const char *failing = "f = native(\"fail_above\": (float32 -> float32), \"0a\")\n"
                          "main = (x: {float32[8]}@CLIENTS) -> federated_sum(federated_map(<"
                          "(v: float32[8] -> f(reduce_sum(v))), x>))";
    ASSERT_OK(fedc_comp_parse(ctx, NULL, failing, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_native nat = {"fail_above", fail_above, NULL};
    for (int p = 0; p < 4; p++) {
        fedc_exec_opts o = fedc_exec_opts_default();
        o.pool = pools[p];
        o.natives = &nat;
        o.nnatives = 1;
        fedc_value *r = NULL;
        ASSERT_STATUS(fedc_exec_run(ctx, c, "main", x, &o, &r), FEDC_STATUS_OUT_OF_RANGE);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "federated_map: client 2500");
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "40 is too big");
        ASSERT_TRUE(r == NULL);
    }
    destroy_pools(pools);
    fedc_value_release(x);
    fedc_comp_destroy(c);
}
