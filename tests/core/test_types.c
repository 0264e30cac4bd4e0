/* test_types.c — federated types: parse and print round trips in TFF's notation, equality,
 * assignability (TFF's rules), the nesting rules, error messages with line:column, and
 * allocation-failure sweeps of the parser.
 */
#include <string.h>

#include "fedc/core.h"
#include "harness/harness.h"

static fedc_arena *new_arena(fedc_ctx *ctx) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 0, &a));
    return a;
}

static const fedc_type *parse(fedc_ctx *ctx, fedc_arena *a, const char *s) {
    const fedc_type *t;
    ASSERT_OK(fedc_type_parse(ctx, a, s, &t));
    ASSERT_NOT_NULL(t);
    return t;
}

static void expect_print(const fedc_type *t, const char *want) {
    char buf[512];
    size_t n = fedc_type_format(t, buf, sizeof buf);
    ASSERT_STREQ(buf, want);
    ASSERT_EQ(n, strlen(want));
}

/* Canonical texts: print(parse(s)) == s, and parse(print(t)) equals t. */
static const char *const kCanonical[] = {
    "float32",
    "int32[10]",
    "float32[?,784]",
    "bool[2,3,4]",
    "<a=int32,b=float32[2]>",
    "<int32,float32>",
    "<a=int32,float32>",
    "<>",
    "<a=<b=<c=uint8>>>",
    "float32*",
    "<x=float32[784],y=int64>*",
    "(int32 -> float32)",
    "( -> int32)",
    "(<a=int32,b=int32> -> <int32,bool>)",
    "((int32 -> int32) -> (int32 -> int32))",
    "float32@SERVER",
    "{float32}@CLIENTS",
    "float32@CLIENTS",
    "{float32*}@CLIENTS",
    "float32*@SERVER",
    "<a=int32@SERVER,b={float32}@CLIENTS>",
    "(int32 -> float32)@SERVER",
    "({float32}@CLIENTS -> float32@SERVER)",
    "placement",
    "<w=float32[?,10],b=float32[10]>@SERVER",
};

TEST(canonical_types_round_trip) {
    fedc_arena *a = new_arena(ctx);
    for (size_t i = 0; i < sizeof kCanonical / sizeof kCanonical[0]; i++) {
        const fedc_type *t = parse(ctx, a, kCanonical[i]);
        expect_print(t, kCanonical[i]);
        char buf[512];
        fedc_type_format(t, buf, sizeof buf);
        const fedc_type *u = parse(ctx, a, buf);
        ASSERT_TRUE(fedc_type_equal(t, u));
        ASSERT_TRUE(fedc_type_equal(t, fedc_type_clone(a, t)));
    }
    fedc_arena_destroy(a);
}

TEST(whitespace_and_parentheses_normalize) {
    fedc_arena *a = new_arena(ctx);
    expect_print(parse(ctx, a, "  < a = int32 , b = float32 [ 2 , ? ] >  "),
                 "<a=int32,b=float32[2,?]>");
    expect_print(parse(ctx, a, "(int32->float32)"), "(int32 -> float32)");
    expect_print(parse(ctx, a, "(->int32)"), "( -> int32)");
    expect_print(parse(ctx, a, "((float32))"), "float32");
    expect_print(parse(ctx, a, "{ float32 * } @ CLIENTS"), "{float32*}@CLIENTS");
    fedc_arena_destroy(a);
}

TEST(structure_of_parsed_types) {
    fedc_arena *a = new_arena(ctx);
    const fedc_type *t = parse(ctx, a, "{<x=float32[?,784],y=int32>*}@CLIENTS");
    ASSERT_EQ(t->kind, FEDC_TYPE_FEDERATED);
    ASSERT_EQ(t->placement, FEDC_PLACEMENT_CLIENTS);
    ASSERT_FALSE(t->all_equal);
    const fedc_type *seq = t->element;
    ASSERT_EQ(seq->kind, FEDC_TYPE_SEQUENCE);
    const fedc_type *st = seq->element;
    ASSERT_EQ(st->kind, FEDC_TYPE_STRUCT);
    ASSERT_EQ(st->nfields, 2u);
    ASSERT_STREQ(st->fields[0].name, "x");
    ASSERT_EQ(st->fields[0].type->rank, 2);
    ASSERT_EQ(st->fields[0].type->dims[0], FEDC_DIM_UNKNOWN);
    ASSERT_EQ(st->fields[0].type->dims[1], 784);
    ASSERT_EQ(st->fields[1].type->dtype, FEDC_DTYPE_INT32);
    const fedc_type *f = parse(ctx, a, "( -> int32)");
    ASSERT_NULL(f->param);
    ASSERT_TRUE(parse(ctx, a, "int32@SERVER")->all_equal);
    ASSERT_TRUE(parse(ctx, a, "int32@CLIENTS")->all_equal);
    fedc_arena_destroy(a);
}

TEST(constructors_match_parser_and_enforce_rules) {
    fedc_arena *a = new_arena(ctx);
    int64_t d[2] = {FEDC_DIM_UNKNOWN, 3};
    const fedc_type *x = fedc_type_tensor(a, FEDC_DTYPE_FLOAT32, 2, d);
    fedc_type_field fields[2] = {{"x", x}, {NULL, fedc_type_tensor(a, FEDC_DTYPE_BOOL, 0, NULL)}};
    const fedc_type *s = fedc_type_struct(a, 2, fields);
    const fedc_type *f =
        fedc_type_federated(a, fedc_type_sequence(a, s), FEDC_PLACEMENT_CLIENTS, false);
    expect_print(f, "{<x=float32[?,3],bool>*}@CLIENTS");
    ASSERT_TRUE(fedc_type_equal(f, parse(ctx, a, "{<x=float32[?,3],bool>*}@CLIENTS")));
    /* nesting rules */
    ASSERT_NULL(fedc_type_federated(a, f, FEDC_PLACEMENT_SERVER, true));
    ASSERT_NULL(fedc_type_sequence(a, f));
    ASSERT_NULL(fedc_type_sequence(a, fedc_type_sequence(a, x)));
    ASSERT_NULL(fedc_type_sequence(a, fedc_type_function(a, x, x)));
    ASSERT_NULL(fedc_type_tensor(a, FEDC_DTYPE_FLOAT32, 1, (int64_t[]){-5}));
    ASSERT_NULL(fedc_type_tensor(a, FEDC_DTYPE_COUNT, 0, NULL));
    ASSERT_NULL(fedc_type_struct(a, 1, (fedc_type_field[]){{"a", NULL}}));
    ASSERT_NULL(fedc_type_struct(a, 2, (fedc_type_field[]){{"a", x}, {"a", x}}));
    /* SERVER values are always all-equal */
    ASSERT_TRUE(fedc_type_federated(a, x, FEDC_PLACEMENT_SERVER, false)->all_equal);
    fedc_arena_destroy(a);
}

TEST(equality) {
    fedc_arena *a = new_arena(ctx);
    ASSERT_TRUE(fedc_type_equal(parse(ctx, a, "<a=int32>"), parse(ctx, a, "<a=int32>")));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "<a=int32>"), parse(ctx, a, "<b=int32>")));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "<a=int32>"), parse(ctx, a, "<int32>")));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "float32[?]"), parse(ctx, a, "float32[3]")));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "float32[3]"), parse(ctx, a, "float64[3]")));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "float32"), parse(ctx, a, "float32[1]")));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "int32@CLIENTS"), parse(ctx, a, "{int32}@CLIENTS")));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "int32@CLIENTS"), parse(ctx, a, "int32@SERVER")));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "( -> int32)"), parse(ctx, a, "(int32 -> int32)")));
    ASSERT_TRUE(fedc_type_equal(NULL, NULL));
    ASSERT_FALSE(fedc_type_equal(parse(ctx, a, "int32"), NULL));
    fedc_arena_destroy(a);
}

typedef struct assign_case {
    const char *to, *from;
    bool ok;
} assign_case;

static const assign_case kAssign[] = {
    {"float32[?]", "float32[3]", true},
    {"float32[3]", "float32[?]", false},
    {"float32[?,?]", "float32[2,5]", true},
    {"float32[?]", "float32[2,5]", false},
    {"float32[3]", "int32[3]", false},
    {"float32", "float32", true},
    {"<a=float32[?],b=int32>", "<a=float32[2],b=int32>", true},
    {"<a=float32[2]>", "<a=float32[?]>", false},
    {"<a=int32>", "<b=int32>", false},
    {"<int32>", "<b=int32>", true},  /* an unnamed field accepts a named one (TFF) */
    {"<a=int32>", "<int32>", false}, /* a named field needs the name */
    {"<int32,int32>", "<int32>", false},
    {"float32[?]*", "float32[4]*", true},
    {"float32[4]*", "float32[?]*", false},
    {"(float32[3] -> float32[?])", "(float32[?] -> float32[2])", true}, /* contra / co */
    {"(float32[?] -> float32[?])", "(float32[3] -> float32[2])", false},
    {"( -> int32)", "( -> int32)", true},
    {"( -> int32)", "(int32 -> int32)", false},
    {"{float32}@CLIENTS", "float32@CLIENTS", true}, /* all-equal is a special case */
    {"float32@CLIENTS", "{float32}@CLIENTS", false},
    {"{float32[?]}@CLIENTS", "{float32[7]}@CLIENTS", true},
    {"float32@SERVER", "float32@CLIENTS", false},
    {"float32@SERVER", "float32", false},
    {"placement", "placement", true},
    {"float32", "<float32>", false},
};

TEST(assignability_follows_tff) {
    fedc_arena *a = new_arena(ctx);
    for (size_t i = 0; i < sizeof kAssign / sizeof kAssign[0]; i++) {
        bool got =
            fedc_type_assignable(parse(ctx, a, kAssign[i].to), parse(ctx, a, kAssign[i].from));
        if (got != kAssign[i].ok)
            FAIL("assignable(%s <- %s) is %d, expected %d", kAssign[i].to, kAssign[i].from, got,
                 kAssign[i].ok);
    }
    fedc_arena_destroy(a);
}

typedef struct bad_case {
    const char *text;
    const char *message;
} bad_case;

static const bad_case kBad[] = {
    {"", "1:1: expected a type, found end of input"},
    {"float33", "1:1: expected a type, found 'float33'"},
    {"<a=int32,", "1:10: expected a type, found end of input"},
    {"<a=int32 b=int32>", "1:10: expected ',' or '>', found 'b'"},
    {"float32[3,x]", "1:11: expected a dimension (a number or ?), found 'x'"},
    {"float32[3", "1:10: expected ',' or ']', found end of input"},
    {"float32[1,2,3,4,5,6,7]", "1:21: expected ']' (at most 6 dimensions), found '7'"},
    {"int32@EVERYWHERE", "1:7: expected a placement (SERVER or CLIENTS), found 'EVERYWHERE'"},
    {"{int32}@SERVER", "1:9: expected CLIENTS after {T}@ (a value per client), found 'SERVER'"},
    {"int32@SERVER@CLIENTS", "1:13: expected end of input, found '@'"},
    {"{int32@SERVER}@CLIENTS", "1:2: expected a non-federated member type, found int32@SERVER"},
    {"int32**", "1:1: expected a sequence element of tensors and structs, found int32*"},
    {"(int32 -> int32)*",
     "1:1: expected a sequence element of tensors and structs, found (int32 -> int32)"},
    {"(int32 int32)", "1:8: expected '->' or ')', found 'int32'"},
    {"(int32 -> int32", "1:16: expected ')', found end of input"},
    {"int32 $", "1:7: expected end of input, found '$'"},
    {"<a=int32>\n  >", "2:3: expected end of input, found '>'"},
    {"<a=int32,b=int32,a=bool>", "1:18: expected a new field name, found 'a'"},
};

TEST(bad_types_give_line_column_messages) {
    fedc_arena *a = new_arena(ctx);
    for (size_t i = 0; i < sizeof kBad / sizeof kBad[0]; i++) {
        const fedc_type *t = (const fedc_type *)1;
        fedc_ctx_clear(ctx);
        ASSERT_STATUS(fedc_type_parse(ctx, a, kBad[i].text, &t), FEDC_STATUS_PARSE);
        ASSERT_NULL(t);
        ASSERT_STREQ(fedc_ctx_message(ctx), kBad[i].message);
    }
    fedc_arena_destroy(a);
}

TEST(format_truncates_like_snprintf) {
    fedc_arena *a = new_arena(ctx);
    const fedc_type *t = parse(ctx, a, "<a=int32,b=float32[2]>");
    char buf[8];
    size_t n = fedc_type_format(t, buf, sizeof buf);
    ASSERT_EQ(n, strlen("<a=int32,b=float32[2]>"));
    ASSERT_STREQ(buf, "<a=int3");
    ASSERT_EQ(fedc_type_format(t, NULL, 0), n);
    fedc_type_format(NULL, buf, sizeof buf);
    ASSERT_STREQ(buf, "?");
    fedc_arena_destroy(a);
}

typedef struct sweep_arg {
    fedc_arena *arena;
    const char *text;
} sweep_arg;

static fedc_status parse_op(fedc_ctx *ctx, void *p) {
    sweep_arg *s = p;
    fedc_status st = fedc_arena_create(ctx, 256, &s->arena);
    if (st < 0) return st;
    const fedc_type *t;
    st = fedc_type_parse(ctx, s->arena, s->text, &t);
    if (st < 0) {
        fedc_arena_destroy(s->arena);
        s->arena = NULL;
    }
    return st;
}

static void parse_cleanup(void *p) {
    sweep_arg *s = p;
    fedc_arena_destroy(s->arena);
    s->arena = NULL;
}

TEST(parse_survives_allocation_failures) {
    sweep_arg s = {NULL, "<{<x=float32[?,784],y=<a=int32,b=bool[3]>>*}@CLIENTS,"
                         "(<int32,int32> -> bool)@SERVER>"};
    long n = fedc_test_alloc_sweep(ctx, parse_op, parse_cleanup, &s);
    ASSERT_GT(n, 2);
}

TEST(placement_names) {
    ASSERT_STREQ(fedc_placement_name(FEDC_PLACEMENT_SERVER), "SERVER");
    ASSERT_STREQ(fedc_placement_name(FEDC_PLACEMENT_CLIENTS), "CLIENTS");
    ASSERT_STREQ(fedc_placement_name((fedc_placement)7), "INVALID");
}

/* A random valid type: depth-limited; `local` types hold no federated member (inside a
 * federated type or a sequence), `seq_ok` ones only tensors and structs. */
static const fedc_type *random_type(fedc_arena *a, fedc_rng *r, int depth, bool local,
                                    bool seq_elem) {
    int choice = (int)fedc_rng_below(r, depth <= 0 ? 1 : (seq_elem ? 2 : local ? 4 : 5));
    switch (choice) {
    case 0: {
        int rank = (int)fedc_rng_below(r, 4);
        int64_t dims[FEDC_MAX_RANK];
        for (int i = 0; i < rank; i++)
            dims[i] =
                fedc_rng_below(r, 4) == 0 ? FEDC_DIM_UNKNOWN : (int64_t)fedc_rng_below(r, 1000);
        return fedc_type_tensor(a, (fedc_dtype)fedc_rng_below(r, FEDC_DTYPE_COUNT), rank, dims);
    }
    case 1: {
        static const char *const names[] = {"a", "b", "x_1", "weights", "_z"};
        size_t n = (size_t)fedc_rng_below(r, 4);
        fedc_type_field f[4];
        for (size_t i = 0; i < n; i++) {
            f[i].name = fedc_rng_below(r, 2) ? names[i] : NULL; /* distinct by position */
            f[i].type = random_type(a, r, depth - 1, local, seq_elem);
        }
        return fedc_type_struct(a, n, f);
    }
    case 2: return fedc_type_sequence(a, random_type(a, r, depth - 1, true, true));
    case 3: {
        const fedc_type *p =
            fedc_rng_below(r, 4) ? random_type(a, r, depth - 1, local, false) : NULL;
        return fedc_type_function(a, p, random_type(a, r, depth - 1, local, false));
    }
    default: {
        fedc_placement pl = fedc_rng_below(r, 2) ? FEDC_PLACEMENT_SERVER : FEDC_PLACEMENT_CLIENTS;
        return fedc_type_federated(a, random_type(a, r, depth - 1, true, false), pl,
                                   fedc_rng_below(r, 2) != 0);
    }
    }
}

TEST(random_types_round_trip) {
    fedc_arena *a = new_arena(ctx);
    fedc_rng r = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST, 52);
    for (int i = 0; i < 2000; i++) {
        const fedc_type *t = random_type(a, &r, 4, false, false);
        ASSERT_NOT_NULL(t);
        char buf[4096], again[4096];
        size_t n = fedc_type_format(t, buf, sizeof buf);
        ASSERT_LT(n, sizeof buf);
        const fedc_type *u = parse(ctx, a, buf);
        if (!fedc_type_equal(t, u)) FAIL("%s does not parse back equal", buf);
        fedc_type_format(u, again, sizeof again);
        ASSERT_STREQ(again, buf);
        ASSERT_TRUE(fedc_type_assignable(t, u));
        ASSERT_TRUE(fedc_type_assignable(u, t));
        if (i % 64 == 63) fedc_arena_reset(a);
    }
    fedc_arena_destroy(a);
}
