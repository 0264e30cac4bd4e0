/* test_exec_fuse.c — chains of elementwise float32 arithmetic in a client's work, which the
 * threaded executor runs in one tiled pass (exec_fuse.c), against the reference executor's
 * node-by-node evaluation: bit-identical per-client results and sums for widths around the
 * tile's (255, 256, 257, 1000), scalar operands, casts to float32, operands that do not fuse,
 * chains too long to fuse, broadcasting the fused pass leaves alone, and other dtypes; a failing
 * operand inside a chain gives the reference's message.
 */
#include <stdio.h>
#include <string.h>

#include "core/core_testutil.h"
#include "fedc/core_exec.h"

/* {float32[d]}@CLIENTS of n clients, values of very different magnitudes and signs, so that any
 * change in the order or grouping of the operations changes the bits. */
static fedc_value *clients(fedc_ctx *ctx, fedc_rng *rng, size_t n, int d) {
    fedc_value *items[8];
    ASSERT_LE(n, 8);
    static float x[1000];
    ASSERT_LE(d, 1000);
    for (size_t i = 0; i < n; i++) {
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

static fedc_status run(fedc_ctx *ctx, fedc_comp *c, fedc_value *arg, fedc_pool *pool, size_t window,
                       const fedc_native *nat, fedc_value **out) {
    fedc_exec_opts o = fedc_exec_opts_default();
    o.pool = pool;
    o.window = window;
    o.natives = nat;
    o.nnatives = nat ? 1 : 0;
    return fedc_exec_run(ctx, c, "main", arg, &o, out);
}

/* main on arg: the reference's result and the threaded one's on 1, 2 and 4 threads with
 * windows 0 (default) and 3 must be equal bit for bit. */
static void expect_identical(fedc_ctx *ctx, fedc_pool **pools, const char *text, fedc_value *arg) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *want;
    ASSERT_OK(run(ctx, c, arg, NULL, 0, NULL, &want));
    for (int p = 0; p < 3; p++)
        for (size_t w = 0; w < 4; w += 3) {
            fedc_value *got;
            ASSERT_OK(run(ctx, c, arg, pools[p], w, NULL, &got));
            if (!fedc_value_equal(want, got))
                FAIL("%d threads, window %zu: differs from the reference for\n%s",
                     fedc_pool_size(pools[p]), w, text);
            fedc_value_release(got);
        }
    fedc_value_release(want);
    fedc_comp_destroy(c);
}

static void make_pools(fedc_ctx *ctx, fedc_pool **pools) {
    static const int threads[] = {1, 2, 4};
    for (int p = 0; p < 3; p++)
        ASSERT_OK(fedc_pool_create(ctx, threads[p], &pools[p]));
}

static void destroy_pools(fedc_pool **pools) {
    for (int p = 0; p < 3; p++)
        fedc_pool_destroy(pools[p]);
}

TEST(fused_chains_match_the_reference_bitwise) {
    static const char *const works[] = {
        "add(mul(v, %.9g), -3.25)", "sub(div(v, add(v, 3.0)), mul(v, v))",
        "div(sub(mul(add(v, 1.5), v), v), add(mul(v, v), %.9g))",
        "sub(%.9g, div(1.0, mul(v, sub(v, 0.5))))",
        "add(mul(abs(v), v), neg(v))",  /* operands that do not fuse */
        "mul(add(v, v), sub(v, %.9g))", /* one operand twice */
        "add(add(add(add(add(add(add(add(v, 1.0), v), 2.0), v), 3.0), v), 4.0), v)", /* 9 */
        "add(mul(reduce_sum(v), %.9g), 0.5)", /* scalars only */
        /* casts to float32 read as they are converted: from int32 of the full shape, from an
         * int32 scalar, from float32 */
        "sub(mul(cast(cast(v, 1), 1.0), %.9g), v)",
        "mul(cast(reduce_sum(cast(v, 1)), 1.0), add(v, %.9g))", "add(cast(v, 2.0), %.9g)",
        /* one pair of operations, run without interpretation; a single operation */
        "add(mul(v, v), v)", "sub(v, mul(v, %.9g))", "div(add(v, 1.0), v)", "mul(v, v)"};
    static const int widths[] = {1, 3, 255, 256, 257, 1000};
    fedc_pool *pools[3];
    make_pools(ctx, pools);
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 0xf05e);
    static char text[1024], work[256];
    for (size_t w = 0; w < sizeof works / sizeof works[0]; w++)
        for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
            int d = widths[k];
            snprintf(work, sizeof work, works[w], fedc_rng_normal(&rng) * 100.0);
            /* the per-client results kept, and their sum and mean folded as the map streams */
            snprintf(text, sizeof text,
                     "f = (v: float32[%d] -> %s)\n"
                     "main = (x: {float32[%d]}@CLIENTS) -> <federated_map(<f, x>), "
                     "federated_sum(federated_map(<f, x>)), "
                     "federated_mean(federated_map(<f, x>))>",
                     d, work, d);
            fedc_value *x = clients(ctx, &rng, 1 + fedc_rng_below(&rng, 8), d);
            expect_identical(ctx, pools, text, x);
            fedc_value_release(x);
        }
    destroy_pools(pools);
}

TEST(fused_chains_with_a_broadcast_scalar_and_other_shapes_match_the_reference) {
    fedc_pool *pools[3];
    make_pools(ctx, pools);
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 0xb20a);
    fedc_value *x = clients(ctx, &rng, 5, 300);
    float sv = 0.7f;
    fedc_shape s0 = FEDC_SHAPE0;
    fedc_tensor st = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &sv);
    fedc_value *sm, *s, *arg;
    ASSERT_OK(fedc_value_tensor(ctx, &st, &sm));
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_SERVER, true, 1, &sm, &s));
    ASSERT_OK(fedc_value_struct(ctx, 2, (fedc_value *[]){x, s}, NULL, &arg));
    /* a scalar from the server, zipped in: an operand of rank 0 among full ones */
    expect_identical(ctx, pools,
                     "main = (x: {float32[300]}@CLIENTS, s: float32@SERVER) -> "
                     "federated_mean(federated_map(<(p: <v=float32[300], s=float32> -> "
                     "sub(mul(p.v, p.s), div(p.s, add(p.v, 2.0)))), "
                     "federated_zip(<v=x, s=federated_broadcast(s)>)>))",
                     arg);
    fedc_value_release(arg);
    fedc_value_release(s);
    fedc_value_release(sm);
    fedc_value_release(x);
    /* broadcasting [3,1] with [1,4] inside a chain: left to the node-by-node path */
    x = clients(ctx, &rng, 4, 3);
    expect_identical(ctx, pools,
                     "main = (x: {float32[3]}@CLIENTS) -> federated_map(<(v: float32[3] -> "
                     "add(mul(reshape(v, int32([3, 1])), float32([[1, 2, 3, 4]])), 0.5)), x>)",
                     x);
    /* int32 and float64 chains: not fused, same results */
    expect_identical(ctx, pools,
                     "main = (x: {float32[3]}@CLIENTS) -> <federated_map(<(v: float32[3] -> "
                     "add(mul(cast(v, 1), 3), 2)), x>), federated_map(<(v: float32[3] -> "
                     "add(mul(cast(v, float64(1.0)), float64(3.0)), float64(0.1))), x>)>",
                     x);
    fedc_value_release(x);
    destroy_pools(pools);
}

/* Fails on clients whose value exceeds 10; else returns its argument. */
static fedc_status fail_above(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                              fedc_value *arg, fedc_value **out) {
    (void)user;
    (void)blob;
    (void)blob_size;
    const fedc_tensor *t = fedc_value_get_tensor(arg);
    double x = fedc_tensor_get_flat(t, 0);
    if (x > 10) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE, "%g is too big", x);
    *out = fedc_value_retain(arg);
    return FEDC_STATUS_OK;
}

TEST(a_failing_operand_of_a_fused_chain_reports_as_the_reference) {
    /* the native is called on v inside the chain */
    const char *call = "f = native(\"fail_above\": (float32[2] -> float32[2]))\n"
                       "main = (x: {float32[2]}@CLIENTS) -> federated_sum(federated_map(<"
                       "(v: float32[2] -> add(mul(f(v), 2.0), sub(v, 1.0))), x>))";
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, call, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *items[20];
    for (int i = 0; i < 20; i++) {
        float v[2] = {i == 13 || i == 17 ? 50.0f : (float)(i % 10), 1.0f};
        fedc_shape s = FEDC_SHAPE(2);
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, v);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
    }
    fedc_value *x;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, 20, items, &x));
    for (int i = 0; i < 20; i++)
        fedc_value_release(items[i]);
    fedc_native nat = {"fail_above", fail_above, NULL};
    fedc_value *r = NULL;
    ASSERT_STATUS(run(ctx, c, x, NULL, 0, &nat, &r), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "50 is too big");
    fedc_pool *pools[3];
    make_pools(ctx, pools);
    for (int p = 0; p < 3; p++) {
        ASSERT_STATUS(run(ctx, c, x, pools[p], 0, &nat, &r), FEDC_STATUS_OUT_OF_RANGE);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "client 13");
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "native 'fail_above'");
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "50 is too big");
        ASSERT_TRUE(r == NULL);
    }
    destroy_pools(pools);
    fedc_value_release(x);
    fedc_comp_destroy(c);
}
