/* test_lower.c — lowering sum, mean and weighted mean to federated_aggregate: the lowered module
 * holds none of them, prints and parses back equal, and gives bit-identical results on the
 * reference executor for random client values; unknown dimensions are refused with the place.
 */
#include <stdio.h>
#include <string.h>

#include "core/core_testutil.h"
#include "fedc/core_exec.h"

static fedc_comp *parse_checked(fedc_ctx *ctx, const char *text) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    return c;
}

/* Every definition's expression on one line (the module printer breaks long lines). */
static char *print(fedc_ctx *ctx, const fedc_comp *c) {
    size_t cap = 1 << 16, len = 0;
    char *out = fedc_malloc(cap);
    ASSERT_NOT_NULL(out);
    for (size_t i = 0; i < fedc_comp_ndefs(c); i++) {
        char *s;
        ASSERT_OK(fedc_node_print(ctx, fedc_comp_def(c, i)->node, &s));
        int n = snprintf(out + len, cap - len, "%s = %s\n", fedc_comp_def(c, i)->name, s);
        ASSERT_TRUE(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
        fedc_free(s);
    }
    return out;
}

static fedc_value *run_value(fedc_ctx *ctx, const fedc_comp *c, fedc_value *arg) {
    fedc_value *r;
    ASSERT_OK(fedc_exec_run(ctx, c, "main", arg, NULL, &r));
    return r;
}

static char *run_print(fedc_ctx *ctx, const fedc_comp *c, fedc_value *arg) {
    fedc_value *r;
    ASSERT_OK(fedc_exec_run(ctx, c, "main", arg, NULL, &r));
    char *s;
    ASSERT_OK(fedc_value_print(ctx, r, &s));
    fedc_value_release(r);
    return s;
}

/* n clients, each <x=float32[3], w=float32> with random x (wide range) and w in (0, 4]. */
static fedc_value *random_clients(fedc_ctx *ctx, fedc_rng *r, size_t n, bool with_weights) {
    fedc_value *xs[32], *ws[32];
    for (size_t i = 0; i < n; i++) {
        float v[3];
        for (int k = 0; k < 3; k++)
            v[k] = (fedc_rng_uniform(r) - 0.5f) * (float)(1 << (fedc_rng_below(r, 20)));
        fedc_shape s = FEDC_SHAPE(3);
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, v);
        ASSERT_OK(fedc_value_tensor(ctx, &t, &xs[i]));
        float wv = 4.0f * (1.0f - fedc_rng_uniform(r));
        fedc_shape s0 = FEDC_SHAPE0;
        fedc_tensor tw = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s0, &wv);
        ASSERT_OK(fedc_value_tensor(ctx, &tw, &ws[i]));
    }
    fedc_value *fx, *fw, *out;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, xs, &fx));
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, ws, &fw));
    for (size_t i = 0; i < n; i++) {
        fedc_value_release(xs[i]);
        fedc_value_release(ws[i]);
    }
    if (!with_weights) {
        fedc_value_release(fw);
        return fx;
    }
    fedc_value *items[2] = {fx, fw};
    ASSERT_OK(fedc_value_struct(ctx, 2, items, NULL, &out));
    fedc_value_release(fx);
    fedc_value_release(fw);
    return out;
}

static const char kProgram[] =
    "main = (x: {float32[3]}@CLIENTS, w: {float32}@CLIENTS) -> <\n"
    "  s=federated_sum(x),\n"
    "  m=federated_mean(federated_map(<(v: float32[3] -> <a=v, b=reduce_sum(v)>), x>)),\n"
    "  wm=federated_weighted_mean(<x, w>),\n"
    "  nested=federated_sum(federated_map(<(v: float32[3] -> <v, cast(size(v), 0.0)>), x>)),\n"
    "  mx=federated_max(x)>\n";

TEST(lowered_module_has_only_aggregates_and_round_trips) {
    fedc_comp *c = parse_checked(ctx, kProgram), *l;
    ASSERT_OK(fedc_comp_lower_aggregates(ctx, c, &l));
    char *text = print(ctx, l);
    ASSERT_TRUE(strstr(text, "federated_sum") == NULL);
    ASSERT_TRUE(strstr(text, "federated_mean") == NULL);
    ASSERT_TRUE(strstr(text, "federated_weighted_mean") == NULL);
    ASSERT_CONTAINS(text, "federated_aggregate(<x, [0.0, 0.0, 0.0], (a: float32[3], v: float32[3] "
                          "-> add(a, v)), (a: float32[3], b: float32[3] -> add(a, b)), (a: "
                          "float32[3] -> a)>)");
    ASSERT_CONTAINS(text, "federated_max(x)");
    /* the same type as before, and the text parses back to the same module */
    char t1[512], t2[512];
    fedc_type_format(fedc_comp_type_of(c, "main"), t1, sizeof t1);
    fedc_type_format(fedc_comp_type_of(l, "main"), t2, sizeof t2);
    ASSERT_STREQ(t2, t1);
    fedc_comp *back;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &back));
    ASSERT_TRUE(fedc_comp_equal(back, l));
    fedc_free(text);
    fedc_comp_destroy(back);
    fedc_comp_destroy(l);
    fedc_comp_destroy(c);
}

TEST(lowered_results_are_bit_identical) {
    fedc_comp *c = parse_checked(ctx, kProgram), *l;
    ASSERT_OK(fedc_comp_lower_aggregates(ctx, c, &l));
    fedc_rng r = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST, 53);
    for (int trial = 0; trial < 20; trial++) {
        size_t n = 1 + (size_t)fedc_rng_below(&r, 31);
        fedc_value *arg = random_clients(ctx, &r, n, true);
        fedc_value *va = run_value(ctx, c, arg), *vb = run_value(ctx, l, arg);
        if (!fedc_value_equal(va, vb)) {
            char *a = run_print(ctx, c, arg), *b = run_print(ctx, l, arg);
            FAIL("%zu clients: original %s, lowered %s", n, a, b);
        }
        fedc_value_release(va);
        fedc_value_release(vb);
        fedc_value_release(arg);
    }
    fedc_comp_destroy(l);
    fedc_comp_destroy(c);
}

TEST(lowering_the_design_sketch) {
    fedc_comp *c = parse_checked(
        ctx,
        "above = (t: <readings=float32*, threshold=float32> ->\n"
        "  sequence_sum(sequence_map(<(x: float32 -> where(greater(x, t.threshold), x, "
        "0.0)), t.readings>)))\n"
        "main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER) ->\n"
        "  federated_mean(federated_map(<above,\n"
        "    federated_zip(<readings=readings, threshold=federated_broadcast(threshold)>)>))\n");
    fedc_comp *l;
    ASSERT_OK(fedc_comp_lower_aggregates(ctx, c, &l));
    char *text = print(ctx, l);
    ASSERT_CONTAINS(text, "federated_aggregate(<federated_map(<above, federated_zip(");
    ASSERT_CONTAINS(text, "<0.0, 0>, (a: <float32,int32>, v: float32 -> <add(a[0], v), "
                          "add(a[1], 1)>)");
    ASSERT_CONTAINS(text, "(a: <float32,int32> -> div(a[0], cast(a[1], a[0])))");
    fedc_free(text);
    fedc_comp_destroy(l);
    fedc_comp_destroy(c);
}

TEST(lowering_refuses_unknown_dimensions_and_unchecked_modules) {
    fedc_comp *c = parse_checked(ctx, "main = (x: {float32[?]}@CLIENTS ->\n  federated_sum(x))"),
              *l;
    ASSERT_STATUS(fedc_comp_lower_aggregates(ctx, c, &l), FEDC_STATUS_UNSUPPORTED);
    ASSERT_STREQ(fedc_ctx_message(ctx), "2:3: lowering to federated_aggregate expects a member "
                                        "type with known dimensions, got float32[?]");
    ASSERT_NULL(l);
    fedc_comp_destroy(c);
    ASSERT_OK(fedc_comp_parse(ctx, NULL, "main = 1", &c));
    ASSERT_STATUS(fedc_comp_lower_aggregates(ctx, c, &l), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_comp_destroy(c);
}

typedef struct sweep_arg {
    fedc_comp *in, *out;
} sweep_arg;

static fedc_status lower_op(fedc_ctx *ctx, void *p) {
    sweep_arg *s = p;
    return fedc_comp_lower_aggregates(ctx, s->in, &s->out);
}

static void lower_cleanup(void *p) {
    sweep_arg *s = p;
    fedc_comp_destroy(s->out);
    s->out = NULL;
}

TEST(lowering_survives_allocation_failures) {
    sweep_arg s = {parse_checked(ctx, kProgram), NULL};
    ASSERT_GT(fedc_test_alloc_sweep(ctx, lower_op, lower_cleanup, &s), 2);
    fedc_comp_destroy(s.in);
}

TEST(clone_is_equal_and_independent) {
    fedc_comp *c = parse_checked(ctx, kProgram), *d;
    ASSERT_OK(fedc_comp_create(ctx, &d));
    fedc_node *n = fedc_node_clone(d, fedc_comp_def(c, 0)->node);
    ASSERT_NOT_NULL(n);
    ASSERT_TRUE(fedc_node_equal(n, fedc_comp_def(c, 0)->node));
    fedc_comp_destroy(c); /* the clone lives on in d */
    ASSERT_OK(fedc_comp_define(ctx, d, "main", n));
    ASSERT_OK(fedc_comp_check(ctx, d));
    fedc_comp_destroy(d);
}

TEST(module_text_fits_in_100_columns_and_round_trips) {
    fedc_comp *c = parse_checked(ctx, kProgram), *l;
    ASSERT_OK(fedc_comp_lower_aggregates(ctx, c, &l));
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, l, &text));
    int lines = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        ASSERT_NOT_NULL(e);
        if (e - p > 100)
            FAIL("line %d has %d columns:\n%.*s", lines + 1, (int)(e - p), (int)(e - p), p);
        lines++;
        p = e + 1;
    }
    ASSERT_GT(lines, 10);
    fedc_comp *back;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &back));
    ASSERT_TRUE(fedc_comp_equal(back, l));
    char *again;
    ASSERT_OK(fedc_comp_print(ctx, back, &again));
    ASSERT_STREQ(again, text);
    fedc_free(again);
    fedc_free(text);
    fedc_comp_destroy(back);
    fedc_comp_destroy(l);
    fedc_comp_destroy(c);
}
