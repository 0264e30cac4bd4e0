/* test_exec.c — values and the reference executor: each intrinsic and the builtins run on
 * values with known results (worked by hand), reductions in client order, lazy sequences
 * through the source callbacks, and runtime errors naming the intrinsic and the client.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core_testutil.h"
#include "fedc/core_exec.h"

static fedc_value *vf(fedc_ctx *ctx, float x) {
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, &x);
    fedc_value *v;
    ASSERT_OK(fedc_value_tensor(ctx, &t, &v));
    return v;
}

static fedc_value *vi(fedc_ctx *ctx, int32_t x) {
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s, &x);
    fedc_value *v;
    ASSERT_OK(fedc_value_tensor(ctx, &t, &v));
    return v;
}

static fedc_value *vvec(fedc_ctx *ctx, int n, const float *x) {
    fedc_shape s = FEDC_SHAPE(n);
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, (void *)x);
    fedc_value *v;
    ASSERT_OK(fedc_value_tensor(ctx, &t, &v));
    return v;
}

/* Takes the references in items. */
static fedc_value *fed(fedc_ctx *ctx, fedc_placement p, bool all_equal, size_t n,
                       fedc_value **items) {
    fedc_value *v;
    ASSERT_OK(fedc_value_federated(ctx, p, all_equal, n, items, &v));
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

static fedc_value *clients_f(fedc_ctx *ctx, size_t n, const float *x) {
    fedc_value *items[16];
    for (size_t i = 0; i < n; i++)
        items[i] = vf(ctx, x[i]);
    return fed(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items);
}

static fedc_value *server(fedc_ctx *ctx, fedc_value *member) {
    return fed(ctx, FEDC_PLACEMENT_SERVER, true, 1, &member);
}

/* Takes the references in items. */
static fedc_value *vstruct(fedc_ctx *ctx, size_t n, fedc_value **items, const char *const *names) {
    fedc_value *v;
    ASSERT_OK(fedc_value_struct(ctx, n, items, names, &v));
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

/* Parses, checks and runs `main` of text on arg (taken), with num_clients if > 0. */
static fedc_value *run_n(fedc_ctx *ctx, const char *text, fedc_value *arg, int64_t num_clients) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_exec_opts o = fedc_exec_opts_default();
    o.num_clients = num_clients;
    fedc_value *r;
    ASSERT_OK(fedc_exec_run(ctx, c, "main", arg, &o, &r));
    fedc_value_release(arg);
    fedc_comp_destroy(c);
    return r;
}

static fedc_value *run(fedc_ctx *ctx, const char *text, fedc_value *arg) {
    return run_n(ctx, text, arg, 0);
}

/* Checks the value's text and releases it. */
static void expect(fedc_ctx *ctx, fedc_value *v, const char *want) {
    char *s;
    ASSERT_OK(fedc_value_print(ctx, v, &s));
    ASSERT_STREQ(s, want);
    fedc_free(s);
    fedc_value_release(v);
}

static const float kReadings[4] = {1.0f, 2.0f, 3.0f, 6.0f};

TEST(design_sketch_runs) {
    /* client 0 reads 1, 5, 2; client 1 reads 4; client 2 reads nothing; threshold 1.5:
     * sums above are 7, 4, 0 and their mean 11/3 */
    static const float r0[] = {1, 5, 2}, r1[] = {4};
    fedc_value *seqs[3];
    fedc_value *e0[3] = {vf(ctx, r0[0]), vf(ctx, r0[1]), vf(ctx, r0[2])}, *e1[1] = {vf(ctx, r1[0])};
    ASSERT_OK(fedc_value_sequence(ctx, 3, e0, &seqs[0]));
    ASSERT_OK(fedc_value_sequence(ctx, 1, e1, &seqs[1]));
    ASSERT_OK(fedc_value_sequence(ctx, 0, NULL, &seqs[2]));
    for (int i = 0; i < 3; i++)
        fedc_value_release(e0[i]);
    fedc_value_release(e1[0]);
    fedc_value *items[2] = {fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 3, seqs),
                            server(ctx, vf(ctx, 1.5f))};
    fedc_value *r =
        run(ctx,
            "above = (t: <readings=float32*, threshold=float32> ->\n"
            "  sequence_sum(sequence_map(<(x: float32 -> where(greater(x, t.threshold), x, 0.0)), "
            "t.readings>)))\n"
            "main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER) ->\n"
            "  federated_mean(federated_map(<above,\n"
            "    federated_zip(<readings=readings, threshold=federated_broadcast(threshold)>)>))\n",
            vstruct(ctx, 2, items, NULL));
    ASSERT_EQ(fedc_value_get_kind(r), FEDC_VALUE_FEDERATED);
    ASSERT_EQ(fedc_value_placement(r), FEDC_PLACEMENT_SERVER);
    ASSERT_NEAR(fedc_tensor_get_flat(fedc_value_get_tensor(fedc_value_item(r, 0)), 0), 11.0 / 3.0,
                1e-6);
    fedc_value_release(r);
}

TEST(federated_value_eval_broadcast) {
    expect(ctx, run(ctx, "main = federated_value(<<a=1, b=2.5>, SERVER>)", NULL),
           "<a=1, b=2.5>@SERVER");
    expect(ctx, run(ctx, "main = federated_value(<1, CLIENTS>)", NULL), "1@CLIENTS");
    expect(ctx, run_n(ctx, "main = federated_eval(<( -> 7), CLIENTS>)", NULL, 3),
           "{7, 7, 7}@CLIENTS");
    expect(ctx, run(ctx, "main = federated_eval(<( -> [1.0, 2.0]), SERVER>)", NULL),
           "[1.0, 2.0]@SERVER");
    expect(ctx,
           run(ctx, "main = (x: float32@SERVER -> federated_broadcast(x))",
               server(ctx, vf(ctx, 4.0f))),
           "4.0@CLIENTS");
}

TEST(federated_map_and_apply) {
    expect(ctx,
           run(ctx,
               "main = (x: {float32}@CLIENTS -> federated_map(<(v: float32 -> "
               "mul(v, 2.0)), x>))",
               clients_f(ctx, 4, kReadings)),
           "{2.0, 4.0, 6.0, 12.0}@CLIENTS");
    /* mapping an all-equal value gives one result per client */
    expect(ctx,
           run_n(ctx,
                 "main = (x: float32@SERVER -> federated_map(<(v: float32 -> "
                 "add(v, 1.0)), federated_broadcast(x)>))",
                 server(ctx, vf(ctx, 1.0f)), 2),
           "{2.0, 2.0}@CLIENTS");
    expect(ctx,
           run(ctx,
               "main = (x: float32@SERVER -> federated_apply(<(v: float32 -> <v, v>), "
               "x>))",
               server(ctx, vf(ctx, 3.0f))),
           "<3.0, 3.0>@SERVER");
    expect(ctx,
           run(ctx,
               "main = (x: float32@SERVER -> federated_map(<(v: float32 -> neg(v)), "
               "x>))",
               server(ctx, vf(ctx, 3.0f))),
           "-3.0@SERVER");
}

TEST(federated_zip) {
    fedc_value *items[2] = {clients_f(ctx, 2, kReadings), fed(ctx, FEDC_PLACEMENT_CLIENTS, true, 1,
                                                              (fedc_value *[]){vi(ctx, 9)})};
    expect(ctx,
           run(ctx,
               "main = (a: {float32}@CLIENTS, b: int32@CLIENTS -> "
               "federated_zip(<x=a, y=b>))",
               vstruct(ctx, 2, items, NULL)),
           "{<x=1.0, y=9>, <x=2.0, y=9>}@CLIENTS");
    fedc_value *s[2] = {server(ctx, vf(ctx, 1.0f)), server(ctx, vi(ctx, 2))};
    expect(ctx,
           run(ctx, "main = (a: float32@SERVER, b: int32@SERVER -> federated_zip(<a, b>))",
               vstruct(ctx, 2, s, NULL)),
           "<1.0, 2>@SERVER");
}

TEST(federated_sum_mean_min_max) {
    expect(
        ctx,
        run(ctx, "main = (x: {float32}@CLIENTS -> federated_sum(x))", clients_f(ctx, 4, kReadings)),
        "12.0@SERVER");
    expect(ctx,
           run(ctx, "main = (x: {float32}@CLIENTS -> federated_mean(x))",
               clients_f(ctx, 4, kReadings)),
           "3.0@SERVER");
    expect(
        ctx,
        run(ctx, "main = (x: {float32}@CLIENTS -> federated_min(x))", clients_f(ctx, 4, kReadings)),
        "1.0@SERVER");
    expect(
        ctx,
        run(ctx, "main = (x: {float32}@CLIENTS -> federated_max(x))", clients_f(ctx, 4, kReadings)),
        "6.0@SERVER");
    /* structs sum field by field; no clients sum to zeros */
    expect(ctx,
           run(ctx,
               "main = (x: {float32}@CLIENTS -> federated_sum(federated_map(<(v: "
               "float32 -> <a=v, b=[1, 2]>), x>)))",
               clients_f(ctx, 3, kReadings)),
           "<a=6.0, b=[3, 6]>@SERVER");
    expect(ctx,
           run(ctx, "main = (x: {float32[2]}@CLIENTS -> federated_sum(x))",
               fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 0, NULL)),
           "[0.0, 0.0]@SERVER");
}

TEST(federated_weighted_mean) {
    float w[4] = {1, 1, 1, 5};
    fedc_value *items[2] = {clients_f(ctx, 4, kReadings), clients_f(ctx, 4, w)};
    /* (1 + 2 + 3 + 30) / 8 */
    expect(ctx,
           run(ctx,
               "main = (x: {float32}@CLIENTS, w: {float32}@CLIENTS -> "
               "federated_weighted_mean(<x, w>))",
               vstruct(ctx, 2, items, NULL)),
           "4.5@SERVER");
}

TEST(federated_aggregate) {
    /* a mean by hand: accumulate <sum, count>, report sum / count */
    expect(ctx,
           run(ctx,
               "main = (x: {float32}@CLIENTS -> federated_aggregate(<x, <0.0, 0>,\n"
               "  (a: <float32,int32>, v: float32 -> <add(a[0], v), add(a[1], 1)>),\n"
               "  (a: <float32,int32>, b: <float32,int32> -> <add(a[0], b[0]), add(a[1], b[1])>),\n"
               "  (a: <float32,int32> -> div(a[0], cast(a[1], 0.0)))>))",
               clients_f(ctx, 4, kReadings)),
           "3.0@SERVER");
}

TEST(federated_secure_sums) {
    fedc_value *m[3] = {vi(ctx, 3), vi(ctx, 4), vi(ctx, 5)};
    expect(ctx,
           run(ctx, "main = (x: {int32}@CLIENTS -> federated_secure_sum(<x, 10>))",
               fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 3, m)),
           "12@SERVER");
    fedc_value *m2[2] = {vi(ctx, 1), vi(ctx, 2)};
    expect(ctx,
           run(ctx, "main = (x: {int32}@CLIENTS -> federated_secure_sum_bitwidth(<x, 8>))",
               fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 2, m2)),
           "3@SERVER");
}

TEST(federated_select) {
    int32_t k0[2] = {2, 0}, k1[1] = {1};
    fedc_shape s0 = FEDC_SHAPE(2), s1 = FEDC_SHAPE(1);
    fedc_tensor t0 = fedc_tensor_view(FEDC_DTYPE_INT32, &s0, k0),
                t1 = fedc_tensor_view(FEDC_DTYPE_INT32, &s1, k1);
    fedc_value *keys[2];
    ASSERT_OK(fedc_value_tensor(ctx, &t0, &keys[0]));
    ASSERT_OK(fedc_value_tensor(ctx, &t1, &keys[1]));
    static const float table[3] = {10, 20, 30};
    fedc_value *items[2] = {fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 2, keys),
                            server(ctx, vvec(ctx, 3, table))};
    /* each client receives the table entries its keys name, in its keys' order */
    expect(ctx,
           run(ctx,
               "main = (k: {int32[?]}@CLIENTS, t: float32[3]@SERVER -> "
               "federated_select(<k, federated_value(<3, SERVER>), t, "
               "(s: float32[3], key: int32 -> reduce_sum(mul(s, cast(equal([0, 1, 2], "
               "key), 0.0)))) >))",
               vstruct(ctx, 2, items, NULL)),
           "{[* 30.0, 10.0 *], [* 20.0 *]}@CLIENTS");
}

TEST(sequence_intrinsics) {
    fedc_value *e[3] = {vi(ctx, 1), vi(ctx, 2), vi(ctx, 3)}, *s;
    ASSERT_OK(fedc_value_sequence(ctx, 3, e, &s));
    for (int i = 0; i < 3; i++)
        fedc_value_release(e[i]);
    fedc_value_retain(s);
    fedc_value_retain(s);
    expect(ctx, run(ctx, "main = (s: int32* -> sequence_map(<(x: int32 -> mul(x, x)), s>))", s),
           "[* 1, 4, 9 *]");
    expect(ctx,
           run(ctx,
               "main = (s: int32* -> sequence_reduce(<s, 100, (a: int32, x: int32 -> "
               "sub(a, x))>))",
               s),
           "94");
    expect(ctx, run(ctx, "main = (s: int32* -> sequence_sum(s))", s), "6");
}

/* A lazy sequence 0, 1, ..., n-1 (int32) counting its opens and releases. */
typedef struct counter {
    int n;
    int opens, closes, releases;
} counter;
typedef struct counter_iter {
    counter *c;
    int i;
} counter_iter;

static fedc_status c_open(fedc_ctx *ctx, void *user, void **iter) {
    counter_iter *it = fedc_malloc(sizeof *it);
    if (!it) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "iter");
    it->c = user;
    it->i = 0;
    it->c->opens++;
    *iter = it;
    return FEDC_STATUS_OK;
}
static fedc_status c_next(fedc_ctx *ctx, void *iter, fedc_value **out) {
    counter_iter *it = iter;
    *out = NULL;
    if (it->i >= it->c->n) return FEDC_STATUS_OK;
    int32_t x = it->i++;
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s, &x);
    return fedc_value_tensor(ctx, &t, out);
}
static void c_close(void *iter) {
    counter_iter *it = iter;
    it->c->closes++;
    fedc_free(it);
}
static void c_release(void *user) { ((counter *)user)->releases++; }

TEST(lazy_sequences_read_through_the_source) {
    counter c = {5, 0, 0, 0};
    fedc_sequence_source src = {c_open, c_next, c_close, c_release, &c};
    fedc_value *s;
    ASSERT_OK(fedc_value_sequence_from(ctx, &src, &s));
    fedc_value *m[1] = {s};
    fedc_value *f = fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 1, m);
    expect(ctx,
           run(ctx,
               "main = (x: {int32*}@CLIENTS -> federated_sum(federated_map(<(q: int32* "
               "-> sequence_sum(q)), x>)))",
               f),
           "10@SERVER");
    ASSERT_EQ(c.opens, 1);
    ASSERT_EQ(c.closes, 1);
    ASSERT_EQ(c.releases, 1);
}

TEST(builtins_compute) {
    expect(ctx, run(ctx, "main = add([1.0, 2.0], 0.5)", NULL), "[1.5, 2.5]");
    expect(ctx, run(ctx, "main = where(less([1, -2, 3], 0), 0, [1, -2, 3])", NULL), "[1, 0, 3]");
    expect(ctx, run(ctx, "main = reduce_sum([[1, 2], [3, 4]], 0)", NULL), "[4, 6]");
    expect(ctx, run(ctx, "main = reduce_mean([[1.0, 2.0], [3.0, 5.0]])", NULL), "2.75");
    expect(ctx, run(ctx, "main = reduce_max([[1.0, 2.0], [3.0, 5.0]], 1)", NULL), "[2.0, 5.0]");
    expect(ctx, run(ctx, "main = matmul([[1.0, 2.0]], [[3.0], [4.0]])", NULL), "[[11.0]]");
    expect(ctx, run(ctx, "main = reshape([1, 2, 3, 4, 5, 6], [3, -1])", NULL),
           "[[1, 2], [3, 4], [5, 6]]");
    expect(ctx, run(ctx, "main = norm(<[3.0], 4.0>)", NULL), "5.0");
    expect(ctx, run(ctx, "main = clip_by_norm([3.0, 4.0], 1.0)", NULL), "[0.6, 0.8]");
    expect(ctx, run(ctx, "main = clip_by_norm([3.0, 4.0], 10.0)", NULL), "[3.0, 4.0]");
    expect(ctx, run(ctx, "main = cast([1.7, -1.7], 0)", NULL), "[1, -1]");
    expect(ctx, run(ctx, "main = zeros_like(<a=[1.0], b=2>)", NULL), "<a=[0.0], b=0>");
    expect(ctx, run(ctx, "main = ones_like(float64([1, 2]))", NULL), "float64([1.0, 1.0])");
    expect(ctx, run(ctx, "main = size([[1, 2, 3]])", NULL), "3");
    expect(ctx, run(ctx, "main = logical_not([true, false])", NULL), "[false, true]");
    expect(ctx, run(ctx, "main = sqrt(4.0)", NULL), "2.0");
    expect(ctx, run(ctx, "main = (let a = 2, b = mul(a, a) in <a, b>)", NULL), "<2, 4>");
}

TEST(runtime_errors_name_intrinsic_and_client) {
    fedc_comp *c;
    ASSERT_OK(
        fedc_comp_parse(ctx, NULL, "main = (x: {float32[?]}@CLIENTS -> federated_sum(x))", &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    static const float a[2] = {1, 2}, b[3] = {1, 2, 3};
    fedc_value *m[3] = {vvec(ctx, 2, a), vvec(ctx, 2, a), vvec(ctx, 3, b)};
    fedc_value *x = fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 3, m), *r;
    ASSERT_STATUS(fedc_exec_run(ctx, c, "main", x, NULL, &r), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "federated_sum: client 2: ");
    ASSERT_NULL(r);
    const char *ids[3] = {"f0001", "f0002", "f0003_7"};
    fedc_exec_opts o = fedc_exec_opts_default();
    o.num_clients = 3;
    o.client_ids = ids;
    ASSERT_STATUS(fedc_exec_run(ctx, c, "main", x, &o, &r), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "federated_sum: client 2 (f0003_7): ");
    /* wrong uses of fedc_exec_run */
    ASSERT_STATUS(fedc_exec_run(ctx, c, "nothing", x, NULL, &r), FEDC_STATUS_NOT_FOUND);
    ASSERT_STATUS(fedc_exec_run(ctx, c, "main", NULL, NULL, &r), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_value_release(x);
    fedc_comp_destroy(c);

    ASSERT_OK(fedc_comp_parse(ctx, NULL, "main = federated_eval(<( -> 1), CLIENTS>)", &c));
    ASSERT_STATUS(fedc_exec_run(ctx, c, "main", NULL, NULL, &r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "not checked");
    ASSERT_OK(fedc_comp_check(ctx, c));
    ASSERT_STATUS(fedc_exec_run(ctx, c, "main", NULL, NULL, &r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STREQ(fedc_ctx_message(ctx), "1:8: federated_eval needs the number of clients (no "
                                        "per-client argument; set fedc_exec_opts.num_clients)");
    fedc_comp_destroy(c);

    ASSERT_OK(fedc_comp_parse(ctx, NULL, "main = data(\"x\": int32)", &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    ASSERT_STATUS(fedc_exec_run(ctx, c, "main", NULL, NULL, &r), FEDC_STATUS_NOT_FOUND);
    ASSERT_STREQ(fedc_ctx_message(ctx), "1:8: no data resolver for \"x\"");
    fedc_comp_destroy(c);
}

static fedc_status resolve(fedc_ctx *ctx, void *user, const char *uri, const fedc_type *type,
                           fedc_value **out) {
    (void)type;
    if (strcmp(uri, "answer") != 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "no data '%s'", uri);
    int32_t x = *(int32_t *)user;
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s, &x);
    return fedc_value_tensor(ctx, &t, out);
}

TEST(data_nodes_resolve_through_the_callback) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, "main = add(data(\"answer\": int32), 1)", &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    int32_t answer = 41;
    fedc_exec_opts o = fedc_exec_opts_default();
    o.resolve_data = resolve;
    o.user = &answer;
    fedc_value *r;
    ASSERT_OK(fedc_exec_run(ctx, c, "main", NULL, &o, &r));
    expect(ctx, r, "42");
    fedc_comp_destroy(c);
}

TEST(value_constructors_and_accessors) {
    fedc_value *a = vf(ctx, 1.0f), *b = vi(ctx, 2);
    fedc_value *items[2] = {a, b};
    const char *names[2] = {"a", NULL};
    fedc_value *s;
    ASSERT_OK(fedc_value_struct(ctx, 2, items, names, &s));
    ASSERT_EQ(fedc_value_size(s), 2u);
    ASSERT_STREQ(fedc_value_name(s, 0), "a");
    ASSERT_NULL(fedc_value_name(s, 1));
    ASSERT_PTR_EQ(fedc_value_item(s, 1), b);
    ASSERT_NULL(fedc_value_item(s, 2));
    ASSERT_NULL(fedc_value_get_tensor(s));
    fedc_value *f;
    ASSERT_STATUS(fedc_value_federated(ctx, FEDC_PLACEMENT_SERVER, true, 2, items, &f),
                  FEDC_STATUS_INVALID_ARGUMENT);
    fedc_value_release(a);
    fedc_value_release(b);
    /* equality is structural and bitwise */
    fedc_value *x = vf(ctx, 1.0f), *y = vi(ctx, 2), *s2, *s3;
    ASSERT_OK(fedc_value_struct(ctx, 2, (fedc_value *[]){x, y}, names, &s2));
    ASSERT_OK(fedc_value_struct(ctx, 2, (fedc_value *[]){x, y}, NULL, &s3));
    ASSERT_TRUE(fedc_value_equal(s, s2));
    ASSERT_FALSE(fedc_value_equal(s, s3));
    fedc_value *nz = vf(ctx, -0.0f), *pz = vf(ctx, 0.0f);
    ASSERT_FALSE(fedc_value_equal(nz, pz));
    fedc_value_release(nz);
    fedc_value_release(pz);
    fedc_value_release(s2);
    fedc_value_release(s3);
    fedc_value_release(x);
    fedc_value_release(y);
    expect(ctx, s, "<a=1.0, 2>");
    fedc_value_release(NULL);
}

typedef struct exec_sweep {
    fedc_comp *comp;
    fedc_value *arg, *result;
} exec_sweep;

static fedc_status exec_op(fedc_ctx *ctx, void *p) {
    exec_sweep *s = p;
    return fedc_exec_run(ctx, s->comp, "main", s->arg, NULL, &s->result);
}

static void exec_cleanup(void *p) {
    exec_sweep *s = p;
    fedc_value_release(s->result);
    s->result = NULL;
}

TEST(exec_survives_allocation_failures) {
    exec_sweep s = {NULL, NULL, NULL};
    ASSERT_OK(fedc_comp_parse(
        ctx, NULL,
        "f = (v: float32 -> <a=v, b=where(greater(v, 1.5), [1.0, 2.0], 0.0), c=(let w = "
        "mul(v, v) in reduce_sum(reshape(add([1.0, 1.0], w), [-1])))>)\n"
        "main = (x: {float32}@CLIENTS, w: {float32}@CLIENTS -> "
        "<federated_mean(federated_map(<f, x>)), federated_weighted_mean(<x, w>), "
        "federated_max(x), federated_aggregate(<x, 0.0, (a: float32, v: float32 -> add(a, "
        "v)), (a: float32, b: float32 -> add(a, b)), (a: float32 -> norm(<a, a>))>), "
        "federated_zip(<x, w>), federated_select(<federated_value(<[1], CLIENTS>), "
        "federated_value(<2, SERVER>), federated_value(<[1.0, 2.0], SERVER>), "
        "(t: float32[2], k: int32 -> reduce_sum(t))>)>)\n",
        &s.comp));
    ASSERT_OK(fedc_comp_check(ctx, s.comp));
    fedc_value *items[2] = {clients_f(ctx, 4, kReadings), clients_f(ctx, 4, kReadings)};
    s.arg = vstruct(ctx, 2, items, NULL);
    ASSERT_GT(fedc_test_alloc_sweep(ctx, exec_op, exec_cleanup, &s), 10);
    fedc_value_release(s.arg);
    fedc_comp_destroy(s.comp);
}

/* A native that multiplies a float32 by the blob's first byte. */
static fedc_status scale_by_blob(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t size,
                                 fedc_value *arg, fedc_value **out) {
    (void)user;
    if (size != 1 || !arg || !fedc_value_get_tensor(arg))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "bad call");
    float x = (float)fedc_tensor_get_flat(fedc_value_get_tensor(arg), 0) * blob[0];
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, &x);
    return fedc_value_tensor(ctx, &t, out);
}

TEST(native_functions_run_with_their_blob) {
    const char *text = "main = (x: {float32}@CLIENTS -> federated_sum(federated_map(<"
                       "native(\"scale\": (float32 -> float32), \"03\"), x>)))";
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    char *printed;
    ASSERT_OK(fedc_node_print(ctx, fedc_comp_def(c, 0)->node, &printed));
    ASSERT_STREQ(printed, text + strlen("main = "));
    fedc_free(printed);
    const fedc_node *nat = fedc_comp_def(c, 0)->node->a[0]->a[1]->a[1]->items[0];
    ASSERT_EQ(nat->kind, FEDC_NODE_NATIVE);
    ASSERT_EQ(nat->blob_size, 1u);
    ASSERT_EQ(nat->blob[0], 3);
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_native natives[1] = {{"scale", scale_by_blob, NULL}};
    fedc_exec_opts o = fedc_exec_opts_default();
    fedc_value *x = clients_f(ctx, 4, kReadings), *r;
    ASSERT_STATUS(fedc_exec_run(ctx, c, "main", x, &o, &r), FEDC_STATUS_NOT_FOUND);
    ASSERT_STREQ(fedc_ctx_message(ctx), "1:62: no native function 'scale' given to the executor");
    o.natives = natives;
    o.nnatives = 1;
    ASSERT_OK(fedc_exec_run(ctx, c, "main", x, &o, &r));
    expect(ctx, r, "36.0@SERVER");
    fedc_value_release(x);

    /* the same node from the builder; another blob is another node */
    fedc_comp *b;
    ASSERT_OK(fedc_comp_create(ctx, &b));
    fedc_arena *a = fedc_comp_arena(b);
    const fedc_type *f32 = fedc_type_tensor(a, FEDC_DTYPE_FLOAT32, 0, NULL);
    uint8_t blob = 3;
    fedc_node *n = fedc_node_native(b, "scale", fedc_type_function(a, f32, f32), &blob, 1);
    ASSERT_TRUE(fedc_node_equal(n, nat));
    blob = 4;
    ASSERT_FALSE(fedc_node_equal(
        fedc_node_native(b, "scale", fedc_type_function(a, f32, f32), &blob, 1), nat));
    fedc_comp_destroy(b);
    fedc_comp_destroy(c);
    ct_expect_error(ctx, "f = native(\"x\": int32)", FEDC_STATUS_TYPE,
                    "1:5: native expects a function type, got int32");
    ct_expect_type(ctx, "f = native(\"x\": (int32 -> float32))(1)", "float32");
}

TEST(arguments_are_checked_against_the_parameter_type) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL,
                              "main = (x: {float32[2]}@CLIENTS, t: <a=int32>@SERVER -> "
                              "federated_sum(x))",
                              &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    static const float a[2] = {1, 2}, b[3] = {1, 2, 3};
    fedc_value *r;
    struct {
        fedc_value *x, *t;
        const char *message;
    } cases[4];
    fedc_value *m1[3] = {vvec(ctx, 2, a), vvec(ctx, 2, a), vvec(ctx, 3, b)};
    fedc_value *m2[2] = {vvec(ctx, 2, a), vvec(ctx, 2, a)};
    fedc_value *m3[1] = {vvec(ctx, 2, a)};
    fedc_value *m4[2] = {vvec(ctx, 2, a), vvec(ctx, 2, a)};
    fedc_value *tf[1] = {vi(ctx, 1)};
    const char *tn[1] = {"a"}, *bad_n[1] = {"b"};
    fedc_value *t_ok, *t_bad;
    ASSERT_OK(fedc_value_struct(ctx, 1, tf, tn, &t_ok));
    ASSERT_OK(fedc_value_struct(ctx, 1, tf, bad_n, &t_bad));
    fedc_value_release(tf[0]);
    cases[0].x = fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 3, m1);
    cases[0].t = server(ctx, fedc_value_retain(t_ok));
    cases[0].message = "the argument of 'main': at .x@2: expected float32[2], found float32[3]";
    cases[1].x = fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 2, m2);
    cases[1].t = server(ctx, fedc_value_retain(t_bad));
    cases[1].message = "the argument of 'main': at .t@0: expected <a=int32>, found field 0 named "
                       "'b'";
    cases[2].x = fed(ctx, FEDC_PLACEMENT_SERVER, true, 1, m3);
    cases[2].t = server(ctx, fedc_value_retain(t_ok));
    cases[2].message = "the argument of 'main': at .x: expected {float32[2]}@CLIENTS, found a "
                       "federated value@SERVER";
    cases[3].x = fed(ctx, FEDC_PLACEMENT_CLIENTS, false, 2, m4);
    cases[3].t = fedc_value_retain(t_ok);
    cases[3].message = "the argument of 'main': at .t: expected <a=int32>@SERVER, found a "
                       "struct@-";
    for (int i = 0; i < 4; i++) {
        fedc_value *items[2] = {cases[i].x, cases[i].t};
        fedc_value *arg = vstruct(ctx, 2, items, (const char *[]){"x", "t"});
        ASSERT_STATUS(fedc_exec_run(ctx, c, "main", arg, NULL, &r), FEDC_STATUS_TYPE);
        ASSERT_STREQ(fedc_ctx_message(ctx), cases[i].message);
        fedc_value_release(arg);
    }
    fedc_value_release(t_ok);
    fedc_value_release(t_bad);
    fedc_comp_destroy(c);
}

static fedc_status c_next_failing(fedc_ctx *ctx, void *iter, fedc_value **out) {
    counter_iter *it = iter;
    *out = NULL;
    if (it->i == 3) return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "disk gone at element 3");
    return c_next(ctx, iter, out);
}

TEST(lazy_sequence_errors_propagate_and_close) {
    counter c = {5, 0, 0, 0};
    fedc_sequence_source src = {c_open, c_next_failing, c_close, c_release, &c};
    fedc_value *s;
    ASSERT_OK(fedc_value_sequence_from(ctx, &src, &s));
    fedc_comp *comp;
    ASSERT_OK(fedc_comp_parse(ctx, NULL,
                              "main = (q: int32* -> <sequence_sum(q), sequence_reduce(<q, 0, "
                              "(a: int32, x: int32 -> add(a, x))>)>)",
                              &comp));
    ASSERT_OK(fedc_comp_check(ctx, comp));
    fedc_value *r;
    ASSERT_STATUS(fedc_exec_run(ctx, comp, "main", s, NULL, &r), FEDC_STATUS_IO);
    ASSERT_STREQ(fedc_ctx_message(ctx), "disk gone at element 3");
    ASSERT_EQ(c.opens, 1);
    ASSERT_EQ(c.closes, 1);
    fedc_value_release(s);
    ASSERT_EQ(c.releases, 1);
    fedc_comp_destroy(comp);
}

/* An allocator that counts live blocks and their peak (single-threaded test use). */
static long g_live, g_peak;
static void *peak_malloc(void *user, size_t size) {
    (void)user;
    void *p = malloc(size ? size : 1);
    if (p && ++g_live > g_peak) g_peak = g_live;
    return p;
}
static void *peak_realloc(void *user, void *ptr, size_t size) {
    (void)user;
    void *p = realloc(ptr, size ? size : 1);
    if (p && !ptr && ++g_live > g_peak) g_peak = g_live;
    return p;
}
static void peak_free(void *user, void *ptr) {
    (void)user;
    if (ptr) g_live--;
    free(ptr);
}

TEST(mapped_lazy_sequences_stream) {
    counter c = {100000, 0, 0, 0};
    fedc_sequence_source src = {c_open, c_next, c_close, c_release, &c};
    fedc_value *s;
    ASSERT_OK(fedc_value_sequence_from(ctx, &src, &s));
    fedc_allocator counting = {peak_malloc, peak_realloc, peak_free, NULL};
    g_live = g_peak = 0;
    fedc_allocator_set(&counting);
    /* sum of 2x over 0..99999 = 99999 * 100000, in int64 */
    fedc_value *r = run(ctx,
                        "main = (q: int32* -> sequence_sum(sequence_map(<(x: int32 -> "
                        "mul(cast(x, int64(0)), int64(2))), q>)))",
                        s);
    fedc_allocator_set(NULL);
    /* the blocks alive at once do not grow with the 100000 elements */
    ASSERT_LT(g_peak, 200);
    expect(ctx, r, "int64(9999900000)");
    ASSERT_EQ(c.opens, 1);
    ASSERT_EQ(c.closes, 1);
    ASSERT_EQ(c.releases, 1);
}
