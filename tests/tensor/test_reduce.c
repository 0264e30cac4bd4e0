/* test_reduce.c — sum, mean, max and min over axis sets: known answers through the public API
 * (keepdims or not, strided inputs and outputs, empty axes, NaN, integer wrap-around, double
 * accumulation of float sums), the errors, and opt-vs-ref twin tests on random shapes, masks
 * and layouts: bit-exact for integers and max/min, within 1e-6 for float sums and means (the
 * optimized kernel may group the terms differently). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/harness.h"
#include "tensor/kernels/kernels.h"
#include "tensor/tensor_testutil.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* reduce `a` with op over mask into a fresh tensor of `shape` and check its values */
static void expect_reduce(fedc_ctx *ctx, fedc_reduce_op op, const fedc_tensor *a, uint32_t mask,
                          bool keepdims, fedc_shape shape, const double *want) {
    fedc_tensor out = tt_zeros(ctx, a->dtype, shape);
    ASSERT_OK(fedc_tensor_reduce(ctx, op, a, mask, keepdims, &out));
    tt_expect_values(&out, want, fedc_tensor_numel(&out));
    fedc_tensor_free(&out);
}

/* Normals for floats (with occasional NaN and infinities when `specials`), integers from small
 * to extreme so sums wrap. */
static void fill_random(fedc_tensor *t, fedc_rng *rng, bool specials) {
    int64_t n = fedc_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        uint64_t pick = fedc_rng_below(rng, 100);
        double normal = 3 * fedc_rng_normal(rng);
        int64_t small = (int64_t)fedc_rng_below(rng, 2001) - 1000;
        switch (t->dtype) {
        case FEDC_DTYPE_FLOAT32:
        case FEDC_DTYPE_FLOAT64: {
            double v = !specials   ? normal
                       : pick == 0 ? NAN
                       : pick == 1 ? INFINITY
                       : pick == 2 ? -INFINITY
                                   : normal;
            fedc_tensor_set_flat(t, i, v);
            break;
        }
        case FEDC_DTYPE_INT32:
            ((int32_t *)t->data)[i] = pick < 5 ? (int32_t)fedc_rng_u32(rng) : (int32_t)small;
            break;
        case FEDC_DTYPE_INT64:
            ((int64_t *)t->data)[i] = pick < 5 ? (int64_t)fedc_rng_u64(rng) : small;
            break;
        default: ((uint8_t *)t->data)[i] = (uint8_t)fedc_rng_below(rng, 256); break;
        }
    }
}

static void fill_with_specials(fedc_tensor *t, fedc_rng *rng) { fill_random(t, rng, true); }
static void fill_normal(fedc_tensor *t, fedc_rng *rng) { fill_random(t, rng, false); }

/* A view of `shape` into a fresh randomly filled *owner (tt_random_view), NaN and infinities
 * among the values when `specials`. */
static fedc_tensor random_view(fedc_ctx *ctx, fedc_rng *rng, fedc_dtype dtype,
                               const fedc_shape *shape, int layout, bool specials,
                               fedc_tensor *owner) {
    return tt_random_view(ctx, rng, dtype, shape, layout,
                          specials ? fill_with_specials : fill_normal, owner);
}

/* ---- known answers ----------------------------------------------------------------------- */

TEST(reduce_op_names) {
    ASSERT_STREQ(fedc_reduce_op_name(FEDC_REDUCE_OP_SUM), "sum");
    ASSERT_STREQ(fedc_reduce_op_name(FEDC_REDUCE_OP_MEAN), "mean");
    ASSERT_STREQ(fedc_reduce_op_name(FEDC_REDUCE_OP_MAX), "max");
    ASSERT_STREQ(fedc_reduce_op_name(FEDC_REDUCE_OP_MIN), "min");
    ASSERT_STREQ(fedc_reduce_op_name(FEDC_REDUCE_OP_COUNT), "invalid");
}

TEST(reduce_2d_known_answers) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3), V(1, 2, 3, 4, 5, 6));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 0, false, FEDC_SHAPE0, V(21));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 0, true, FEDC_SHAPE(1, 1), V(21));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 3, false, FEDC_SHAPE0, V(21));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 1, false, FEDC_SHAPE(3), V(5, 7, 9));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 2, false, FEDC_SHAPE(2), V(6, 15));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 2, true, FEDC_SHAPE(2, 1), V(6, 15));
    expect_reduce(ctx, FEDC_REDUCE_OP_MEAN, &a, 2, false, FEDC_SHAPE(2), V(2, 5));
    expect_reduce(ctx, FEDC_REDUCE_OP_MEAN, &a, 0, false, FEDC_SHAPE0, V(3.5));
    expect_reduce(ctx, FEDC_REDUCE_OP_MAX, &a, 1, true, FEDC_SHAPE(1, 3), V(4, 5, 6));
    expect_reduce(ctx, FEDC_REDUCE_OP_MIN, &a, 0, false, FEDC_SHAPE0, V(1));
    expect_reduce(ctx, FEDC_REDUCE_OP_MIN, &a, 2, false, FEDC_SHAPE(2), V(1, 4));
    fedc_tensor_free(&a);
}

TEST(reduce_3d_over_outer_middle_and_split_axes) {
    /* a[i,j,k] = 12i + 4j + k */
    fedc_tensor a = tt_iota(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(2, 3, 4));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 5, false, FEDC_SHAPE(3), V(60, 92, 124));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 5, true, FEDC_SHAPE(1, 3, 1), V(60, 92, 124));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 2, false, FEDC_SHAPE(2, 4),
                  V(12, 15, 18, 21, 48, 51, 54, 57));
    expect_reduce(ctx, FEDC_REDUCE_OP_MAX, &a, 3, false, FEDC_SHAPE(4), V(20, 21, 22, 23));
    expect_reduce(ctx, FEDC_REDUCE_OP_MIN, &a, 6, false, FEDC_SHAPE(2), V(0, 12));
    expect_reduce(ctx, FEDC_REDUCE_OP_MEAN, &a, 1, false, FEDC_SHAPE(3, 4),
                  V(6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17));
    fedc_tensor_free(&a);
}

TEST(reduce_strided_input_and_output) {
    /* the transpose of [[0,1,2],[3,4,5]], summed along its rows into a column of a matrix */
    fedc_tensor a = tt_iota(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(2, 3)), at;
    ASSERT_OK(fedc_tensor_permute(ctx, &a, (const int[]){1, 0}, &at));
    fedc_tensor m = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(3, 2)), col;
    ASSERT_OK(fedc_tensor_select(ctx, &m, 1, 1, &col));
    ASSERT_OK(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_SUM, &at, 2, false, &col));
    tt_expect_values(&m, V(0, 3, 0, 5, 0, 7), 6);
    ASSERT_OK(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_MAX, &at, 2, false, &col));
    tt_expect_values(&m, V(0, 3, 0, 4, 0, 5), 6);
    fedc_tensor_free(&a);
    fedc_tensor_free(&m);
}

TEST(float_sums_accumulate_in_double) {
    /* in float32 arithmetic 1e8 + 1 == 1e8, so a float accumulator would return 1 */
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(4), V(1e8, 1, -1e8, 1));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 0, false, FEDC_SHAPE0, V(2));
    expect_reduce(ctx, FEDC_REDUCE_OP_MEAN, &a, 0, false, FEDC_SHAPE0, V(0.5));
    fedc_tensor_free(&a);
}

TEST(integer_sums_wrap_in_the_output_type) {
    fedc_tensor a = tt_make(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(3), V(INT32_MAX, 1, -1));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 0, false, FEDC_SHAPE0, V(INT32_MAX));
    fedc_tensor b = tt_make(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(2), V(INT32_MAX, 1));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &b, 0, false, FEDC_SHAPE0, V(INT32_MIN));
    fedc_tensor u = tt_make(ctx, FEDC_DTYPE_UINT8, FEDC_SHAPE(2), V(200, 100));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &u, 0, false, FEDC_SHAPE0, V(44));
    expect_reduce(ctx, FEDC_REDUCE_OP_MAX, &u, 0, false, FEDC_SHAPE0, V(200));
    fedc_tensor l = tt_make(ctx, FEDC_DTYPE_INT64, FEDC_SHAPE(3), V(-5, 1e15, 7));
    expect_reduce(ctx, FEDC_REDUCE_OP_MIN, &l, 0, false, FEDC_SHAPE0, V(-5));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &l, 0, false, FEDC_SHAPE0, V(1e15 + 2));
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&u);
    fedc_tensor_free(&l);
}

TEST(reduce_scalars_and_size_one_axes) {
    fedc_tensor s = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE0, V(-3));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &s, 0, false, FEDC_SHAPE0, V(-3));
    expect_reduce(ctx, FEDC_REDUCE_OP_MAX, &s, 0, true, FEDC_SHAPE0, V(-3));
    fedc_tensor c = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3, 1), V(1, 2, 3));
    expect_reduce(ctx, FEDC_REDUCE_OP_MEAN, &c, 2, true, FEDC_SHAPE(3, 1), V(1, 2, 3));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &c, 1, false, FEDC_SHAPE(1), V(6));
    fedc_tensor_free(&s);
    fedc_tensor_free(&c);
}

TEST(reduce_empty_axes_and_nan) {
    fedc_tensor e = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(3, 0));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &e, 2, false, FEDC_SHAPE(3), V(0, 0, 0));
    expect_reduce(ctx, FEDC_REDUCE_OP_MEAN, &e, 2, false, FEDC_SHAPE(3), V(NAN, NAN, NAN));
    fedc_tensor out = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(3));
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_MAX, &e, 2, false, &out),
                  FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "max");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[3,0]");
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_MIN, &e, 0, false, &out),
                  FEDC_STATUS_SHAPE); /* out must be a scalar here */
    fedc_tensor s = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE0);
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_MIN, &e, 0, false, &s),
                  FEDC_STATUS_OUT_OF_RANGE);
    /* no output elements, so no empty reduction happens */
    fedc_tensor e2 = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(0, 3));
    fedc_tensor o2 = tt_zeros(ctx, FEDC_DTYPE_FLOAT64, FEDC_SHAPE(0));
    ASSERT_OK(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_MAX, &e2, 2, false, &o2));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &e2, 1, false, FEDC_SHAPE(3), V(0, 0, 0));

    fedc_tensor n = tt_make(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3), V(1, NAN, 3, NAN, 5, 6));
    expect_reduce(ctx, FEDC_REDUCE_OP_MAX, &n, 2, false, FEDC_SHAPE(2), V(NAN, NAN));
    expect_reduce(ctx, FEDC_REDUCE_OP_MIN, &n, 1, false, FEDC_SHAPE(3), V(NAN, NAN, 3));
    expect_reduce(ctx, FEDC_REDUCE_OP_SUM, &n, 1, false, FEDC_SHAPE(3), V(NAN, NAN, 9));
    fedc_tensor_free(&e);
    fedc_tensor_free(&out);
    fedc_tensor_free(&s);
    fedc_tensor_free(&e2);
    fedc_tensor_free(&o2);
    fedc_tensor_free(&n);
}

TEST(reduce_errors) {
    fedc_tensor a = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2, 3));
    fedc_tensor out3 = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(3));
    fedc_tensor out2 = tt_zeros(ctx, FEDC_DTYPE_FLOAT32, FEDC_SHAPE(2));
    fedc_tensor i3 = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(3));
    fedc_tensor ia = tt_zeros(ctx, FEDC_DTYPE_INT32, FEDC_SHAPE(2, 3));
    fedc_tensor ba = tt_zeros(ctx, FEDC_DTYPE_BOOL, FEDC_SHAPE(2, 3));
    fedc_tensor b3 = tt_zeros(ctx, FEDC_DTYPE_BOOL, FEDC_SHAPE(3));
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 4, false, &out3),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "0x4");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,3]");
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 1, false, &out2),
                  FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "sum");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "expected [3]");
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 1, true, &out3),
                  FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "expected [1,3]");
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_SUM, &a, 1, false, &i3), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "int32");
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_MEAN, &ia, 1, false, &i3),
                  FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "mean");
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_SUM, &ba, 1, false, &b3),
                  FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "bool");
    ASSERT_STATUS(fedc_tensor_reduce(ctx, FEDC_REDUCE_OP_COUNT, &a, 1, false, &out3),
                  FEDC_STATUS_INVALID_ARGUMENT);
    fedc_tensor_free(&a);
    fedc_tensor_free(&out3);
    fedc_tensor_free(&out2);
    fedc_tensor_free(&i3);
    fedc_tensor_free(&ia);
    fedc_tensor_free(&ba);
    fedc_tensor_free(&b3);
}

/* ---- twin tests -------------------------------------------------------------------------- */

/* One random case: op over a random mask of a random (often contiguous) input, into keepdims
 * outputs of a random layout; integers and max/min must match to the bit, float sums within
 * 1e-6 relative. */
static void twin_case(fedc_ctx *ctx, fedc_rng *rng, fedc_reduce_op op, fedc_dtype dtype, int iter) {
    int rank = (int)fedc_rng_below(rng, 5);
    fedc_shape shape = tt_random_shape(rng, rank, 20000);
    uint32_t mask = (uint32_t)fedc_rng_below(rng, (uint64_t)1 << rank);
    fedc_shape kshape = shape;
    int64_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (mask == 0 || (mask >> i & 1)) {
            count *= shape.dims[i];
            kshape.dims[i] = 1;
        }
    }
    bool minmax = op == FEDC_REDUCE_OP_MAX || op == FEDC_REDUCE_OP_MIN;
    if (minmax && count == 0 && fedc_shape_numel(&kshape) > 0) return; /* an error case */
    /* contiguous layouts half the time, so the optimized fast paths run */
    int la = fedc_rng_below(rng, 2) ? 0 : (int)fedc_rng_below(rng, 4);
    int lo = fedc_rng_below(rng, 2) ? 0 : (int)fedc_rng_below(rng, 4);
    fedc_tensor oa, oref, oopt;
    fedc_tensor a = random_view(ctx, rng, dtype, &shape, la, minmax, &oa);
    fedc_tensor out_ref = random_view(ctx, rng, dtype, &kshape, lo, false, &oref);
    ASSERT_OK(fedc_tensor_clone(ctx, &oref, &oopt));
    fedc_tensor out_opt = tt_rebase(&out_ref, &oref, &oopt);
    fedc__ref_reduce(op, &a, mask, &out_ref);
    fedc__opt_reduce(op, &a, mask, &out_opt);
    bool exact = !fedc_dtype_is_float(dtype) || minmax;
    if (exact && memcmp(oopt.data, oref.data, fedc_tensor_nbytes(&oref)) != 0) {
        ASSERT_TENSOR_NEAR(&oopt, &oref, 0);
        FAIL("%s %s iteration %d: bytes differ", fedc_reduce_op_name(op), fedc_dtype_name(dtype),
             iter);
    }
    ASSERT_TENSOR_NEAR(&oopt, &oref, exact ? 0 : 1e-6);
    fedc_tensor_free(&oa);
    fedc_tensor_free(&oref);
    fedc_tensor_free(&oopt);
}

TEST(twin_reduce_for_every_op_and_dtype) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 7, FEDC_RNG_PURPOSE_TEST);
    for (int d = 0; d < FEDC_DTYPE_BOOL; d++) {
        for (int o = 0; o < FEDC_REDUCE_OP_COUNT; o++) {
            if (o == FEDC_REDUCE_OP_MEAN && !fedc_dtype_is_float((fedc_dtype)d)) continue;
            for (int iter = 0; iter < 40; iter++)
                twin_case(ctx, &rng, (fedc_reduce_op)o, (fedc_dtype)d, iter);
        }
    }
}

TEST(twin_reduce_fast_path_layouts) {
    /* the layouts the optimized kernel special-cases, at sizes around its blocks */
    static const struct {
        fedc_shape shape;
        uint32_t mask;
    } cases[] = {
        {{2, {129, 300}}, 2},    /* rows */
        {{2, {300, 129}}, 1},    /* columns, more than one block of 256 */
        {{3, {5, 7, 513}}, 2},   /* kept, reduced, kept */
        {{3, {3, 17, 33}}, 6},   /* rows over two axes */
        {{4, {3, 1, 17, 5}}, 5}, /* reduced, size 1, kept, reduced: mixed */
        {{2, {1, 1000}}, 0},     /* everything */
    };
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 8, FEDC_RNG_PURPOSE_TEST);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int d = 0; d < FEDC_DTYPE_BOOL; d++) {
            for (int o = 0; o < FEDC_REDUCE_OP_COUNT; o++) {
                fedc_dtype dtype = (fedc_dtype)d;
                fedc_reduce_op op = (fedc_reduce_op)o;
                if (op == FEDC_REDUCE_OP_MEAN && !fedc_dtype_is_float(dtype)) continue;
                fedc_shape shape = cases[c].shape, kshape = shape;
                for (int i = 0; i < shape.rank; i++)
                    if (cases[c].mask == 0 || (cases[c].mask >> i & 1)) kshape.dims[i] = 1;
                fedc_tensor a, ref = tt_zeros(ctx, dtype, kshape);
                fedc_tensor opt = tt_zeros(ctx, dtype, kshape);
                ASSERT_OK(fedc_tensor_alloc(ctx, &a, dtype, &shape));
                fill_random(&a, &rng, false);
                fedc__ref_reduce(op, &a, cases[c].mask, &ref);
                fedc__opt_reduce(op, &a, cases[c].mask, &opt);
                bool exact = !fedc_dtype_is_float(dtype) || op >= FEDC_REDUCE_OP_MAX || c == 1 ||
                             c == 2; /* the column path keeps the reference order */
                if (exact && memcmp(opt.data, ref.data, fedc_tensor_nbytes(&ref)) != 0)
                    FAIL("case %zu %s %s: bytes differ", c, fedc_reduce_op_name(op),
                         fedc_dtype_name(dtype));
                ASSERT_TENSOR_NEAR(&opt, &ref, exact ? 0 : 1e-6);
                fedc_tensor_free(&a);
                fedc_tensor_free(&ref);
                fedc_tensor_free(&opt);
            }
        }
    }
}
