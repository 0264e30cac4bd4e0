/* test_elementwise.c — binary and unary tensor ops and saxpy: known answers through the public
 * API (broadcasting, integer wrap-around and division by zero, NaN handling, strided and
 * in-place operands), every error the wrappers report, and opt-vs-ref twin tests over every op
 * and dtype on random shapes, broadcasts and layouts, which must agree to the bit. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/harness.h"
#include "tensor/kernels/kernels.h"
#include "tensor/tensor_testutil.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* Random elements that exercise the edges: for floats mostly normals with some zeros of both
 * signs, infinities and NaN; for integers mostly small values (so 0 and -1 divisors are
 * common) with some extremes (so wrap-around happens). */
static void fill_random(fedc_tensor *t, fedc_rng *rng) {
    int64_t n = fedc_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        uint64_t pick = fedc_rng_below(rng, 50);
        double normal = 3 * fedc_rng_normal(rng);
        int64_t small = (int64_t)fedc_rng_below(rng, 21) - 10;
        switch (t->dtype) {
        case FEDC_DTYPE_FLOAT32:
        case FEDC_DTYPE_FLOAT64: {
            double v = pick == 0   ? NAN
                       : pick == 1 ? INFINITY
                       : pick == 2 ? -INFINITY
                       : pick == 3 ? 0.0
                       : pick == 4 ? -0.0
                                   : normal;
            fedc_tensor_set_flat(t, i, v);
            break;
        }
        case FEDC_DTYPE_INT32:
            ((int32_t *)t->data)[i] = pick == 0   ? INT32_MIN
                                      : pick == 1 ? INT32_MAX
                                      : pick == 2 ? (int32_t)fedc_rng_u32(rng)
                                                  : (int32_t)small;
            break;
        case FEDC_DTYPE_INT64:
            ((int64_t *)t->data)[i] = pick == 0   ? INT64_MIN
                                      : pick == 1 ? INT64_MAX
                                      : pick == 2 ? (int64_t)fedc_rng_u64(rng)
                                                  : small;
            break;
        case FEDC_DTYPE_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)fedc_rng_below(rng, 256); break;
        default: ((uint8_t *)t->data)[i] = (uint8_t)fedc_rng_below(rng, 2); break;
        }
    }
}

/* A view of `shape` into a fresh *owner filled by fill_random (tt_random_view). */
static fedc_tensor random_view(fedc_ctx *ctx, fedc_rng *rng, fedc_dtype dtype,
                               const fedc_shape *shape, int layout, fedc_tensor *owner) {
    return tt_random_view(ctx, rng, dtype, shape, layout, fill_random, owner);
}

static int random_layout(fedc_rng *rng) { return (int)fedc_rng_below(rng, 4); }

/* `shape` as an operand that broadcasts to it: maybe fewer leading axes, some axes size 1. */
static fedc_shape broadcast_operand(fedc_rng *rng, const fedc_shape *shape) {
    fedc_shape s = FEDC_SHAPE0;
    int drop = (int)fedc_rng_below(rng, (uint64_t)shape->rank + 1);
    if (fedc_rng_below(rng, 2)) drop = 0; /* full rank half the time */
    s.rank = shape->rank - drop;
    for (int i = 0; i < s.rank; i++) {
        s.dims[i] = shape->dims[i + drop];
        if (fedc_rng_below(rng, 3) == 0) s.dims[i] = 1;
    }
    return s;
}

/* Both owners hold the same bytes (the twins agree to the bit, NaN payloads included). */
static void expect_same_bytes(const fedc_tensor *got, const fedc_tensor *want, const char *what) {
    ASSERT_EQ(fedc_tensor_nbytes(got), fedc_tensor_nbytes(want));
    if (memcmp(got->data, want->data, fedc_tensor_nbytes(want)) == 0) return;
    ASSERT_TENSOR_NEAR(got, want, 0); /* names the first differing element when it can */
    FAIL("%s: opt and ref differ in their bytes (signed zeros or int64 beyond 2^53)", what);
}

static bool binary_defined(fedc_binary_op op, fedc_dtype dtype) {
    if (op >= FEDC_BINARY_OP_EQUAL) return true;
    if (dtype == FEDC_DTYPE_BOOL) return false;
    return op != FEDC_BINARY_OP_POW || fedc_dtype_is_float(dtype);
}

static bool unary_defined(fedc_unary_op op, fedc_dtype dtype) {
    if (dtype == FEDC_DTYPE_BOOL) return false;
    if (fedc_dtype_is_float(dtype)) return true;
    return op == FEDC_UNARY_OP_NEG || op == FEDC_UNARY_OP_ABS || op == FEDC_UNARY_OP_SQUARE;
}

/* ---- names ------------------------------------------------------------------------------- */

TEST(op_names) {
    static const char *const binary[FEDC_BINARY_OP_COUNT] = {
        "add",   "sub",       "mul",  "div",        "maximum", "minimum",      "pow",
        "equal", "not_equal", "less", "less_equal", "greater", "greater_equal"};
    for (int op = 0; op < FEDC_BINARY_OP_COUNT; op++)
        ASSERT_STREQ(fedc_binary_op_name((fedc_binary_op)op), binary[op]);
    static const char *const unary[FEDC_UNARY_OP_COUNT] = {"neg", "abs",  "square",  "sqrt", "exp",
                                                           "log", "relu", "sigmoid", "tanh"};
    for (int op = 0; op < FEDC_UNARY_OP_COUNT; op++)
        ASSERT_STREQ(fedc_unary_op_name((fedc_unary_op)op), unary[op]);
    ASSERT_STREQ(fedc_binary_op_name(FEDC_BINARY_OP_COUNT), "invalid");
    ASSERT_STREQ(fedc_unary_op_name((fedc_unary_op)-1), "invalid");
}

/* ---- binary: known answers --------------------------------------------------------------- */

TEST(add_broadcasts_a_row_vector) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3), V(1, 2, 3, 4, 5, 6));
    fedc_tensor b = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3), V(10, 20, 30));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &a, &b, &out));
    tt_expect_values(&out, V(11, 22, 33, 14, 25, 36), 6);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_SUB, &b, &a, &out)); /* [3] - [2,3] */
    tt_expect_values(&out, V(9, 18, 27, 6, 15, 24), 6);
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&out);
}

TEST(mul_broadcasts_column_against_row) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(2, 1), V(1, 2));
    fedc_tensor b = tt_make(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(1, 3), V(10, 20, 30));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(2, 3));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MUL, &a, &b, &out));
    tt_expect_values(&out, V(10, 20, 30, 20, 40, 60), 6);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &a, &b, &out));
    tt_expect_values(&out, V(11, 21, 31, 12, 22, 32), 6);
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&out);
}

TEST(scalar_operands_broadcast_everywhere) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 2), V(1, 2, 3, 4));
    fedc_tensor s = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE0, V(2));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 2));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_DIV, &a, &s, &out));
    tt_expect_values(&out, V(0.5, 1, 1.5, 2), 4);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_DIV, &s, &a, &out));
    tt_expect_values(&out, V(2, 1, (double)(2.0f / 3.0f), 0.5), 4);
    fedc_tensor s2 = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE0);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MUL, &s, &s, &s2));
    tt_expect_values(&s2, V(4), 1);
    fedc_tensor_free(&a);
    fedc_tensor_free(&s);
    fedc_tensor_free(&s2);
    fedc_tensor_free(&out);
}

TEST(integer_division_truncates_and_never_traps) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(6), V(7, -7, 7, -7, 5, INT32_MIN));
    fedc_tensor b = tt_make(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(6), V(2, 2, -2, 0, 0, -1));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(6));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_DIV, &a, &b, &out));
    tt_expect_values(&out, V(3, -3, -3, 0, 0, INT32_MIN), 6);
    fedc_tensor ua = tt_make(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2), V(200, 9));
    fedc_tensor ub = tt_make(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2), V(0, 4));
    fedc_tensor uo = tt_zeros(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_DIV, &ua, &ub, &uo));
    tt_expect_values(&uo, V(0, 2), 2);
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&out);
    fedc_tensor_free(&ua);
    fedc_tensor_free(&ub);
    fedc_tensor_free(&uo);
}

TEST(integer_arithmetic_wraps_around) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(2), V(INT32_MAX, INT32_MIN));
    fedc_tensor one = tt_make(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE0, V(1));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(2));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &a, &one, &out));
    tt_expect_values(&out, V(INT32_MIN, INT32_MIN + 1), 2);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_SUB, &a, &one, &out));
    tt_expect_values(&out, V(INT32_MAX - 1, INT32_MAX), 2);
    fedc_tensor u = tt_make(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2), V(250, 3));
    fedc_tensor v = tt_make(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2), V(10, 5));
    fedc_tensor uo = tt_zeros(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &u, &v, &uo));
    tt_expect_values(&uo, V(4, 8), 2);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_SUB, &u, &v, &uo));
    tt_expect_values(&uo, V(240, 254), 2);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MUL, &u, &v, &uo));
    tt_expect_values(&uo, V((2500 % 256), 15), 2);
    int64_t big[2] = {INT64_MAX, 3}, prod[2];
    fedc_shape s2 = FEDC_SHAPE(2);
    fedc_tensor tb = fedc_tensor_view(FEDC_DTYPE_INT64, &s2, big);
    fedc_tensor tp = fedc_tensor_view(FEDC_DTYPE_INT64, &s2, prod);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MUL, &tb, &tb, &tp));
    ASSERT_EQ(prod[0], 1); /* (2^63 - 1)^2 = 2^126 - 2^64 + 1 = 1 (mod 2^64) */
    ASSERT_EQ(prod[1], 9);
    fedc_tensor_free(&a);
    fedc_tensor_free(&one);
    fedc_tensor_free(&out);
    fedc_tensor_free(&u);
    fedc_tensor_free(&v);
    fedc_tensor_free(&uo);
}

TEST(maximum_minimum_pow_and_nan) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3), V(1, NAN, 3));
    fedc_tensor b = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3), V(2, 0, NAN));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MAXIMUM, &a, &b, &out));
    tt_expect_values(&out, V(2, NAN, NAN), 3);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MINIMUM, &a, &b, &out));
    tt_expect_values(&out, V(1, NAN, NAN), 3);
    fedc_tensor x = tt_make(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(3), V(2, 9, 4));
    fedc_tensor y = tt_make(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(3), V(3, 0.5, -1));
    fedc_tensor p = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(3));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_POW, &x, &y, &p));
    tt_expect_values(&p, V(8, 3, 0.25), 3);
    fedc_tensor i = tt_make(ctx, FEDC_DTYPE_INT64, FEDC_SHAPE(3), V(-5, 7, 0));
    fedc_tensor j = tt_make(ctx, FEDC_DTYPE_INT64, FEDC_SHAPE0, V(1));
    fedc_tensor k = tt_zeros(ctx, FEDC_DTYPE_INT64, FEDC_SHAPE(3));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MAXIMUM, &i, &j, &k));
    tt_expect_values(&k, V(1, 7, 1), 3);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MINIMUM, &i, &j, &k));
    tt_expect_values(&k, V(-5, 1, 0), 3);
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&out);
    fedc_tensor_free(&x);
    fedc_tensor_free(&y);
    fedc_tensor_free(&p);
    fedc_tensor_free(&i);
    fedc_tensor_free(&j);
    fedc_tensor_free(&k);
}

TEST(comparisons_give_bool) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3), V(1, 2, NAN));
    fedc_tensor b = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3), V(2, 2, NAN));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_BOOL, FEDC_SHAPE(3));
    static const struct {
        fedc_binary_op op;
        double want[3];
    } cases[] = {
        {FEDC_BINARY_OP_EQUAL, {0, 1, 0}},   {FEDC_BINARY_OP_NOT_EQUAL, {1, 0, 1}},
        {FEDC_BINARY_OP_LESS, {1, 0, 0}},    {FEDC_BINARY_OP_LESS_EQUAL, {1, 1, 0}},
        {FEDC_BINARY_OP_GREATER, {0, 0, 0}}, {FEDC_BINARY_OP_GREATER_EQUAL, {0, 1, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ASSERT_OK(fedc_tensor_binary(ctx, cases[c].op, &a, &b, &out));
        tt_expect_values(&out, cases[c].want, 3);
    }
    fedc_tensor p = tt_make(ctx, FEDC_DTYPE_BOOL, FEDC_SHAPE(4), V(0, 0, 1, 1));
    fedc_tensor q = tt_make(ctx, FEDC_DTYPE_BOOL, FEDC_SHAPE(4), V(0, 1, 0, 1));
    fedc_tensor r = tt_zeros(ctx, FEDC_DTYPE_BOOL, FEDC_SHAPE(4));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_NOT_EQUAL, &p, &q, &r));
    tt_expect_values(&r, V(0, 1, 1, 0), 4);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_LESS, &p, &q, &r));
    tt_expect_values(&r, V(0, 1, 0, 0), 4);
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&out);
    fedc_tensor_free(&p);
    fedc_tensor_free(&q);
    fedc_tensor_free(&r);
}

TEST(strided_and_in_place_operands) {
    /* a^T + b with a stored [3,2]; then out aliases its first input */
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3, 2), V(1, 2, 3, 4, 5, 6));
    fedc_tensor b = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3), V(100, 200, 300));
    fedc_tensor at, out = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3));
    ASSERT_OK(fedc_tensor_permute(ctx, &a, (const int[]){1, 0}, &at));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &at, &b, &out));
    tt_expect_values(&out, V(101, 203, 305, 102, 204, 306), 6);
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MUL, &at, &at, &at));
    tt_expect_values(&a, V(1, 4, 9, 16, 25, 36), 6);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_NEG, &out, &out));
    tt_expect_values(&out, V(-101, -203, -305, -102, -204, -306), 6);
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&out);
}

TEST(empty_operands_do_nothing) {
    fedc_tensor a = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(0, 3));
    fedc_tensor b = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(1, 3), V(1, 2, 3));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(0, 3));
    ASSERT_OK(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &a, &b, &out));
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_EXP, &a, &out));
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&out);
}

/* ---- binary and unary: errors ------------------------------------------------------------ */

TEST(binary_errors_name_op_shapes_and_dtypes) {
    fedc_tensor f23 = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3));
    fedc_tensor f4 = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(4));
    fedc_tensor f22 = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 2));
    fedc_tensor i23 = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(2, 3));
    fedc_tensor b23 = tt_zeros(ctx, FEDC_DTYPE_BOOL, FEDC_SHAPE(2, 3));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3));

    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &f23, &i23, &out), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "add");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "float32");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "int32");

    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_SUB, &f23, &f4, &out), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "sub: ");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,3]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[4]");

    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_MUL, &f23, &f23, &f22), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,2]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "expected [2,3]");

    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_LESS, &f23, &f23, &out), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "less");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "expected bool");
    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &f23, &f23, &b23), FEDC_STATUS_TYPE);

    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_POW, &i23, &i23, &i23),
                  FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "pow");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "int32");
    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &b23, &b23, &b23),
                  FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "bool");

    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_COUNT, &f23, &f23, &out),
                  FEDC_STATUS_INVALID_ARGUMENT);
    fedc_tensor row = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3)), wide;
    fedc_shape s23 = FEDC_SHAPE(2, 3);
    ASSERT_OK(fedc_tensor_expand(ctx, &row, &s23, &wide));
    ASSERT_STATUS(fedc_tensor_binary(ctx, FEDC_BINARY_OP_ADD, &f23, &f23, &wide),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "broadcast view");
    /* a NULL ctx still gets the status */
    ASSERT_EQ(fedc_tensor_binary(NULL, FEDC_BINARY_OP_SUB, &f23, &f4, &out), FEDC_STATUS_SHAPE);

    fedc_tensor_free(&f23);
    fedc_tensor_free(&f4);
    fedc_tensor_free(&f22);
    fedc_tensor_free(&i23);
    fedc_tensor_free(&b23);
    fedc_tensor_free(&out);
    fedc_tensor_free(&row);
}

TEST(unary_errors) {
    fedc_tensor i = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(2));
    fedc_tensor b = tt_zeros(ctx, FEDC_DTYPE_BOOL, FEDC_SHAPE(2));
    fedc_tensor f = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2));
    fedc_tensor f3 = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3));
    ASSERT_STATUS(fedc_tensor_unary(ctx, FEDC_UNARY_OP_EXP, &i, &i), FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "exp");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "int32");
    ASSERT_STATUS(fedc_tensor_unary(ctx, FEDC_UNARY_OP_NEG, &b, &b), FEDC_STATUS_UNSUPPORTED);
    ASSERT_STATUS(fedc_tensor_unary(ctx, FEDC_UNARY_OP_ABS, &f, &i), FEDC_STATUS_TYPE);
    ASSERT_STATUS(fedc_tensor_unary(ctx, FEDC_UNARY_OP_ABS, &f, &f3), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[3]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2]");
    ASSERT_STATUS(fedc_tensor_unary(ctx, FEDC_UNARY_OP_COUNT, &f, &f),
                  FEDC_STATUS_INVALID_ARGUMENT);
    fedc_tensor_free(&i);
    fedc_tensor_free(&b);
    fedc_tensor_free(&f);
    fedc_tensor_free(&f3);
}

/* ---- unary: known answers ---------------------------------------------------------------- */

TEST(unary_float_known_answers) {
    fedc_tensor x = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(4), V(-4, 0, 2.25, NAN));
    fedc_tensor y = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(4));
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_NEG, &x, &y));
    tt_expect_values(&y, V(4, 0, -2.25, NAN), 4);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_ABS, &x, &y));
    tt_expect_values(&y, V(4, 0, 2.25, NAN), 4);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_SQUARE, &x, &y));
    tt_expect_values(&y, V(16, 0, 5.0625, NAN), 4);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_SQRT, &x, &y));
    tt_expect_values(&y, V(NAN, 0, 1.5, NAN), 4);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_RELU, &x, &y));
    tt_expect_values(&y, V(0, 0, 2.25, NAN), 4);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_EXP, &x, &y));
    ASSERT_NEAR(fedc_tensor_get_flat(&y, 0), exp(-4.0), 1e-7);
    ASSERT_EQ(fedc_tensor_get_flat(&y, 1), 1.0);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_LOG, &x, &y));
    ASSERT_TRUE(isnan(fedc_tensor_get_flat(&y, 0)));
    ASSERT_EQ(fedc_tensor_get_flat(&y, 1), -INFINITY);
    ASSERT_NEAR(fedc_tensor_get_flat(&y, 2), log(2.25), 1e-7);

    /* sigmoid stays finite and exact at the extremes; tanh is odd */
    fedc_tensor s = tt_make(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(5), V(0, 1, -1, 1000, -1000));
    fedc_tensor t = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(5));
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_SIGMOID, &s, &t));
    double e = exp(-1.0);
    tt_expect_values(&t, V(0.5, 1 / (1 + e), e / (1 + e), 1, 0), 5);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_TANH, &s, &t));
    tt_expect_values(&t, V(0, tanh(1.0), -tanh(1.0), 1, -1), 5);
    fedc_tensor sf = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2), V(100, -100));
    fedc_tensor tf = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2));
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_SIGMOID, &sf, &tf));
    ASSERT_EQ(fedc_tensor_get_flat(&tf, 0), 1.0);
    ASSERT_NEAR(fedc_tensor_get_flat(&tf, 1), exp(-100.0), 3e-45);
    ASSERT_GE(fedc_tensor_get_flat(&tf, 1), 0.0);
    fedc_tensor_free(&x);
    fedc_tensor_free(&y);
    fedc_tensor_free(&s);
    fedc_tensor_free(&t);
    fedc_tensor_free(&sf);
    fedc_tensor_free(&tf);
}

TEST(unary_integer_known_answers) {
    fedc_tensor x = tt_make(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(4), V(-5, 7, INT32_MIN, 46341));
    fedc_tensor y = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(4));
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_NEG, &x, &y));
    tt_expect_values(&y, V(5, -7, INT32_MIN, -46341), 4);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_ABS, &x, &y));
    tt_expect_values(&y, V(5, 7, INT32_MIN, 46341), 4);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_SQUARE, &x, &y));
    /* 46341^2 = 2147488281 wraps to 2147488281 - 2^32 */
    tt_expect_values(&y, V(25, 49, 0, 2147488281.0 - 4294967296.0), 4);
    fedc_tensor u = tt_make(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2), V(1, 20));
    fedc_tensor v = tt_zeros(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2));
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_NEG, &u, &v));
    tt_expect_values(&v, V(255, 236), 2);
    ASSERT_OK(fedc_tensor_unary(ctx, FEDC_UNARY_OP_SQUARE, &u, &v));
    tt_expect_values(&v, V(1, 400 - 256), 2);
    fedc_tensor_free(&x);
    fedc_tensor_free(&y);
    fedc_tensor_free(&u);
    fedc_tensor_free(&v);
}

/* ---- saxpy ------------------------------------------------------------------------------- */

TEST(saxpy_known_answer_and_in_place) {
    float x[3] = {1, 2, 3}, y[3] = {10, 20, 30};
    fedc_saxpy(3, 0.5f, x, y);
    const float want[3] = {10.5f, 21, 31.5f};
    ASSERT_FLOATS_NEAR(y, want, 3, 0);
    fedc_saxpy(3, 1.0f, y, y); /* y += y */
    const float doubled[3] = {21, 42, 63};
    ASSERT_FLOATS_NEAR(y, doubled, 3, 0);
    fedc_saxpy(0, 1.0f, NULL, NULL);
}

TEST(twin_saxpy_is_bit_exact) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 3, FEDC_RNG_PURPOSE_TEST);
    static const int64_t sizes[] = {0, 1, 3, 7, 8, 9, 17, 33, 129, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int64_t n = sizes[s];
        float x[1000], y_ref[1000], y_opt[1000];
        for (int64_t i = 0; i < n; i++) {
            x[i] = (float)fedc_rng_normal(&rng);
            y_ref[i] = y_opt[i] = (float)fedc_rng_normal(&rng);
        }
        float alpha = (float)fedc_rng_normal(&rng);
        fedc__ref_saxpy(n, alpha, x, y_ref);
        fedc__opt_saxpy(n, alpha, x, y_opt);
        ASSERT_EQ(memcmp(y_ref, y_opt, (size_t)n * sizeof(float)), 0);
        fedc__ref_saxpy(n, alpha, y_ref, y_ref);
        fedc__opt_saxpy(n, alpha, y_opt, y_opt);
        ASSERT_EQ(memcmp(y_ref, y_opt, (size_t)n * sizeof(float)), 0);
    }
}

/* ---- twin tests: binary and unary -------------------------------------------------------- */

TEST(twin_binary_is_bit_exact_for_every_op_and_dtype) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 4, FEDC_RNG_PURPOSE_TEST);
    for (int d = 0; d < FEDC_DTYPE_COUNT; d++) {
        for (int o = 0; o < FEDC_BINARY_OP_COUNT; o++) {
            fedc_dtype dtype = (fedc_dtype)d;
            fedc_binary_op op = (fedc_binary_op)o;
            if (!binary_defined(op, dtype)) continue;
            fedc_dtype out_dtype = op >= FEDC_BINARY_OP_EQUAL ? FEDC_DTYPE_BOOL : dtype;
            for (int iter = 0; iter < 12; iter++) {
                fedc_shape full = tt_random_shape(&rng, (int)fedc_rng_below(&rng, 5), 20000);
                fedc_shape sa = broadcast_operand(&rng, &full), sb = broadcast_operand(&rng, &full);
                fedc_shape so;
                ASSERT_OK(fedc_shape_broadcast(ctx, &sa, &sb, &so));
                fedc_tensor oa, ob, oref, oopt;
                fedc_tensor a = random_view(ctx, &rng, dtype, &sa, random_layout(&rng), &oa);
                fedc_tensor b = random_view(ctx, &rng, dtype, &sb, random_layout(&rng), &ob);
                fedc_tensor out_ref =
                    random_view(ctx, &rng, out_dtype, &so, random_layout(&rng), &oref);
                ASSERT_OK(fedc_tensor_clone(ctx, &oref, &oopt));
                fedc_tensor out_opt = tt_rebase(&out_ref, &oref, &oopt);
                fedc__ref_binary(op, &a, &b, &out_ref);
                fedc__opt_binary(op, &a, &b, &out_opt);
                char what[128];
                snprintf(what, sizeof what, "%s %s iteration %d", fedc_binary_op_name(op),
                         fedc_dtype_name(dtype), iter);
                expect_same_bytes(&oopt, &oref, what);
                fedc_tensor_free(&oa);
                fedc_tensor_free(&ob);
                fedc_tensor_free(&oref);
                fedc_tensor_free(&oopt);
            }
        }
    }
}

TEST(twin_binary_in_place_is_bit_exact) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 5, FEDC_RNG_PURPOSE_TEST);
    for (int d = 0; d < FEDC_DTYPE_UINT8 + 1; d++) {
        fedc_dtype dtype = (fedc_dtype)d;
        for (int iter = 0; iter < 20; iter++) {
            fedc_binary_op op = (fedc_binary_op)fedc_rng_below(&rng, FEDC_BINARY_OP_POW);
            fedc_shape sa = tt_random_shape(&rng, (int)fedc_rng_below(&rng, 5), 20000);
            fedc_shape sb = broadcast_operand(&rng, &sa);
            fedc_tensor oa_ref, oa_opt, ob;
            fedc_tensor a_ref = random_view(ctx, &rng, dtype, &sa, random_layout(&rng), &oa_ref);
            fedc_tensor b = random_view(ctx, &rng, dtype, &sb, random_layout(&rng), &ob);
            ASSERT_OK(fedc_tensor_clone(ctx, &oa_ref, &oa_opt));
            fedc_tensor a_opt = tt_rebase(&a_ref, &oa_ref, &oa_opt);
            fedc__ref_binary(op, &a_ref, &b, &a_ref);
            fedc__opt_binary(op, &a_opt, &b, &a_opt);
            expect_same_bytes(&oa_opt, &oa_ref, fedc_binary_op_name(op));
            fedc_tensor_free(&oa_ref);
            fedc_tensor_free(&oa_opt);
            fedc_tensor_free(&ob);
        }
    }
}

TEST(twin_unary_is_bit_exact_for_every_op_and_dtype) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 6, FEDC_RNG_PURPOSE_TEST);
    for (int d = 0; d < FEDC_DTYPE_COUNT; d++) {
        for (int o = 0; o < FEDC_UNARY_OP_COUNT; o++) {
            fedc_dtype dtype = (fedc_dtype)d;
            fedc_unary_op op = (fedc_unary_op)o;
            if (!unary_defined(op, dtype)) continue;
            for (int iter = 0; iter < 12; iter++) {
                fedc_shape s = tt_random_shape(&rng, (int)fedc_rng_below(&rng, 5), 20000);
                fedc_tensor oa, oref, oopt;
                fedc_tensor a = random_view(ctx, &rng, dtype, &s, random_layout(&rng), &oa);
                fedc_tensor out_ref = random_view(ctx, &rng, dtype, &s, random_layout(&rng), &oref);
                ASSERT_OK(fedc_tensor_clone(ctx, &oref, &oopt));
                fedc_tensor out_opt = tt_rebase(&out_ref, &oref, &oopt);
                fedc__ref_unary(op, &a, &out_ref);
                fedc__opt_unary(op, &a, &out_opt);
                expect_same_bytes(&oopt, &oref, fedc_unary_op_name(op));
                /* and in place, starting from the same input in both outputs */
                ASSERT_OK(fedc_tensor_copy(ctx, &out_ref, &a));
                ASSERT_OK(fedc_tensor_copy(ctx, &out_opt, &a));
                fedc__ref_unary(op, &out_ref, &out_ref);
                fedc__opt_unary(op, &out_opt, &out_opt);
                expect_same_bytes(&oopt, &oref, fedc_unary_op_name(op));
                fedc_tensor_free(&oa);
                fedc_tensor_free(&oref);
                fedc_tensor_free(&oopt);
            }
        }
    }
}
