/* test_exec_sharing.c — what the executor shares instead of copying: constant definitions
 * evaluated once per run, sums folded in place only when nothing else holds the sum, and
 * tensors handed to a value without a copy (fedc_value_tensor_take).
 */
#include <string.h>

#include "core/core_testutil.h"
#include "fedc/core_exec.h"

static fedc_value *ints(fedc_ctx *ctx, size_t n) {
    fedc_value *items[8], *v;
    fedc_shape s0 = FEDC_SHAPE0;
    for (size_t i = 0; i < n; i++) {
        int32_t x = (int32_t)i;
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s0, &x);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
    }
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items, &v));
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

static void expect_floats(const fedc_value *server, const float *want, int n) {
    const fedc_tensor *t = fedc_value_get_tensor(fedc_value_item(server, 0));
    ASSERT_TRUE(t != NULL);
    ASSERT_EQ(fedc_tensor_numel(t), n);
    for (int i = 0; i < n; i++)
        ASSERT_NEAR(((const float *)t->data)[i], want[i], 0.0);
}

/* Every client returns the same cached constant `a`: the sum must not be folded into it, or the
 * second client would see a changed `a` and the next run a changed literal. */
TEST(sums_of_a_shared_constant_leave_the_constant_alone) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL,
                              "a = float32([1, 2])\n"
                              "main = (x: {int32}@CLIENTS) -> federated_sum(federated_map(<"
                              "(i: int32 -> a), x>))\n"
                              "also = (x: {int32}@CLIENTS) -> federated_max(federated_map(<"
                              "(i: int32 -> add(a, cast(i, 1.0))), x>))\n",
                              &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *x = ints(ctx, 3);
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 2, &pool));
    for (int run = 0; run < 4; run++) {
        fedc_exec_opts o = fedc_exec_opts_default();
        o.pool = run % 2 ? pool : NULL;
        fedc_value *r, *m;
        ASSERT_OK(fedc_exec_run(ctx, c, "main", x, &o, &r));
        expect_floats(r, (const float[]){3, 6}, 2);
        ASSERT_OK(fedc_exec_run(ctx, c, "also", x, &o, &m));
        expect_floats(m, (const float[]){3, 4}, 2);
        fedc_value_release(r);
        fedc_value_release(m);
        fedc_value *a;
        ASSERT_OK(fedc_exec_run(ctx, c, "a", NULL, &o, &a));
        const fedc_tensor *at = fedc_value_get_tensor(a);
        ASSERT_NEAR(((const float *)at->data)[0], 1.0, 0.0);
        ASSERT_NEAR(((const float *)at->data)[1], 2.0, 0.0);
        fedc_value_release(a);
    }
    fedc_pool_destroy(pool);
    fedc_value_release(x);
    fedc_comp_destroy(c);
}

TEST(value_tensor_take_moves_an_owned_tensor_and_refuses_a_view) {
    fedc_shape s = FEDC_SHAPE(3);
    fedc_tensor t;
    ASSERT_OK(fedc_tensor_alloc(ctx, &t, FEDC_DTYPE_FLOAT32, &s));
    float *data = t.data;
    data[2] = 5.0f;
    fedc_value *v;
    ASSERT_OK(fedc_value_tensor_take(ctx, &t, &v));
    ASSERT_TRUE(t.data == NULL && t.owned == NULL); /* emptied: no double free */
    fedc_tensor_free(&t);
    const fedc_tensor *vt = fedc_value_get_tensor(v);
    ASSERT_TRUE(vt->data == data); /* the same memory, not a copy */
    ASSERT_NEAR(((const float *)vt->data)[2], 5.0, 0.0);
    fedc_value_release(v);

    float local[3] = {1, 2, 3};
    fedc_tensor view = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, local);
    v = NULL;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_value_tensor_take(ctx, &view, &v));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "owns its data");
    ASSERT_TRUE(v == NULL && view.data == local);
}

/* A per-client argument of the wrong type names the client's index, though members are now
 * checked before their index is formatted. */
TEST(argument_errors_still_name_the_member) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, "main = (x: {int32}@CLIENTS) -> federated_sum(x)\n", &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_value *items[3], *x, *r = NULL;
    fedc_shape s0 = FEDC_SHAPE0;
    for (int i = 0; i < 3; i++) {
        int32_t vi = i;
        float vf = 1.5f;
        fedc_tensor t = i == 2 ? fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &vf)
                               : fedc_tensor_view(FEDC_DTYPE_INT32, &s0, &vi);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &items[i]));
    }
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, 3, items, &x));
    for (int i = 0; i < 3; i++)
        fedc_value_release(items[i]);
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_exec_run(ctx, c, "main", x, NULL, &r));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "at @2: expected int32, found float32");
    fedc_value_release(x);
    fedc_comp_destroy(c);
}
