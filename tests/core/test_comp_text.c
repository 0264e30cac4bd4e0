/* test_comp_text.c — the text syntax of computations: the DESIGN.md sketch parses, prints in
 * canonical form and parses back equal; the C builder builds the same trees; literals keep
 * their bits; bad input gives `LINE:COL: expected ..., found ...`; parsing and printing survive
 * allocation failures.
 */
#include <string.h>

#include "fedc/core.h"
#include "harness/harness.h"

static const char kSketch[] =
    "# mean of the clients' readings above the server's threshold\n"
    "above = (t: <readings=float32*, threshold=float32> ->\n"
    "           sequence_sum(sequence_map(<(x: float32 -> where(greater(x, t.threshold), x, "
    "0.0)), t.readings>)))\n"
    "main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER) ->\n"
    "         federated_mean(federated_map(<above,\n"
    "             federated_zip(<readings=readings, "
    "threshold=federated_broadcast(threshold)>)>))\n";

/* the canonical form: lines of at most 100 columns, broken after opening brackets */
static const char kSketchCanonical[] =
    "above = (t: <readings=float32*,threshold=float32> ->\n"
    "    sequence_sum(\n"
    "        sequence_map(<(x: float32 -> where(greater(x, t.threshold), x, 0.0)), t.readings>)\n"
    "    ))\n"
    "main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER ->\n"
    "    federated_mean(\n"
    "        federated_map(<\n"
    "            above,\n"
    "            federated_zip(<readings=readings, threshold=federated_broadcast(threshold)>)\n"
    "        >)\n"
    "    ))\n";

static fedc_comp *parse(fedc_ctx *ctx, const char *text) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    return c;
}

static char *print(fedc_ctx *ctx, const fedc_comp *c) {
    char *s;
    ASSERT_OK(fedc_comp_print(ctx, c, &s));
    return s;
}

/* print(parse(text)) == canonical, parse(canonical) equals parse(text), printing is stable. */
static void round_trip(fedc_ctx *ctx, const char *text, const char *canonical) {
    fedc_comp *a = parse(ctx, text);
    char *s = print(ctx, a);
    if (canonical) ASSERT_STREQ(s, canonical);
    fedc_comp *b = parse(ctx, s);
    ASSERT_TRUE(fedc_comp_equal(a, b));
    char *s2 = print(ctx, b);
    ASSERT_STREQ(s2, s);
    fedc_free(s);
    fedc_free(s2);
    fedc_comp_destroy(a);
    fedc_comp_destroy(b);
}

TEST(design_sketch_round_trips) { round_trip(ctx, kSketch, kSketchCanonical); }

TEST(sketch_structure) {
    fedc_comp *c = parse(ctx, kSketch);
    ASSERT_EQ(fedc_comp_ndefs(c), 2u);
    const fedc_def *above = fedc_comp_def(c, 0), *main_def = fedc_comp_lookup(c, "main");
    ASSERT_STREQ(above->name, "above");
    ASSERT_EQ(above->line, 2);
    ASSERT_EQ(above->col, 1);
    ASSERT_EQ(main_def->line, 4);
    const fedc_node *l = main_def->node;
    ASSERT_EQ(l->kind, FEDC_NODE_LAMBDA);
    ASSERT_EQ(l->n, 2u);
    ASSERT_STREQ(l->params[1].name, "threshold");
    const fedc_node *mean = l->a[0];
    ASSERT_EQ(mean->kind, FEDC_NODE_CALL);
    ASSERT_EQ(mean->a[0]->kind, FEDC_NODE_INTRINSIC);
    ASSERT_EQ(mean->a[0]->intrinsic, FEDC_INTRINSIC_FEDERATED_MEAN);
    ASSERT_EQ(mean->line, 5);
    ASSERT_EQ(mean->col, 10);
    const fedc_node *map_arg = mean->a[1]->a[1];
    ASSERT_EQ(map_arg->kind, FEDC_NODE_STRUCT);
    ASSERT_EQ(map_arg->items[0]->kind, FEDC_NODE_REFERENCE);
    ASSERT_STREQ(map_arg->items[0]->name, "above");
    ASSERT_NULL(fedc_comp_lookup(c, "nothing"));
    fedc_comp_destroy(c);
}

TEST(builder_builds_the_parsed_tree) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_create(ctx, &c));
    fedc_arena *a = fedc_comp_arena(c);
    const fedc_type *f32 = fedc_type_tensor(a, FEDC_DTYPE_FLOAT32, 0, NULL);
    fedc_type_field tf[2] = {{"readings", fedc_type_sequence(a, f32)}, {"threshold", f32}};
    fedc_param pt = {"t", fedc_type_struct(a, 2, tf)};
    fedc_param px = {"x", f32};
    fedc_node *x = fedc_node_reference(c, "x");
    fedc_node *t = fedc_node_reference(c, "t");
    fedc_node *cmp_args[2] = {x, fedc_node_select_name(c, t, "threshold")};
    fedc_node *cmp =
        fedc_node_call(c, fedc_node_builtin(c, "greater"), fedc_node_struct(c, 2, cmp_args, NULL));
    fedc_node *where_args[3] = {cmp, fedc_node_reference(c, "x"), fedc_node_float(c, 0.0f)};
    fedc_node *where =
        fedc_node_call(c, fedc_node_builtin(c, "where"), fedc_node_struct(c, 3, where_args, NULL));
    fedc_node *map_args[2] = {fedc_node_lambda(c, 1, &px, where),
                              fedc_node_select_name(c, fedc_node_reference(c, "t"), "readings")};
    fedc_node *body =
        fedc_node_call(c, fedc_node_intrinsic(c, FEDC_INTRINSIC_SEQUENCE_SUM),
                       fedc_node_call(c, fedc_node_intrinsic(c, FEDC_INTRINSIC_SEQUENCE_MAP),
                                      fedc_node_struct(c, 2, map_args, NULL)));
    ASSERT_OK(fedc_comp_define(ctx, c, "above", fedc_node_lambda(c, 1, &pt, body)));

    fedc_comp *p = parse(ctx, "above = (t: <readings=float32*, threshold=float32> -> "
                              "sequence_sum(sequence_map(<(x: float32 -> where(greater(x, "
                              "t.threshold), x, 0.0)), t.readings>)))");
    ASSERT_TRUE(fedc_comp_equal(c, p));
    ASSERT_TRUE(fedc_node_equal(fedc_comp_def(c, 0)->node, fedc_comp_def(p, 0)->node));
    {
        fedc_comp *q;
        ASSERT_OK(fedc_comp_parse(ctx, NULL, "d = data(\"a\\\"b\\\\c\": int32)", &q));
        ASSERT_STREQ(fedc_comp_lookup(q, "d")->node->name, "a\"b\\c");
        fedc_comp_destroy(q);
    }
    /* defining twice, a bad name, a NULL node */
    ASSERT_STATUS(fedc_comp_define(ctx, c, "above", fedc_node_int(c, 1)), FEDC_STATUS_EXISTS);
    ASSERT_STATUS(fedc_comp_define(ctx, c, "2x", fedc_node_int(c, 1)),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_comp_define(ctx, c, "let", fedc_node_int(c, 1)),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_comp_define(ctx, c, "float32", fedc_node_int(c, 1)),
                  FEDC_STATUS_INVALID_ARGUMENT);
    /* strings with quotes and backslashes print escaped and read back */
    const fedc_type *i32 = fedc_type_tensor(fedc_comp_arena(c), FEDC_DTYPE_INT32, 0, NULL);
    ASSERT_OK(fedc_comp_define(ctx, c, "d", fedc_node_data(c, "a\"b\\c", i32)));
    char *text;
    ASSERT_OK(fedc_node_print(ctx, fedc_comp_lookup(c, "d")->node, &text));
    ASSERT_STREQ(text, "data(\"a\\\"b\\\\c\": int32)");
    fedc_free(text);
    ASSERT_STATUS(fedc_comp_define(ctx, c, "y", fedc_node_call(c, NULL, NULL)),
                  FEDC_STATUS_OUT_OF_MEMORY);
    ASSERT_NULL(fedc_node_builtin(c, "no_such_op"));
    fedc_comp_destroy(c);
    fedc_comp_destroy(p);
}

TEST(expression_forms_round_trip) {
    static const char *const forms[] = {
        "f = (x: int32 -> x)\n",
        "f = ( -> 1)\n",
        "f = (a: int32, b: int32 -> add(a, b))\n",
        "f = (s: <a=int32,b=<c=float32>> -> <s.b.c, s[0], s.b[0]>)\n",
        "f = (let a = 1, b = add(a, a) in <a=a, b=b, c=<>>)\n",
        "f = federated_value(<1.5, SERVER>)\n",
        "f = federated_eval(<( -> 2), CLIENTS>)\n",
        "f = data(\"emnist.sqlite:train\": {<x=float32[784],y=int32>*}@CLIENTS)\n",
        "f = (x: float32 -> x)\ng = (y: float32 -> f(f(y)))\n",
        "f = (x: <int32,int32> -> add(x))\n",
        "f = (x: float32 -> where(less(x, 0.0), neg(x), x))\n",
        "f = (g: ( -> int32) -> g())\n",
        "f = [[1, 2], [3, 4]]\n",
        "f = [1.5, -2.25, 1e+10, 3.0]\n",
        "f = <true, false, [true, false]>\n",
        "f = <int64(9007199254740993), float64(0.1), uint8([0, 255]), int64([])>\n",
        "f = <inf, -inf, nan>\n",
        "f = <-3, -0.5>\n",
        "f = reshape([1, 2, 3, 4], [2, -1])\n",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        round_trip(ctx, forms[i], forms[i]);
}

TEST(accepted_spellings_normalize) {
    round_trip(ctx, "f = (a: int32, b: int32) -> add(a, b)",
               "f = (a: int32, b: int32 -> add(a, b))\n");
    round_trip(ctx, "f = (x: int32) -> x", "f = (x: int32 -> x)\n");
    round_trip(ctx, "f = let a = 1 in a", "f = (let a = 1 in a)\n");
    round_trip(ctx, "f = add(<1, 2>)", "f = add(1, 2)\n");
    round_trip(ctx, "f = ((x: int32 -> x))(3)", "f = (x: int32 -> x)(3)\n");
    round_trip(ctx, "# only a comment\n", "");
    round_trip(ctx, "f=(x:float32->x)  # trailing comment", "f = (x: float32 -> x)\n");
    round_trip(ctx, "f = 0.1", "f = 0.1\n");
    round_trip(ctx, "f = 100000000.0", "f = 1e+08\n");
}

TEST(literals_keep_dtype_shape_and_bits) {
    fedc_comp *c = parse(ctx, "a = [[1.5, 2], [3, 4]]\nb = int64(9007199254740993)\nc = 7\n"
                              "d = float64(0.1)\ne = [[], []]\n");
    const fedc_tensor *a = &fedc_comp_lookup(c, "a")->node->literal;
    ASSERT_EQ(a->dtype, FEDC_DTYPE_FLOAT32);
    ASSERT_EQ(a->shape.rank, 2);
    ASSERT_EQ(a->shape.dims[1], 2);
    ASSERT_EQ(fedc_tensor_get_flat(a, 1), 2.0);
    const fedc_tensor *b = &fedc_comp_lookup(c, "b")->node->literal;
    ASSERT_EQ(b->dtype, FEDC_DTYPE_INT64);
    ASSERT_EQ(*(const int64_t *)b->data, 9007199254740993LL);
    ASSERT_EQ(fedc_comp_lookup(c, "c")->node->literal.dtype, FEDC_DTYPE_INT32);
    const fedc_tensor *d = &fedc_comp_lookup(c, "d")->node->literal;
    ASSERT_EQ(*(const double *)d->data, 0.1);
    const fedc_tensor *e = &fedc_comp_lookup(c, "e")->node->literal;
    ASSERT_EQ(e->shape.rank, 2);
    ASSERT_EQ(e->shape.dims[0], 2);
    ASSERT_EQ(e->shape.dims[1], 0);
    fedc_comp_destroy(c);
}

TEST(float_literals_print_back_to_the_same_bits) {
    uint64_t seed = fedc_test_seed();
    fedc_rng r = FEDC_RNG(seed, FEDC_RNG_PURPOSE_TEST, 51);
    for (int i = 0; i < 500; i++) {
        fedc_comp *c;
        ASSERT_OK(fedc_comp_create(ctx, &c));
        uint32_t bits = fedc_rng_u32(&r);
        float f;
        memcpy(&f, &bits, sizeof f);
        if (f != f) f = 1.0f; /* NaN payloads are not kept */
        ASSERT_OK(fedc_comp_define(ctx, c, "v", fedc_node_float(c, f)));
        char *s = print(ctx, c);
        fedc_comp *back = parse(ctx, s);
        if (!fedc_comp_equal(c, back)) FAIL("%a printed as %s does not parse back", (double)f, s);
        fedc_free(s);
        fedc_comp_destroy(c);
        fedc_comp_destroy(back);
    }
}

typedef struct bad_case {
    const char *text;
    const char *message;
} bad_case;

static const bad_case kBad[] = {
    {"f = ", "m.fc:1:5: expected an expression, found end of input"},
    {"f 1", "m.fc:1:3: expected '=', found '1'"},
    {"= 1", "m.fc:1:1: expected a definition name, found '='"},
    {"f = 1\nf = 2", "m.fc:2:1: expected a new definition name ('f' is defined at 1:1), found 'f'"},
    {"f = g", "m.fc:1:5: expected a name in scope, a definition, an intrinsic or a builtin, "
              "found 'g'"},
    {"f = (x: int32 -> y)", "m.fc:1:18: expected a name in scope, a definition, an intrinsic "
                            "or a builtin, found 'y'"},
    {"f = (x: int32 -> x", "m.fc:1:19: expected ')', found end of input"},
    {"f = (x: int33 -> x)", "m.fc:1:9: expected a type, found 'int33'"},
    {"f = (x: int32, x: int32 -> x)", "m.fc:1:16: expected a new parameter name, found 'x'"},
    {"f = (let: int32 -> 1)", "m.fc:1:6: expected a parameter name, found 'let'"},
    {"f = <a=1, a=2>", "m.fc:1:11: expected a new field name, found 'a'"},
    {"f = <1, 2", "m.fc:1:10: expected ',' or '>', found end of input"},
    {"f = add(1, 2", "m.fc:1:13: expected ',' or ')', found end of input"},
    {"f = [[1, 2], [3]]", "m.fc:1:14: expected a row of 2 elements, found 1"},
    {"f = [[1, 2], 3]", "m.fc:1:14: expected '[' (rows of a literal must have the same shape), "
                        "found '3'"},
    {"f = [1, true]", "m.fc:1:5: expected a literal of one kind, found numbers and booleans"},
    {"f = 3000000000", "m.fc:1:5: expected int32 values (write int64(...) for larger ones), "
                       "found another literal"},
    {"f = int32(1.5)", "m.fc:1:11: expected an integer literal, found a float literal"},
    {"f = (let a = 1 a)", "m.fc:1:16: expected ',' or 'in', found 'a'"},
    {"f = x.1", "m.fc:1:5: expected a name in scope, a definition, an intrinsic or a builtin, "
                "found 'x'"},
    {"f = (x: <a=int32> -> x.)", "m.fc:1:24: expected a field name after '.', found ')'"},
    {"f = (x: <a=int32> -> x[a])", "m.fc:1:24: expected an index, found 'a'"},
    {"f = data(\"abc: int32)", "m.fc:1:10: expected a quoted URI, found an unterminated string"},
    {"f = data(\"u\" int32)", "m.fc:1:14: expected ':', found 'int32'"},
    {"f = 1 $", "m.fc:1:7: expected a definition name, found '$'"},
    {"f = -x", "m.fc:1:6: expected a number after '-', found 'x'"},
    {"\n\n   f = (x: int32 ->\n  ]", "m.fc:4:3: expected an expression, found ']'"},
};

TEST(bad_text_gives_line_column_messages) {
    for (size_t i = 0; i < sizeof kBad / sizeof kBad[0]; i++) {
        fedc_comp *c = (fedc_comp *)1;
        fedc_ctx_clear(ctx);
        ASSERT_STATUS(fedc_comp_parse(ctx, "m.fc", kBad[i].text, &c), FEDC_STATUS_PARSE);
        ASSERT_NULL(c);
        ASSERT_STREQ(fedc_ctx_message(ctx), kBad[i].message);
    }
}

TEST(deep_nesting_is_an_error_not_a_crash) {
    size_t depth = 5000;
    char *text = fedc_malloc(2 * depth + 16);
    ASSERT_NOT_NULL(text);
    strcpy(text, "f = ");
    size_t k = 4;
    for (size_t i = 0; i < depth; i++)
        text[k++] = '(';
    text[k++] = '1';
    for (size_t i = 0; i < depth; i++)
        text[k++] = ')';
    text[k] = '\0';
    fedc_comp *c;
    ASSERT_STATUS(fedc_comp_parse(ctx, NULL, text, &c), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "nested at most 400 deep");
    fedc_free(text);
}

typedef struct sweep_arg {
    fedc_comp *comp;
    char *text;
} sweep_arg;

static fedc_status parse_op(fedc_ctx *ctx, void *p) {
    sweep_arg *s = p;
    return fedc_comp_parse(ctx, "m.fc", kSketch, &s->comp);
}

static void parse_cleanup(void *p) {
    sweep_arg *s = p;
    fedc_comp_destroy(s->comp);
    s->comp = NULL;
}

TEST(parse_survives_allocation_failures) {
    sweep_arg s = {NULL, NULL};
    ASSERT_GT(fedc_test_alloc_sweep(ctx, parse_op, parse_cleanup, &s), 2);
}

static fedc_status print_op(fedc_ctx *ctx, void *p) {
    sweep_arg *s = p;
    return fedc_comp_print(ctx, s->comp, &s->text);
}

static void print_cleanup(void *p) {
    sweep_arg *s = p;
    fedc_free(s->text);
    s->text = NULL;
}

TEST(print_survives_allocation_failures) {
    sweep_arg s = {parse(ctx, kSketch), NULL};
    ASSERT_GE(fedc_test_alloc_sweep(ctx, print_op, print_cleanup, &s), 1);
    fedc_comp_destroy(s.comp);
}

TEST(builders_propagate_null_and_print) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_create(ctx, &c));
    fedc_arena *a = fedc_comp_arena(c);
    /* a failed argument makes the call fail rather than become a call with no argument */
    ASSERT_NULL(fedc_node_call(c, fedc_node_builtin(c, "neg"), NULL));
    ASSERT_NULL(fedc_node_struct(c, 2, (fedc_node *[]){fedc_node_int(c, 1), NULL}, NULL));
    ASSERT_NULL(fedc_node_select_index(c, fedc_node_int(c, 1), -1));
    ASSERT_NULL(fedc_node_placement(c, (fedc_placement)9));
    ASSERT_NULL(fedc_node_intrinsic(c, FEDC_INTRINSIC_COUNT));
    fedc_param p = {"g",
                    fedc_type_function(a, NULL, fedc_type_tensor(a, FEDC_DTYPE_INT32, 0, NULL))};
    fedc_node *body = fedc_node_call0(c, fedc_node_reference(c, "g"));
    const char *names[2] = {"u", NULL};
    fedc_node *s = fedc_node_struct(
        c, 2, (fedc_node *[]){body, fedc_node_placement(c, FEDC_PLACEMENT_CLIENTS)}, names);
    ASSERT_OK(fedc_comp_define(ctx, c, "f", fedc_node_lambda(c, 1, &p, s)));
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, c, &text));
    ASSERT_STREQ(text, "f = (g: ( -> int32) -> <u=g(), CLIENTS>)\n");
    fedc_comp *back;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &back));
    ASSERT_TRUE(fedc_comp_equal(c, back));
    fedc_free(text);
    ASSERT_OK(fedc_node_print(ctx, fedc_comp_def(back, 0)->node->a[0], &text));
    ASSERT_STREQ(text, "<u=g(), CLIENTS>");
    fedc_free(text);
    ASSERT_OK(fedc_comp_check(ctx, c));
    ASSERT_NOT_NULL(fedc_comp_type_of(c, "f"));
    fedc_comp_destroy(back);
    fedc_comp_destroy(c);
}
