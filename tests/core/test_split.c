/* test_split.c — the distribute-aggregate split (fedc_comp_split_daf) and its runner
 * (fedc_daf_run): the parts, run in order, give what the original gives, bit for bit, on the
 * reference and the threaded executor — for the example programs and for computations built
 * here — and what does not fit the form is refused with the reason and the place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_testutil.h"
#include "fedc/core_data.h"
#include "fedc/core_exec.h"
#include "fedc/data.h"

/* ---- inputs ---- */

static fedc_value *scalar_f(fedc_ctx *ctx, float x) {
    fedc_shape s0 = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &x);
    fedc_value *v;
    ASSERT_OK(fedc_value_tensor(ctx, &t, &v));
    return v;
}

static fedc_value *scalar_i(fedc_ctx *ctx, int32_t x) {
    fedc_shape s0 = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s0, &x);
    fedc_value *v;
    ASSERT_OK(fedc_value_tensor(ctx, &t, &v));
    return v;
}

/* Takes the reference to member. */
static fedc_value *at_server(fedc_ctx *ctx, fedc_value *member) {
    fedc_value *v;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_SERVER, true, 1, &member, &v));
    fedc_value_release(member);
    return v;
}

/* {x_0, ..., x_{n-1}}@CLIENTS, float32 scalars. */
static fedc_value *clients_f(fedc_ctx *ctx, size_t n, const float *x) {
    fedc_value *items[16], *v;
    for (size_t i = 0; i < n; i++)
        items[i] = scalar_f(ctx, x[i]);
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items, &v));
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

/* Takes the references in items. */
static fedc_value *args(fedc_ctx *ctx, size_t n, fedc_value **items) {
    fedc_value *v;
    ASSERT_OK(fedc_value_struct(ctx, n, items, NULL, &v));
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

/* Clients whose datasets hold EMNIST-shaped examples <x=float32[784],y=int32>: client c has
 * c + 1 examples with pixels from a fixed formula, so every run sees the same data. */
static fedc_value *emnist_like_clients(fedc_ctx *ctx, int nclients, fedc_client_data **cd_out) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    static float x[784];
    for (int c = 0; c < nclients; c++) {
        char id[32];
        snprintf(id, sizeof id, "f%04d", c);
        for (int e = 0; e <= c; e++) {
            for (int p = 0; p < 784; p++)
                x[p] = (float)((p * 7 + c * 13 + e * 29) % 256) / 255.0f;
            int32_t y = (c * 3 + e) % 10;
            fedc_shape sx = FEDC_SHAPE(784), s0 = FEDC_SHAPE0;
            fedc_tensor tx = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &sx, x);
            fedc_tensor ty = fedc_tensor_view(FEDC_DTYPE_INT32, &s0, &y);
            fedc_example_clear(ex);
            ASSERT_OK(fedc_example_set_tensor(ctx, ex, "x", &tx));
            ASSERT_OK(fedc_example_set_tensor(ctx, ex, "y", &ty));
            ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
        }
    }
    ASSERT_OK(fedc_memory_data_finish(ctx, b, cd_out));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    fedc_value *clients;
    ASSERT_OK(fedc_value_clients_sequences(ctx, *cd_out, &clients));
    return clients;
}

/* ---- the comparison ---- */

static fedc_comp *parse_checked(fedc_ctx *ctx, const char *text) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    return c;
}

/* Splits `main` of c and runs the form on arg with the reference executor, and with 2 threads
 * and windows of 3 clients; each result must be fedc_value_equal to the original's. */
static void expect_split_matches(fedc_ctx *ctx, fedc_comp *c, fedc_value *arg) {
    fedc_comp *daf;
    ASSERT_OK(fedc_comp_split_daf(ctx, c, "main", &daf));
    fedc_value *want;
    ASSERT_OK(fedc_exec_run(ctx, c, "main", arg, NULL, &want));
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 2, &pool));
    for (int threaded = 0; threaded < 2; threaded++) {
        fedc_exec_opts o = fedc_exec_opts_default();
        if (threaded) {
            o.pool = pool;
            o.window = 3;
        }
        fedc_value *got;
        ASSERT_OK(fedc_daf_run(ctx, daf, arg, &o, &got));
        if (!fedc_value_equal(want, got)) {
            char *a = NULL, *b = NULL;
            fedc_value_print(ctx, want, &a);
            fedc_value_print(ctx, got, &b);
            FAIL("split form (%s) gave %s, the original %s", threaded ? "threaded" : "reference",
                 b ? b : "?", a ? a : "?");
        }
        fedc_value_release(got);
    }
    fedc_pool_destroy(pool);
    fedc_value_release(want);
    fedc_comp_destroy(daf);
}

/* The text of an example program, or NULL (the test is skipped) when it cannot be read. */
static char *read_example(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "examples/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

static fedc_comp *example(fedc_ctx *ctx, const char *name) {
    const char *text = read_example(name);
    if (!text) SKIP("examples/%s not found (run from the source tree)", name);
    return parse_checked(ctx, text);
}

/* ---- the examples ---- */

TEST(split_of_fedavg_linear_matches_the_original) {
    fedc_comp *c = example(ctx, "fedavg_linear.fc");
    fedc_client_data *cd;
    fedc_value *items[2] = {emnist_like_clients(ctx, 6, &cd), at_server(ctx, scalar_f(ctx, 0.05f))};
    fedc_value *arg = args(ctx, 2, items);
    expect_split_matches(ctx, c, arg);
    /* its parts are the form's: one broadcast pair, one weighted mean, the result passed on */
    fedc_comp *daf;
    ASSERT_OK(fedc_comp_split_daf(ctx, c, "main", &daf));
    char *text;
    ASSERT_OK(
        fedc_node_print(ctx, fedc_comp_lookup(daf, "client_to_server_aggregation")->node, &text));
    ASSERT_CONTAINS(text, "federated_weighted_mean(<client_results[0], client_results[1]>)");
    fedc_free(text);
    ASSERT_OK(
        fedc_node_print(ctx, fedc_comp_lookup(daf, "server_to_client_broadcast")->node, &text));
    ASSERT_CONTAINS(text, "federated_broadcast(broadcast_input[1])");
    fedc_free(text);
    /* `trained` feeds both client results: bound once in client_work, not computed twice */
    ASSERT_OK(fedc_node_print(ctx, fedc_comp_lookup(daf, "client_work")->node, &text));
    ASSERT_CONTAINS(text, "let trained = federated_map(<client_update");
    ASSERT_TRUE(strstr(strstr(text, "client_update") + 1, "client_update") == NULL);
    fedc_free(text);
    /* the lowered form (federated_aggregate) splits and matches as well */
    fedc_comp *low;
    ASSERT_OK(fedc_comp_lower_aggregates(ctx, c, &low));
    expect_split_matches(ctx, low, arg);
    fedc_comp_destroy(low);
    fedc_comp_destroy(daf);
    fedc_value_release(arg);
    fedc_client_data_destroy(cd);
    fedc_comp_destroy(c);
}

TEST(split_of_the_analytics_examples_matches_the_originals) {
    static const char *const files[] = {"analytics_histogram.fc", "analytics_mean.fc",
                                        "analytics_threshold.fc"};
    for (int k = 0; k < 3; k++) {
        fedc_comp *c = example(ctx, files[k]);
        fedc_client_data *cd;
        fedc_value *clients = emnist_like_clients(ctx, 7, &cd), *arg = clients;
        if (k == 2) {
            fedc_value *items[2] = {clients, at_server(ctx, scalar_i(ctx, 3))};
            arg = args(ctx, 2, items);
        }
        expect_split_matches(ctx, c, arg);
        fedc_value_release(arg);
        fedc_client_data_destroy(cd);
        fedc_comp_destroy(c);
    }
}

/* ---- computations built here ---- */

/* Server state used by the clients (broadcast) and again in the result (intermediate state),
 * two aggregations, a struct result with the next state and a count. */
TEST(split_passes_intermediate_state_and_several_aggregates) {
    fedc_comp *c = parse_checked(
        ctx, "scale = (x: float32 -> mul(x, 2.0))\n"
             "main = (s: float32@SERVER, c: {float32}@CLIENTS) ->\n"
             "  (let t = federated_map(<scale, s>),\n"
             "       d = federated_map(<(p: <float32,float32> -> sub(p[0], p[1])),\n"
             "                          federated_zip(<c, federated_broadcast(t)>)>),\n"
             "       m = federated_mean(d),\n"
             "       hi = federated_max(d)\n"
             "   in <state=federated_map(<(q: <float32,float32,float32> -> add(q[0], mul(q[1], "
             "q[2]))),\n"
             "                            federated_zip(<t, m, hi>)>),\n"
             "       n=federated_sum(federated_map(<(x: float32 -> 1), c>)),\n"
             "       lo=federated_min(d)>)\n");
    float x[5] = {1.5f, -2.0f, 3.25f, 0.125f, 7.0f};
    fedc_value *items[2] = {at_server(ctx, scalar_f(ctx, 0.75f)), clients_f(ctx, 5, x)};
    fedc_value *arg = args(ctx, 2, items);
    expect_split_matches(ctx, c, arg);
    fedc_comp *daf;
    ASSERT_OK(fedc_comp_split_daf(ctx, c, "main", &daf));
    char *text;
    ASSERT_OK(fedc_node_print(ctx, fedc_comp_lookup(daf, "server_prepare")->node, &text));
    ASSERT_CONTAINS(text, "intermediate_state=<t>"); /* t goes on to the result */
    fedc_free(text);
    fedc_comp_destroy(daf);
    fedc_value_release(arg);
    fedc_comp_destroy(c);
}

TEST(split_keeps_federated_aggregate_functions_at_the_aggregation) {
    fedc_comp *c = parse_checked(
        ctx, "main = (c: {float32}@CLIENTS, w: {float32}@CLIENTS) ->\n"
             "  <federated_aggregate(<federated_map(<(x: float32 -> square(x)), c>), 0.0,\n"
             "      (a: float32, x: float32 -> add(a, x)), (a: float32, b: float32 -> add(a, "
             "b)),\n"
             "      (a: float32 -> mul(a, 0.5))>),\n"
             "   federated_weighted_mean(<c, w>),\n"
             "   federated_secure_sum_bitwidth(<federated_map(<(x: float32 -> cast(x, 1)), c>), "
             "8>)>\n");
    float x[4] = {1.0f, 2.5f, -3.0f, 4.0f}, w[4] = {1.0f, 2.0f, 0.5f, 3.0f};
    fedc_value *items[2] = {clients_f(ctx, 4, x), clients_f(ctx, 4, w)};
    fedc_value *arg = args(ctx, 2, items);
    expect_split_matches(ctx, c, arg);
    fedc_comp *daf;
    ASSERT_OK(fedc_comp_split_daf(ctx, c, "main", &daf));
    char *text;
    ASSERT_OK(
        fedc_node_print(ctx, fedc_comp_lookup(daf, "client_to_server_aggregation")->node, &text));
    ASSERT_CONTAINS(text, "federated_aggregate(<client_results[0], 0.0, (a: float32, x: float32");
    fedc_free(text);
    fedc_comp_destroy(daf);
    fedc_value_release(arg);
    fedc_comp_destroy(c);
}

/* Functions that use local let bindings take them along into the part they go to: the client
 * work, and the aggregation (zero, accumulate, report). */
TEST(split_copies_local_bindings_into_the_parts_that_use_them) {
    fedc_comp *c = parse_checked(
        ctx, "main = (c: {float32}@CLIENTS) ->\n"
             "  (let k = 2.0, z = mul(k, 0.5)\n"
             "   in <federated_sum(federated_map(<(x: float32 -> mul(x, k)), c>)),\n"
             "       federated_aggregate(<c, z, (a: float32, x: float32 -> add(a, mul(x, k))),\n"
             "           (a: float32, b: float32 -> add(a, b)), (a: float32 -> sub(a, z))>)>)\n");
    float x[3] = {1.0f, -2.5f, 8.0f};
    fedc_value *arg = clients_f(ctx, 3, x);
    expect_split_matches(ctx, c, arg);
    fedc_comp *daf;
    ASSERT_OK(fedc_comp_split_daf(ctx, c, "main", &daf));
    char *text;
    ASSERT_OK(fedc_node_print(ctx, fedc_comp_lookup(daf, "client_work")->node, &text));
    ASSERT_CONTAINS(text, "let k = 2.0 in");
    fedc_free(text);
    ASSERT_OK(
        fedc_node_print(ctx, fedc_comp_lookup(daf, "client_to_server_aggregation")->node, &text));
    ASSERT_CONTAINS(text, "let k = 2.0, z = mul(k, 0.5) in");
    fedc_free(text);
    fedc_comp_destroy(daf);
    fedc_value_release(arg);
    fedc_comp_destroy(c);
}

/* No clients involved at all: everything is server preparation and result. */
TEST(split_of_a_server_only_computation) {
    fedc_comp *c = parse_checked(
        ctx, "main = (s: float32@SERVER) -> federated_map(<(x: float32 -> add(x, 1.0)), s>)\n");
    fedc_value *arg = at_server(ctx, scalar_f(ctx, 2.0f));
    expect_split_matches(ctx, c, arg);
    fedc_value_release(arg);
    fedc_comp_destroy(c);
}

/* The printed form parses back and checks: what `fedc fmt --split` shows is a module. */
TEST(split_form_prints_and_parses_back) {
    fedc_comp *c = example(ctx, "fedavg_linear.fc"), *daf, *back;
    ASSERT_OK(fedc_comp_split_daf(ctx, c, "main", &daf));
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, daf, &text));
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &back));
    ASSERT_OK(fedc_comp_check(ctx, back));
    ASSERT_TRUE(fedc_comp_equal(daf, back));
    fedc_free(text);
    fedc_comp_destroy(back);
    fedc_comp_destroy(daf);
    fedc_comp_destroy(c);
}

/* Random rounds of one shape: a server value prepared and broadcast, a client map over the
 * zip, two aggregations, and a result that combines an aggregate with the prepared value (which
 * travels as intermediate state). Ops, aggregations, sizes and data vary with the seed. */
TEST(split_of_generated_rounds_matches_the_originals) {
    static const char *const aggs[] = {"federated_sum", "federated_mean", "federated_min",
                                       "federated_max"};
    static const char *const ops[] = {"add", "sub", "mul", "maximum", "minimum"};
    static const char *const unary[] = {"square", "abs", "tanh", "neg", "sigmoid"};
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 0x5b117);
    char text[2048];
    for (int trial = 0; trial < 30; trial++) {
        int d = 1 + (int)fedc_rng_below(&rng, 4);
        size_t n = 1 + fedc_rng_below(&rng, 12);
        const char *op = ops[fedc_rng_below(&rng, 5)], *op2 = ops[fedc_rng_below(&rng, 5)];
        const char *un = unary[fedc_rng_below(&rng, 5)];
        const char *agg = aggs[fedc_rng_below(&rng, 4)], *agg2 = aggs[fedc_rng_below(&rng, 4)];
        snprintf(text, sizeof text,
                 "main = (s: float32@SERVER, x: {float32[%d]}@CLIENTS) ->\n"
                 "  (let t = federated_map(<(a: float32 -> %s(a)), s>),\n"
                 "       y = federated_map(<(p: <float32[%d],float32> -> %s(p[0], p[1])),\n"
                 "                         federated_zip(<x, federated_broadcast(t)>)>),\n"
                 "       g = %s(y)\n"
                 "   in <federated_map(<(q: <float32[%d],float32> -> %s(q[0], q[1])),\n"
                 "                     federated_zip(<g, t>)>),\n"
                 "       %s(federated_map(<(v: float32[%d] -> reduce_sum(v)), y>))>)\n",
                 d, un, d, op, agg, d, op2, agg2, d);
        fedc_value *items[2];
        items[0] = at_server(ctx, scalar_f(ctx, (float)fedc_rng_normal(&rng)));
        fedc_value *members[16];
        for (size_t i = 0; i < n; i++) {
            float x[4];
            for (int k = 0; k < d; k++)
                x[k] = (float)(fedc_rng_normal(&rng) * (fedc_rng_below(&rng, 2) ? 1e-3 : 1e4));
            fedc_shape sh = FEDC_SHAPE(d);
            fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &sh, x);
            ASSERT_OK(fedc_value_tensor(ctx, &t, &members[i]));
        }
        ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, members, &items[1]));
        for (size_t i = 0; i < n; i++)
            fedc_value_release(members[i]);
        fedc_value *arg = args(ctx, 2, items);
        fedc_comp *c = parse_checked(ctx, text);
        expect_split_matches(ctx, c, arg);
        fedc_comp_destroy(c);
        fedc_value_release(arg);
    }
}

typedef struct sweep_state {
    fedc_comp *comp, *daf;
    fedc_value *arg, *result;
} sweep_state;

static fedc_status sweep_split(fedc_ctx *ctx, void *arg) {
    sweep_state *s = arg;
    return fedc_comp_split_daf(ctx, s->comp, "main", &s->daf);
}

static void sweep_split_cleanup(void *arg) {
    sweep_state *s = arg;
    fedc_comp_destroy(s->daf);
    s->daf = NULL;
}

static fedc_status sweep_run(fedc_ctx *ctx, void *arg) {
    sweep_state *s = arg;
    return fedc_daf_run(ctx, s->daf, s->arg, NULL, &s->result);
}

static void sweep_run_cleanup(void *arg) {
    sweep_state *s = arg;
    fedc_value_release(s->result);
    s->result = NULL;
}

TEST(split_and_run_survive_allocation_failures) {
    sweep_state s = {0};
    s.comp = parse_checked(
        ctx, "main = (s: float32@SERVER, c: {float32}@CLIENTS) ->\n"
             "  (let t = federated_map(<(a: float32 -> mul(a, 2.0)), s>),\n"
             "       m = federated_mean(federated_map(<(p: <float32,float32> -> add(p[0], p[1])),\n"
             "             federated_zip(<c, federated_broadcast(t)>)>))\n"
             "   in federated_zip(<t, m>))\n");
    ASSERT_GT(fedc_test_alloc_sweep(ctx, sweep_split, sweep_split_cleanup, &s), 4);
    ASSERT_OK(fedc_comp_split_daf(ctx, s.comp, "main", &s.daf));
    float x[3] = {1.0f, 2.0f, 4.0f};
    fedc_value *items[2] = {at_server(ctx, scalar_f(ctx, 0.5f)), clients_f(ctx, 3, x)};
    s.arg = args(ctx, 2, items);
    ASSERT_GT(fedc_test_alloc_sweep(ctx, sweep_run, sweep_run_cleanup, &s), 20);
    fedc_value_release(s.arg);
    fedc_comp_destroy(s.daf);
    fedc_comp_destroy(s.comp);
}

/* ---- refusals ---- */

static void expect_refused(fedc_ctx *ctx, const char *text, fedc_status status,
                           const char *message) {
    fedc_comp *c = parse_checked(ctx, text), *daf = NULL;
    ASSERT_STATUS(status, fedc_comp_split_daf(ctx, c, "main", &daf));
    ASSERT_TRUE(daf == NULL);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), message);
    fedc_comp_destroy(c);
}

TEST(split_refuses_a_second_round) {
    /* the mean goes back to the clients: a second round */
    expect_refused(ctx,
                   "main = (c: {float32}@CLIENTS) ->\n"
                   "  (let m = federated_mean(c)\n"
                   "   in federated_sum(federated_map(<(p: <float32,float32> -> mul(p[0], p[1])),\n"
                   "        federated_zip(<c, federated_broadcast(m)>)>)))\n",
                   FEDC_STATUS_UNSUPPORTED,
                   "4:27: federated_broadcast of a value computed from an aggregation: the "
                   "clients would work again after the server aggregated, a second round");
    /* an aggregate of an aggregate's broadcast, written in one expression */
    expect_refused(ctx,
                   "main = (c: {float32}@CLIENTS) -> federated_sum(federated_broadcast("
                   "federated_sum(c)))\n",
                   FEDC_STATUS_UNSUPPORTED, "1:48: federated_broadcast of a value computed from");
}

TEST(split_refuses_client_values_that_reach_the_server_unaggregated) {
    expect_refused(ctx,
                   "main = (c: {float32}@CLIENTS) -> <federated_sum(c),\n"
                   "   federated_map(<(x: float32 -> x), c>)>\n",
                   FEDC_STATUS_UNSUPPORTED,
                   "1:34: the result of 'main' has type <float32@SERVER,{float32}@CLIENTS>: a "
                   "round ends with its results at the server");
}

TEST(split_refuses_intrinsics_with_no_place_in_the_form) {
    expect_refused(
        ctx,
        "main = (k: {int32[2]}@CLIENTS, n: int32@SERVER, s: float32[4]@SERVER) ->\n"
        "  federated_sum(federated_map(<(q: float32* -> sequence_sum(q)),\n"
        "    federated_select(<k, n, s, (p: <float32[4], int32> -> reduce_sum(p[0]))>)>))\n",
        FEDC_STATUS_UNSUPPORTED,
        "3:5: federated_select has no place in the distribute-aggregate form");
}

TEST(split_refuses_what_it_cannot_cut) {
    expect_refused(ctx, "main = (x: float32, c: {float32}@CLIENTS) -> federated_sum(c)\n",
                   FEDC_STATUS_UNSUPPORTED,
                   "1:8: parameter 'x' of 'main' has type float32: each parameter must be placed "
                   "at SERVER or CLIENTS");
    expect_refused(ctx,
                   "total = (v: {float32}@CLIENTS) -> federated_sum(v)\n"
                   "main = (c: {float32}@CLIENTS) -> total(c)\n",
                   FEDC_STATUS_UNSUPPORTED,
                   "2:34: calls 'total', a federated computation: write its body in place");
    expect_refused(ctx,
                   "main = (c: {float32}@CLIENTS) -> (let broadcast = federated_sum(c) in "
                   "broadcast)\n",
                   FEDC_STATUS_UNSUPPORTED,
                   "1:51: 'broadcast' is the name of a parameter of the form's parts");
    expect_refused(ctx,
                   "main = (c: {float32}@CLIENTS) ->\n"
                   "  (let a = federated_sum(c), b = (let a = federated_max(c) in a) in a)\n",
                   FEDC_STATUS_UNSUPPORTED, "'a' is bound twice");
    expect_refused(ctx,
                   "main = (c: {float32}@CLIENTS) -> (let f = ( -> federated_sum(c)) in f())\n",
                   FEDC_STATUS_UNSUPPORTED,
                   "1:62: a function uses 'c', a placed value of the computation being split");
    expect_refused(ctx,
                   "client_work = (x: float32 -> x)\n"
                   "main = (c: {float32}@CLIENTS) -> federated_sum(c)\n",
                   FEDC_STATUS_UNSUPPORTED,
                   "1:1: the module defines 'client_work', a name the split form uses");
}

TEST(split_errors_name_the_missing_or_unchecked_definition) {
    fedc_comp *c = parse_checked(ctx, "main = (c: {float32}@CLIENTS) -> federated_sum(c)\n"), *daf;
    ASSERT_STATUS(FEDC_STATUS_NOT_FOUND, fedc_comp_split_daf(ctx, c, "nope", &daf));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no definition 'nope'");
    fedc_comp_destroy(c);
    ASSERT_OK(
        fedc_comp_parse(ctx, NULL, "main = (c: {float32}@CLIENTS) -> federated_sum(c)\n", &c));
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_comp_split_daf(ctx, c, "main", &daf));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "not checked");
    fedc_value *r = NULL;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_daf_run(ctx, c, NULL, NULL, &r));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no 'daf_inputs' in the module");
    fedc_comp_destroy(c);
}

/* A part that fails at run time is named, with the client. */
TEST(daf_run_names_the_failing_part) {
    fedc_comp *c = parse_checked(
        ctx, "main = (c: {int32[?]}@CLIENTS) -> federated_sum(federated_map(<(x: int32[?] -> "
             "reduce_sum(reshape(x, [2]))), c>))\n");
    fedc_comp *daf;
    ASSERT_OK(fedc_comp_split_daf(ctx, c, "main", &daf));
    fedc_value *items[3], *arg, *r = NULL;
    for (int i = 0; i < 3; i++) {
        int32_t x[3] = {1, 2, 3};
        fedc_shape s = FEDC_SHAPE(i == 2 ? 3 : 2); /* client 2 cannot be reshaped to [2] */
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s, x);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
    }
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, 3, items, &arg));
    for (int i = 0; i < 3; i++)
        fedc_value_release(items[i]);
    ASSERT_TRUE(fedc_daf_run(ctx, daf, arg, NULL, &r) < 0);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client_work: ");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "federated_map: client 2");
    ASSERT_TRUE(r == NULL);
    fedc_value_release(arg);
    fedc_comp_destroy(daf);
    fedc_comp_destroy(c);
}
