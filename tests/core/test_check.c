/* test_check.c — type inference and checking of the building blocks (references, selections,
 * structs, calls, lambdas, blocks, literals, data, placements) and of the builtin tensor
 * operations: inferred types printed in TFF's notation, and errors with line:column.
 */
#include <string.h>

#include "core/core_testutil.h"

TEST(design_sketch_checks) {
    ct_expect_type(ctx,
                   "above = (t: <readings=float32*, threshold=float32> ->\n"
                   "  sequence_sum(sequence_map(<(x: float32 -> where(greater(x, t.threshold), "
                   "x, 0.0)), t.readings>)))\n"
                   "main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER) ->\n"
                   "  federated_mean(federated_map(<above,\n"
                   "    federated_zip(<readings=readings, "
                   "threshold=federated_broadcast(threshold)>)>))\n",
                   "(<readings={float32*}@CLIENTS,threshold=float32@SERVER> -> float32@SERVER)");
}

TEST(every_node_gets_a_type) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL,
                              "f = (x: <a=int32,b=float32[3]> -> (let y = x.b, z = x[0] in "
                              "<y, z, mul(y, 2.0)>))\n",
                              &c));
    ASSERT_NULL(fedc_comp_type_of(c, "f"));
    ASSERT_OK(fedc_comp_check(ctx, c));
    char buf[256];
    fedc_type_format(fedc_comp_type_of(c, "f"), buf, sizeof buf);
    ASSERT_STREQ(buf, "(<a=int32,b=float32[3]> -> <float32[3],int32,float32[3]>)");
    const fedc_node *block = fedc_comp_def(c, 0)->node->a[0];
    ASSERT_EQ(block->kind, FEDC_NODE_BLOCK);
    fedc_type_format(block->items[1]->type, buf, sizeof buf);
    ASSERT_STREQ(buf, "int32");
    const fedc_node *mul = block->a[0]->items[2];
    fedc_type_format(mul->a[0]->type, buf, sizeof buf);
    ASSERT_STREQ(buf, "(<float32[3],float32> -> float32[3])");
    /* checking twice is fine */
    ASSERT_OK(fedc_comp_check(ctx, c));
    fedc_comp_destroy(c);
}

TEST(building_blocks) {
    ct_expect_type(ctx, "f = 1", "int32");
    ct_expect_type(ctx, "f = [[1.0, 2.0]]", "float32[1,2]");
    ct_expect_type(ctx, "f = <a=true, b=int64(3)>", "<a=bool,b=int64>");
    ct_expect_type(ctx, "f = ( -> 1)", "( -> int32)");
    ct_expect_type(ctx, "f = (g: ( -> int32) -> g())", "(( -> int32) -> int32)");
    ct_expect_type(ctx, "f = <[1.0], 2.0>[0]", "float32[1]");
    ct_expect_type(ctx, "f = (x: float32[?] -> x)([1.0, 2.0])", "float32[?]");
    ct_expect_type(ctx, "f = (a: int32, b: float32 -> <b, a>)",
                   "(<a=int32,b=float32> -> <float32,int32>)");
    ct_expect_type(ctx, "f = (a: int32, b: float32 -> a)(<a=1, b=2.0>)", "int32");
    ct_expect_type(ctx, "f = data(\"x.sqlite:train\": {<x=float32[784]>*}@CLIENTS)",
                   "{<x=float32[784]>*}@CLIENTS");
    ct_expect_type(ctx, "f = SERVER", "placement");
    ct_expect_type(ctx, "g = (x: int32 -> <x, x>)\nf = (y: int32 -> g(g(y)[0]))",
                   "(int32 -> <int32,int32>)");
    ct_expect_type(ctx, "f = (x: int32 -> (let x = <x, x> in x))", "(int32 -> <int32,int32>)");
    /* an inner binding shadows an intrinsic's name */
    ct_expect_type(ctx, "f = (federated_sum: int32 -> federated_sum)", "(int32 -> int32)");
}

TEST(building_block_errors) {
    ct_expect_error(ctx, "f = (x: int32 -> x.a)", FEDC_STATUS_TYPE,
                    "1:18: selection .a expects a struct with a field 'a', got int32");
    ct_expect_error(ctx, "f = (x: <a=int32> -> x[1])", FEDC_STATUS_TYPE,
                    "1:22: selection [1] expects a struct with an element 1, got <a=int32>");
    ct_expect_error(ctx, "f = (x: <a=int32> -> x.b)", FEDC_STATUS_TYPE,
                    "1:22: selection .b expects a struct with a field 'b', got <a=int32>");
    ct_expect_error(ctx, "f = (x: int32 -> x(1))", FEDC_STATUS_TYPE,
                    "1:18: a call expects a function, got int32");
    ct_expect_error(ctx, "f = (x: int32 -> x)\ng = f(1.0)", FEDC_STATUS_TYPE,
                    "2:5: calling (int32 -> int32) expects int32, got float32");
    ct_expect_error(ctx, "f = (x: float32[3] -> x)([1.0, 2.0])", FEDC_STATUS_TYPE,
                    "1:5: calling (float32[3] -> float32[3]) expects float32[3], got float32[2]");
    ct_expect_error(ctx, "f = ( -> 1)(2)", FEDC_STATUS_TYPE,
                    "1:5: calling ( -> int32) expects no argument, got int32");
    ct_expect_error(ctx, "f = (x: int32 -> x)()", FEDC_STATUS_TYPE,
                    "1:5: calling (int32 -> int32) expects int32, got no argument");
    ct_expect_error(ctx, "f = federated_sum", FEDC_STATUS_TYPE,
                    "1:5: federated_sum expects to be called, got it used as a value");
    ct_expect_error(ctx, "f = <1, add>", FEDC_STATUS_TYPE,
                    "1:9: add expects to be called, got it used as a value");
}

TEST(c_built_duplicates_are_type_errors) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_create(ctx, &c));
    const char *names[2] = {"a", "a"};
    ASSERT_OK(fedc_comp_define(
        ctx, c, "s",
        fedc_node_struct(c, 2, (fedc_node *[]){fedc_node_int(c, 1), fedc_node_int(c, 2)}, names)));
    ASSERT_STATUS(fedc_comp_check(ctx, c), FEDC_STATUS_TYPE);
    ASSERT_STREQ(fedc_ctx_message(ctx),
                 "in 's': a struct expects distinct field names, got 'a' twice");
    fedc_comp_destroy(c);
    ASSERT_OK(fedc_comp_create(ctx, &c));
    const fedc_type *i32 = fedc_type_tensor(fedc_comp_arena(c), FEDC_DTYPE_INT32, 0, NULL);
    fedc_param ps[2] = {{"x", i32}, {"x", i32}};
    ASSERT_OK(fedc_comp_define(ctx, c, "f", fedc_node_lambda(c, 2, ps, fedc_node_int(c, 1))));
    ASSERT_STATUS(fedc_comp_check(ctx, c), FEDC_STATUS_TYPE);
    ASSERT_STREQ(fedc_ctx_message(ctx),
                 "in 'f': a lambda expects distinct parameter names, got 'x' twice");
    fedc_comp_destroy(c);
}

TEST(references_resolve_in_order_in_c_built_modules) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_create(ctx, &c));
    /* a later definition is not visible to an earlier one */
    ASSERT_OK(fedc_comp_define(ctx, c, "a", fedc_node_reference(c, "b")));
    ASSERT_OK(fedc_comp_define(ctx, c, "b", fedc_node_int(c, 1)));
    ASSERT_STATUS(fedc_comp_check(ctx, c), FEDC_STATUS_NOT_FOUND);
    ASSERT_STREQ(fedc_ctx_message(ctx),
                 "in 'a': expected a name in scope or an earlier definition, found 'b'");
    fedc_comp_destroy(c);

    ASSERT_OK(fedc_comp_create(ctx, &c));
    ASSERT_OK(fedc_comp_define(ctx, c, "b", fedc_node_int(c, 1)));
    ASSERT_OK(fedc_comp_define(ctx, c, "a", fedc_node_reference(c, "b")));
    ASSERT_OK(fedc_comp_check(ctx, c));
    char buf[64];
    fedc_type_format(fedc_comp_type_of(c, "a"), buf, sizeof buf);
    ASSERT_STREQ(buf, "int32");
    fedc_comp_destroy(c);
}

TEST(builtin_types) {
    ct_expect_type(ctx, "f = (x: float32[?,3], y: float32[3] -> add(x, y))",
                   "(<x=float32[?,3],y=float32[3]> -> float32[?,3])");
    ct_expect_type(ctx, "f = (x: float32[4,1], y: float32[3] -> sub(x, y))",
                   "(<x=float32[4,1],y=float32[3]> -> float32[4,3])");
    ct_expect_type(ctx, "f = (x: int32[2] -> greater_equal(x, 0))", "(int32[2] -> bool[2])");
    ct_expect_type(ctx, "f = (x: float32[5] -> sigmoid(neg(x)))", "(float32[5] -> float32[5])");
    ct_expect_type(ctx, "f = (x: bool[2] -> logical_not(x))", "(bool[2] -> bool[2])");
    ct_expect_type(ctx, "f = (x: float32[2,3] -> where(greater(x, 0.0), x, 0.0))",
                   "(float32[2,3] -> float32[2,3])");
    ct_expect_type(ctx, "f = (x: int32[2] -> cast(x, 0.0))", "(int32[2] -> float32[2])");
    ct_expect_type(ctx, "f = (x: int32[2,3] -> reduce_sum(x))", "(int32[2,3] -> int32)");
    ct_expect_type(ctx, "f = (x: float32[2,3] -> reduce_mean(x, 1))",
                   "(float32[2,3] -> float32[2])");
    ct_expect_type(ctx, "f = (x: float32[2,3] -> reduce_max(x, 0))",
                   "(float32[2,3] -> float32[3])");
    ct_expect_type(ctx, "f = (x: float32[?,784], w: float32[784,10] -> matmul(x, w))",
                   "(<x=float32[?,784],w=float32[784,10]> -> float32[?,10])");
    ct_expect_type(ctx, "f = (x: float32[2,3] -> reshape(x, [3, -1]))",
                   "(float32[2,3] -> float32[3,2])");
    ct_expect_type(ctx, "f = (x: float32[?,3] -> reshape(x, [-1]))",
                   "(float32[?,3] -> float32[?])");
    ct_expect_type(ctx, "f = (x: <a=float32[3],b=float32> -> norm(x))",
                   "(<a=float32[3],b=float32> -> float32)");
    ct_expect_type(ctx, "f = (x: <a=float32[3],b=float32> -> clip_by_norm(x, 1.0))",
                   "(<a=float32[3],b=float32> -> <a=float32[3],b=float32>)");
    ct_expect_type(ctx, "f = (x: <a=float32[3],b=int32> -> zeros_like(x))",
                   "(<a=float32[3],b=int32> -> <a=float32[3],b=int32>)");
    ct_expect_type(ctx, "f = (x: float64[3] -> ones_like(x))", "(float64[3] -> float64[3])");
    ct_expect_type(ctx, "f = (x: float32[2,3] -> size(x))", "(float32[2,3] -> int32)");
    ct_expect_type(ctx, "f = (x: float32[3] -> pow(x, 2.0))", "(float32[3] -> float32[3])");
}

TEST(builtin_errors) {
    ct_expect_error(ctx, "f = (x: float32[3], y: int32[3] -> add(x, y))", FEDC_STATUS_TYPE,
                    "1:36: add expects two numeric tensors of one dtype with broadcastable "
                    "shapes, got <float32[3],int32[3]>");
    ct_expect_error(ctx, "f = (x: float32[3], y: float32[4] -> mul(x, y))", FEDC_STATUS_TYPE,
                    "1:38: mul expects two numeric tensors of one dtype with broadcastable "
                    "shapes, got <float32[3],float32[4]>");
    ct_expect_error(ctx, "f = (x: bool -> add(x, x))", FEDC_STATUS_TYPE,
                    "1:17: add expects two numeric tensors of one dtype with broadcastable "
                    "shapes, got <bool,bool>");
    ct_expect_error(ctx, "f = (x: int32 -> sqrt(x))", FEDC_STATUS_TYPE,
                    "1:18: sqrt expects a floating-point tensor, got int32");
    ct_expect_error(ctx, "f = (x: float32 -> where(x, x, x))", FEDC_STATUS_TYPE,
                    "1:20: where expects <bool tensor,tensor,tensor> with one dtype and "
                    "broadcastable shapes, got <float32,float32,float32>");
    ct_expect_error(ctx, "f = (x: int32[2] -> reduce_mean(x))", FEDC_STATUS_TYPE,
                    "1:21: reduce_mean expects a floating-point tensor, or <tensor,axis "
                    "literal>, got int32[2]");
    ct_expect_error(ctx, "f = (x: float32[2] -> reduce_sum(x, 1))", FEDC_STATUS_TYPE,
                    "1:23: reduce_sum expects an axis within the tensor's rank, got "
                    "<float32[2],int32>");
    ct_expect_error(ctx, "f = (x: float32[2,3] -> matmul(x, x))", FEDC_STATUS_TYPE,
                    "1:25: matmul expects two rank-2 floating-point tensors [m,k] and [k,n] "
                    "of one dtype, got <float32[2,3],float32[2,3]>");
    ct_expect_error(ctx, "f = (x: float32[2,3] -> reshape(x, [4]))", FEDC_STATUS_TYPE,
                    "1:25: reshape expects a shape with as many elements, got "
                    "<float32[2,3],int32[1]>");
    ct_expect_error(ctx, "f = (x: float32[2,3], s: int32[2] -> reshape(x, s))", FEDC_STATUS_TYPE,
                    "1:38: reshape expects <tensor,int32[n] literal shape (one entry may be "
                    "-1)>, got <float32[2,3],int32[2]>");
    ct_expect_error(ctx, "f = (x: float32 -> norm())", FEDC_STATUS_TYPE,
                    "1:20: norm expects floating-point tensors (a tensor or a struct of them), "
                    "got no argument");
    ct_expect_error(ctx, "f = (x: float32[3] -> clip_by_norm(x, [1.0]))", FEDC_STATUS_TYPE,
                    "1:23: clip_by_norm expects <floating-point tensors,floating-point "
                    "scalar>, got <float32[3],float32[1]>");
}

typedef struct sweep_arg {
    fedc_comp *comp;
} sweep_arg;

static fedc_status parse_check_op(fedc_ctx *ctx, void *p) {
    sweep_arg *s = p;
    fedc_status st = fedc_comp_parse(
        ctx, NULL,
        "above = (t: <readings=float32*, threshold=float32> ->\n"
        "  sequence_sum(sequence_map(<(x: float32 -> where(greater(x, t.threshold), x, 0.0)), "
        "t.readings>)))\n"
        "main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER) ->\n"
        "  federated_mean(federated_map(<above,\n"
        "    federated_zip(<readings=readings, threshold=federated_broadcast(threshold)>)>))\n"
        "agg = (x: {float32}@CLIENTS -> federated_aggregate(<x, <0.0, 0>,\n"
        "  (a: <float32,int32>, v: float32 -> <add(a[0], v), add(a[1], 1)>),\n"
        "  (a: <float32,int32>, b: <float32,int32> -> <add(a[0], b[0]), add(a[1], b[1])>),\n"
        "  (a: <float32,int32> -> div(a[0], cast(a[1], 0.0)))>))\n"
        "blk = (x: float32[?,3] -> (let y = reshape(x, [-1]), z = reduce_sum(y) in <y, z>))\n",
        &s->comp);
    if (st < 0) return st;
    st = fedc_comp_check(ctx, s->comp);
    if (st < 0) {
        fedc_comp_destroy(s->comp);
        s->comp = NULL;
    }
    return st;
}

static void parse_check_cleanup(void *p) {
    sweep_arg *s = p;
    fedc_comp_destroy(s->comp);
    s->comp = NULL;
}

TEST(check_survives_allocation_failures) {
    sweep_arg s = {NULL};
    ASSERT_GT(fedc_test_alloc_sweep(ctx, parse_check_op, parse_check_cleanup, &s), 2);
}
