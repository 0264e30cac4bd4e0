/* test_tensor.c — dtypes, tensors and views: allocation (with an allocation-failure sweep),
 * element access, fill, slice/select/reshape/permute/expand and their errors, clone, copy and
 * cast, plus the copy and transpose kernels' opt-vs-ref twin tests on random layouts.
 * Known answers are small and hand-computed; random inputs come from the keyed test RNG. */
#include <math.h>
#include <string.h>

#include "harness/harness.h"
#include "tensor/kernels/kernels.h"
#include "tensor/tensor_testutil.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* A contiguous float32 tensor holding 0, 1, 2, ... in row-major order. */
static fedc_tensor iota_f32(fedc_ctx *ctx, fedc_shape shape) {
    return tt_iota(ctx, FEDC_DTYPE_FLOAT32, shape);
}

static void fill_random(fedc_tensor *t, fedc_rng *rng) {
    for (int64_t i = 0; i < fedc_tensor_numel(t); i++) {
        double v;
        switch (t->dtype) {
        case FEDC_DTYPE_FLOAT32:
        case FEDC_DTYPE_FLOAT64: v = 3 * fedc_rng_normal(rng); break;
        case FEDC_DTYPE_UINT8: v = (double)fedc_rng_below(rng, 256); break;
        case FEDC_DTYPE_BOOL: v = (double)fedc_rng_below(rng, 2); break;
        default: v = (double)fedc_rng_below(rng, 2001) - 1000; break;
        }
        fedc_tensor_set_flat(t, i, v);
    }
}

/* A view of `shape` into a fresh *owner filled by fill_random (tt_random_view). */
static fedc_tensor random_view(fedc_ctx *ctx, fedc_rng *rng, fedc_dtype dtype,
                               const fedc_shape *shape, int layout, fedc_tensor *owner) {
    return tt_random_view(ctx, rng, dtype, shape, layout, fill_random, owner);
}

/* ---- dtypes ------------------------------------------------------------------------------ */

TEST(dtype_sizes_names_and_parse) {
    static const struct {
        fedc_dtype dtype;
        const char *name;
        size_t size;
        bool is_float;
    } table[] = {
        {FEDC_DTYPE_FLOAT32, "float32", 4, true}, {FEDC_DTYPE_FLOAT64, "float64", 8, true},
        {FEDC_DTYPE_INT32, "int32", 4, false},    {FEDC_DTYPE_INT64, "int64", 8, false},
        {FEDC_DTYPE_UINT8, "uint8", 1, false},    {FEDC_DTYPE_BOOL, "bool", 1, false},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        ASSERT_EQ(fedc_dtype_size(table[i].dtype), table[i].size);
        ASSERT_STREQ(fedc_dtype_name(table[i].dtype), table[i].name);
        ASSERT_EQ(fedc_dtype_is_float(table[i].dtype), table[i].is_float);
        fedc_dtype parsed = FEDC_DTYPE_COUNT;
        ASSERT_TRUE(fedc_dtype_parse(table[i].name, &parsed));
        ASSERT_EQ(parsed, table[i].dtype);
    }
    fedc_dtype untouched = FEDC_DTYPE_INT64;
    ASSERT_FALSE(fedc_dtype_parse("float16", &untouched));
    ASSERT_EQ(untouched, FEDC_DTYPE_INT64);
    ASSERT_EQ(fedc_dtype_size(FEDC_DTYPE_COUNT), 0u);
    ASSERT_STREQ(fedc_dtype_name((fedc_dtype)-1), "invalid");
}

/* ---- allocation and element access ------------------------------------------------------- */

TEST(alloc_is_zeroed_contiguous_and_owned) {
    fedc_tensor t;
    fedc_shape shape = FEDC_SHAPE(2, 3, 4);
    ASSERT_OK(fedc_tensor_alloc(ctx, &t, FEDC_DTYPE_INT32, &shape));
    ASSERT_NOT_NULL(t.owned);
    ASSERT_PTR_EQ(t.owned, t.data);
    ASSERT_EQ(t.strides[0], 12);
    ASSERT_EQ(t.strides[1], 4);
    ASSERT_EQ(t.strides[2], 1);
    ASSERT_EQ(fedc_tensor_numel(&t), 24);
    ASSERT_EQ(fedc_tensor_nbytes(&t), 96u);
    ASSERT_TRUE(fedc_tensor_is_contiguous(&t));
    for (int64_t i = 0; i < 24; i++)
        ASSERT_EQ(fedc_tensor_get_flat(&t, i), 0.0);
    fedc_tensor_free(&t);
    ASSERT_NULL(t.owned);
    ASSERT_NULL(t.data);
    fedc_tensor_free(&t); /* freeing an emptied tensor is harmless */
    fedc_tensor_free(NULL);
}

TEST(alloc_uninit_is_contiguous_owned_and_checked_like_alloc) {
    fedc_tensor t;
    fedc_shape shape = FEDC_SHAPE(5, 7);
    ASSERT_OK(fedc_tensor_alloc_uninit(ctx, &t, FEDC_DTYPE_FLOAT64, &shape));
    ASSERT_PTR_EQ(t.owned, t.data);
    ASSERT_EQ(t.strides[0], 7);
    ASSERT_TRUE(fedc_tensor_is_contiguous(&t));
    double *d = t.data;
    for (int64_t i = 0; i < 35; i++) /* writable whole */
        d[i] = (double)i;
    ASSERT_EQ(fedc_tensor_get_flat(&t, 34), 34.0);
    fedc_tensor_free(&t);
    fedc_shape bad = FEDC_SHAPE(2, -1);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT,
                  fedc_tensor_alloc_uninit(ctx, &t, FEDC_DTYPE_FLOAT32, &bad));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "dimension 1 is negative");
    ASSERT_NULL(t.data);
}

TEST(alloc_scalar_and_empty) {
    fedc_tensor s, e;
    fedc_shape scalar = FEDC_SHAPE0, empty = FEDC_SHAPE(3, 0);
    ASSERT_OK(fedc_tensor_alloc(ctx, &s, FEDC_DTYPE_FLOAT64, &scalar));
    ASSERT_EQ(fedc_tensor_numel(&s), 1);
    ASSERT_EQ(fedc_tensor_get(&s, NULL), 0.0);
    fedc_tensor_set(&s, NULL, 2.5);
    ASSERT_EQ(fedc_tensor_get_flat(&s, 0), 2.5);
    ASSERT_OK(fedc_tensor_alloc(ctx, &e, FEDC_DTYPE_UINT8, &empty));
    ASSERT_EQ(fedc_tensor_numel(&e), 0);
    ASSERT_EQ(fedc_tensor_nbytes(&e), 0u);
    ASSERT_TRUE(fedc_tensor_is_contiguous(&e));
    fedc_tensor_free(&s);
    fedc_tensor_free(&e);
}

TEST(alloc_rejects_bad_arguments_and_leaves_an_empty_tensor) {
    fedc_tensor t;
    fedc_shape ok = FEDC_SHAPE(2), neg = FEDC_SHAPE(2, -1);
    ASSERT_STATUS(fedc_tensor_alloc(ctx, &t, FEDC_DTYPE_COUNT, &ok), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_NULL(t.owned);
    fedc_tensor_free(&t);
    ASSERT_STATUS(fedc_tensor_alloc(ctx, &t, FEDC_DTYPE_FLOAT32, &neg),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "negative");
    fedc_shape huge = FEDC_SHAPE(INT64_C(1) << 40, INT64_C(1) << 20);
    ASSERT_STATUS(fedc_tensor_alloc(ctx, &t, FEDC_DTYPE_FLOAT32, &huge), FEDC_STATUS_OUT_OF_MEMORY);
    ASSERT_NULL(t.owned);
    fedc_tensor_free(&t);
}

typedef struct sweep_arg {
    const fedc_tensor *src;
    fedc_tensor out;
} sweep_arg;

static fedc_status sweep_alloc(fedc_ctx *ctx, void *arg) {
    sweep_arg *a = arg;
    fedc_shape shape = FEDC_SHAPE(17, 33);
    return fedc_tensor_alloc(ctx, &a->out, FEDC_DTYPE_FLOAT64, &shape);
}

static fedc_status sweep_clone(fedc_ctx *ctx, void *arg) {
    sweep_arg *a = arg;
    return fedc_tensor_clone(ctx, a->src, &a->out);
}

static void sweep_free(void *arg) { fedc_tensor_free(&((sweep_arg *)arg)->out); }

TEST(alloc_and_clone_survive_allocation_failures) {
    sweep_arg arg = {0};
    ASSERT_EQ(fedc_test_alloc_sweep(ctx, sweep_alloc, sweep_free, &arg), 1);
    fedc_tensor src = iota_f32(ctx, FEDC_SHAPE(3, 5)), srct;
    ASSERT_OK(fedc_tensor_permute(ctx, &src, (const int[]){1, 0}, &srct));
    arg.src = &srct;
    ASSERT_EQ(fedc_test_alloc_sweep(ctx, sweep_clone, sweep_free, &arg), 1);
    /* a failed clone reports what it was allocating and leaves an empty tensor */
    fedc_test_alloc_begin(1, true);
    fedc_status st = fedc_tensor_clone(ctx, &srct, &arg.out);
    fedc_test_alloc_end();
    ASSERT_EQ(st, FEDC_STATUS_OUT_OF_MEMORY);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "clone");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[5,3]");
    ASSERT_NULL(arg.out.owned);
    fedc_tensor_free(&src);
}

TEST(view_wraps_caller_memory) {
    int64_t data[6] = {1, 2, 3, 4, 5, 6};
    fedc_shape shape = FEDC_SHAPE(3, 2);
    fedc_tensor v = fedc_tensor_view(FEDC_DTYPE_INT64, &shape, data);
    ASSERT_NULL(v.owned);
    ASSERT_TRUE(fedc_tensor_is_contiguous(&v));
    ASSERT_EQ(fedc_tensor_get(&v, (const int64_t[]){2, 1}), 6.0);
    fedc_tensor_set(&v, (const int64_t[]){1, 0}, -7);
    ASSERT_EQ(data[2], -7);
    fedc_tensor_free(&v); /* a view: nothing is freed */
    ASSERT_EQ(data[0], 1);
}

TEST(get_set_convert_per_dtype) {
    fedc_shape shape = FEDC_SHAPE(2);
    for (int d = 0; d < FEDC_DTYPE_COUNT; d++) {
        fedc_tensor t;
        ASSERT_OK(fedc_tensor_alloc(ctx, &t, (fedc_dtype)d, &shape));
        fedc_tensor_set_flat(&t, 0, 7.75);
        fedc_tensor_set_flat(&t, 1, 0.0);
        double want = d == FEDC_DTYPE_BOOL ? 1.0 : fedc_dtype_is_float((fedc_dtype)d) ? 7.75 : 7.0;
        ASSERT_EQ(fedc_tensor_get_flat(&t, 0), want);
        ASSERT_EQ(fedc_tensor_get_flat(&t, 1), 0.0);
        fedc_tensor_free(&t);
    }
}

TEST(fill_sets_every_element_of_views_only) {
    for (int d = 0; d < FEDC_DTYPE_COUNT; d++) {
        fedc_tensor t, col;
        fedc_shape shape = FEDC_SHAPE(3, 4);
        ASSERT_OK(fedc_tensor_alloc(ctx, &t, (fedc_dtype)d, &shape));
        fedc_tensor_fill(&t, 2);
        double two = d == FEDC_DTYPE_BOOL ? 1.0 : 2.0; /* bool stores value != 0 */
        for (int64_t i = 0; i < 12; i++)
            ASSERT_EQ(fedc_tensor_get_flat(&t, i), two);
        ASSERT_OK(fedc_tensor_select(ctx, &t, 1, 2, &col)); /* strided column */
        fedc_tensor_fill(&col, 0);
        for (int64_t r = 0; r < 3; r++)
            for (int64_t c = 0; c < 4; c++)
                ASSERT_EQ(fedc_tensor_get(&t, (const int64_t[]){r, c}), c == 2 ? 0.0 : two);
        fedc_tensor_free(&t);
    }
}

/* ---- views ------------------------------------------------------------------------------- */

TEST(slice_restricts_one_axis) {
    fedc_tensor t = iota_f32(ctx, FEDC_SHAPE(4, 5)), s;
    ASSERT_OK(fedc_tensor_slice(ctx, &t, 1, 1, 4, &s));
    ASSERT_EQ(s.shape.rank, 2);
    ASSERT_EQ(s.shape.dims[0], 4);
    ASSERT_EQ(s.shape.dims[1], 3);
    ASSERT_NULL(s.owned);
    ASSERT_FALSE(fedc_tensor_is_contiguous(&s));
    ASSERT_EQ(fedc_tensor_get(&s, (const int64_t[]){2, 0}), 11.0);
    ASSERT_EQ(fedc_tensor_get(&s, (const int64_t[]){3, 2}), 18.0);
    /* negative axis, and out == t */
    ASSERT_OK(fedc_tensor_slice(ctx, &s, -2, 2, 4, &s));
    ASSERT_EQ(s.shape.dims[0], 2);
    ASSERT_EQ(fedc_tensor_get_flat(&s, 0), 11.0);
    ASSERT_EQ(fedc_tensor_get_flat(&s, 5), 18.0);
    /* rows of a contiguous tensor stay contiguous; an empty slice is fine */
    ASSERT_OK(fedc_tensor_slice(ctx, &t, 0, 1, 3, &s));
    ASSERT_TRUE(fedc_tensor_is_contiguous(&s));
    ASSERT_OK(fedc_tensor_slice(ctx, &t, 1, 5, 5, &s));
    ASSERT_EQ(fedc_tensor_numel(&s), 0);
    fedc_tensor_free(&t);
}

TEST(slice_errors_name_axis_and_bounds) {
    fedc_tensor t = iota_f32(ctx, FEDC_SHAPE(4, 5)), s;
    ASSERT_STATUS(fedc_tensor_slice(ctx, &t, 2, 0, 1, &s), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "axis 2");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[-2, 2)");
    ASSERT_STATUS(fedc_tensor_slice(ctx, &t, -3, 0, 1, &s), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_tensor_slice(ctx, &t, 1, 2, 6, &s), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2, 6)");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[4,5]");
    ASSERT_STATUS(fedc_tensor_slice(ctx, &t, 0, 3, 2, &s), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_STATUS(fedc_tensor_slice(ctx, &t, 0, -1, 2, &s), FEDC_STATUS_OUT_OF_RANGE);
    fedc_tensor scalar = iota_f32(ctx, FEDC_SHAPE0);
    ASSERT_STATUS(fedc_tensor_slice(ctx, &scalar, 0, 0, 1, &s), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_tensor_free(&t);
    fedc_tensor_free(&scalar);
}

TEST(select_removes_the_axis) {
    fedc_tensor t = iota_f32(ctx, FEDC_SHAPE(2, 3, 4)), s;
    ASSERT_OK(fedc_tensor_select(ctx, &t, 1, 2, &s));
    ASSERT_EQ(s.shape.rank, 2);
    ASSERT_EQ(s.shape.dims[0], 2);
    ASSERT_EQ(s.shape.dims[1], 4);
    ASSERT_EQ(fedc_tensor_get(&s, (const int64_t[]){1, 3}), 23.0); /* t[1,2,3] */
    ASSERT_OK(fedc_tensor_select(ctx, &s, -1, 0, &s));
    ASSERT_EQ(s.shape.rank, 1);
    ASSERT_EQ(fedc_tensor_get_flat(&s, 1), 20.0);
    ASSERT_OK(fedc_tensor_select(ctx, &s, 0, 1, &s));
    ASSERT_EQ(s.shape.rank, 0);
    ASSERT_EQ(fedc_tensor_get(&s, NULL), 20.0);
    ASSERT_STATUS(fedc_tensor_select(ctx, &s, 0, 0, &s), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_tensor_select(ctx, &t, 0, 2, &s), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "index 2");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[0, 2)");
    ASSERT_STATUS(fedc_tensor_select(ctx, &t, 0, -1, &s), FEDC_STATUS_OUT_OF_RANGE);
    fedc_tensor_free(&t);
}

TEST(reshape_infers_and_checks_sizes) {
    fedc_tensor t = iota_f32(ctx, FEDC_SHAPE(2, 3, 4)), r;
    fedc_shape s1 = FEDC_SHAPE(4, -1);
    ASSERT_OK(fedc_tensor_reshape(ctx, &t, &s1, &r));
    ASSERT_EQ(r.shape.dims[1], 6);
    ASSERT_EQ(r.strides[0], 6);
    ASSERT_EQ(fedc_tensor_get(&r, (const int64_t[]){3, 5}), 23.0);
    fedc_shape flat = FEDC_SHAPE(-1);
    ASSERT_OK(fedc_tensor_reshape(ctx, &r, &flat, &r));
    ASSERT_EQ(r.shape.rank, 1);
    ASSERT_EQ(r.shape.dims[0], 24);
    fedc_tensor one = iota_f32(ctx, FEDC_SHAPE(1, 1)), sc;
    fedc_shape scalar = FEDC_SHAPE0;
    ASSERT_OK(fedc_tensor_reshape(ctx, &one, &scalar, &sc));
    ASSERT_EQ(sc.shape.rank, 0);

    fedc_shape two = FEDC_SHAPE(-1, -1), neg = FEDC_SHAPE(-2, 12), bad = FEDC_SHAPE(5, 5);
    fedc_shape noninf = FEDC_SHAPE(5, -1);
    ASSERT_STATUS(fedc_tensor_reshape(ctx, &t, &two, &r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_tensor_reshape(ctx, &t, &neg, &r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_tensor_reshape(ctx, &t, &bad, &r), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,3,4]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[5,5]");
    ASSERT_STATUS(fedc_tensor_reshape(ctx, &t, &noninf, &r), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[5,-1]");

    /* a transposed view would need a copy */
    fedc_tensor tt;
    ASSERT_OK(fedc_tensor_permute(ctx, &t, (const int[]){2, 1, 0}, &tt));
    fedc_shape same = FEDC_SHAPE(24);
    ASSERT_STATUS(fedc_tensor_reshape(ctx, &tt, &same, &r), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "contiguous");

    /* empty tensors: sizes must match, and a -1 next to a 0 cannot be inferred */
    fedc_tensor e;
    fedc_shape es = FEDC_SHAPE(0, 3), e2 = FEDC_SHAPE(3, 0, 2), e3 = FEDC_SHAPE(0, -1);
    ASSERT_OK(fedc_tensor_alloc(ctx, &e, FEDC_DTYPE_FLOAT32, &es));
    ASSERT_OK(fedc_tensor_reshape(ctx, &e, &e2, &r));
    ASSERT_EQ(r.shape.rank, 3);
    ASSERT_STATUS(fedc_tensor_reshape(ctx, &e, &e3, &r), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_tensor_free(&e);
    fedc_tensor_free(&t);
    fedc_tensor_free(&one);
}

TEST(permute_reorders_strides) {
    fedc_tensor t = iota_f32(ctx, FEDC_SHAPE(2, 3, 4)), p;
    ASSERT_OK(fedc_tensor_permute(ctx, &t, (const int[]){2, 0, 1}, &p));
    ASSERT_EQ(p.shape.dims[0], 4);
    ASSERT_EQ(p.shape.dims[1], 2);
    ASSERT_EQ(p.shape.dims[2], 3);
    ASSERT_EQ(p.strides[0], 1);
    ASSERT_EQ(p.strides[1], 12);
    ASSERT_EQ(p.strides[2], 4);
    ASSERT_EQ(fedc_tensor_get(&p, (const int64_t[]){3, 1, 2}), 23.0);
    ASSERT_EQ(fedc_tensor_get(&p, (const int64_t[]){1, 0, 2}), 9.0);
    ASSERT_FALSE(fedc_tensor_is_contiguous(&p));
    ASSERT_STATUS(fedc_tensor_permute(ctx, &t, (const int[]){0, 0, 1}, &p),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "(0,0,1)");
    ASSERT_STATUS(fedc_tensor_permute(ctx, &t, (const int[]){0, 1, 3}, &p),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_tensor_permute(ctx, &t, (const int[]){-1, 0, 1}, &p),
                  FEDC_STATUS_INVALID_ARGUMENT);
    fedc_tensor_free(&t);
}

TEST(expand_broadcasts_with_stride_zero) {
    fedc_tensor row = iota_f32(ctx, FEDC_SHAPE(3)), col = iota_f32(ctx, FEDC_SHAPE(2, 1)), e;
    fedc_shape s23 = FEDC_SHAPE(2, 3), s24 = FEDC_SHAPE(2, 4), s4 = FEDC_SHAPE(4);
    ASSERT_OK(fedc_tensor_expand(ctx, &row, &s23, &e));
    ASSERT_EQ(e.strides[0], 0);
    ASSERT_EQ(e.strides[1], 1);
    ASSERT_EQ(fedc_tensor_get(&e, (const int64_t[]){1, 2}), 2.0);
    ASSERT_OK(fedc_tensor_expand(ctx, &col, &s24, &e));
    ASSERT_EQ(e.strides[1], 0);
    ASSERT_EQ(fedc_tensor_get(&e, (const int64_t[]){1, 3}), 1.0);
    ASSERT_EQ(fedc_tensor_get(&e, (const int64_t[]){0, 3}), 0.0);
    fedc_tensor scalar = iota_f32(ctx, FEDC_SHAPE0);
    ASSERT_OK(fedc_tensor_expand(ctx, &scalar, &s24, &e));
    ASSERT_EQ(fedc_tensor_numel(&e), 8);

    ASSERT_STATUS(fedc_tensor_expand(ctx, &row, &s24, &e), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[3]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,4]");
    ASSERT_STATUS(fedc_tensor_expand(ctx, &col, &s4, &e), FEDC_STATUS_SHAPE);
    fedc_shape neg = FEDC_SHAPE(-1, 3);
    ASSERT_STATUS(fedc_tensor_expand(ctx, &row, &neg, &e), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_tensor_free(&row);
    fedc_tensor_free(&col);
    fedc_tensor_free(&scalar);
}

/* ---- clone, copy, cast ------------------------------------------------------------------- */

TEST(clone_materializes_transposed_and_broadcast_views) {
    fedc_tensor t = iota_f32(ctx, FEDC_SHAPE(2, 3)), tt, c;
    ASSERT_OK(fedc_tensor_permute(ctx, &t, (const int[]){1, 0}, &tt));
    ASSERT_OK(fedc_tensor_clone(ctx, &tt, &c));
    ASSERT_NOT_NULL(c.owned);
    ASSERT_TRUE(fedc_tensor_is_contiguous(&c));
    const float want[6] = {0, 3, 1, 4, 2, 5};
    ASSERT_FLOATS_NEAR((const float *)c.data, want, 6, 0);
    fedc_tensor_free(&c);

    fedc_tensor row = iota_f32(ctx, FEDC_SHAPE(3)), e;
    fedc_shape s23 = FEDC_SHAPE(2, 3);
    ASSERT_OK(fedc_tensor_expand(ctx, &row, &s23, &e));
    ASSERT_OK(fedc_tensor_clone(ctx, &e, &c));
    const float want2[6] = {0, 1, 2, 0, 1, 2};
    ASSERT_FLOATS_NEAR((const float *)c.data, want2, 6, 0);
    fedc_tensor_free(&c);
    fedc_tensor_free(&row);
    fedc_tensor_free(&t);
}

TEST(copy_writes_through_a_transposed_destination) {
    fedc_tensor src = iota_f32(ctx, FEDC_SHAPE(3, 2)), dst, dt;
    fedc_shape s23 = FEDC_SHAPE(2, 3);
    ASSERT_OK(fedc_tensor_alloc(ctx, &dst, FEDC_DTYPE_FLOAT32, &s23));
    ASSERT_OK(fedc_tensor_permute(ctx, &dst, (const int[]){1, 0}, &dt));
    ASSERT_OK(fedc_tensor_copy(ctx, &dt, &src));
    const float want[6] = {0, 2, 4, 1, 3, 5};
    ASSERT_FLOATS_NEAR((const float *)dst.data, want, 6, 0);
    fedc_tensor_free(&src);
    fedc_tensor_free(&dst);
}

TEST(copy_errors) {
    fedc_tensor a = iota_f32(ctx, FEDC_SHAPE(2, 3)), b, i32;
    fedc_shape s32 = FEDC_SHAPE(3, 2), s23 = FEDC_SHAPE(2, 3);
    ASSERT_OK(fedc_tensor_alloc(ctx, &b, FEDC_DTYPE_FLOAT32, &s32));
    ASSERT_OK(fedc_tensor_alloc(ctx, &i32, FEDC_DTYPE_INT32, &s23));
    ASSERT_STATUS(fedc_tensor_copy(ctx, &b, &a), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[3,2]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,3]");
    ASSERT_STATUS(fedc_tensor_copy(ctx, &i32, &a), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "int32");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "float32");
    ASSERT_STATUS(fedc_tensor_cast(ctx, &b, &a), FEDC_STATUS_SHAPE);
    /* a broadcast view is not a destination */
    fedc_tensor row = iota_f32(ctx, FEDC_SHAPE(3)), e;
    ASSERT_OK(fedc_tensor_expand(ctx, &row, &s23, &e));
    ASSERT_STATUS(fedc_tensor_copy(ctx, &e, &a), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "broadcast");
    fedc_tensor_free(&a);
    fedc_tensor_free(&b);
    fedc_tensor_free(&i32);
    fedc_tensor_free(&row);
}

TEST(cast_converts_between_all_dtype_pairs) {
    static const double values[4] = {0, 1, 3, 100};
    fedc_shape shape = FEDC_SHAPE(4);
    for (int s = 0; s < FEDC_DTYPE_COUNT; s++) {
        for (int d = 0; d < FEDC_DTYPE_COUNT; d++) {
            fedc_tensor src, dst;
            ASSERT_OK(fedc_tensor_alloc(ctx, &src, (fedc_dtype)s, &shape));
            ASSERT_OK(fedc_tensor_alloc(ctx, &dst, (fedc_dtype)d, &shape));
            fedc_tensor_fill(&dst, 42);
            for (int64_t i = 0; i < 4; i++)
                fedc_tensor_set_flat(&src, i, values[i]);
            ASSERT_OK(fedc_tensor_cast(ctx, &dst, &src));
            for (int64_t i = 0; i < 4; i++) {
                bool any_bool = s == FEDC_DTYPE_BOOL || d == FEDC_DTYPE_BOOL;
                double want = any_bool ? (values[i] != 0) : values[i];
                if (fedc_tensor_get_flat(&dst, i) != want)
                    FAIL("cast %s -> %s: element %lld is %g, expected %g",
                         fedc_dtype_name((fedc_dtype)s), fedc_dtype_name((fedc_dtype)d),
                         (long long)i, fedc_tensor_get_flat(&dst, i), want);
            }
            fedc_tensor_free(&src);
            fedc_tensor_free(&dst);
        }
    }
}

TEST(cast_uses_c_conversions) {
    float f[5] = {-2.75f, 2.75f, 0.5f, -0.0f, NAN};
    fedc_shape s5 = FEDC_SHAPE(5), s4 = FEDC_SHAPE(4);
    fedc_tensor tf = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s5, f);
    int32_t i32[4];
    fedc_tensor ti = fedc_tensor_view(FEDC_DTYPE_INT32, &s4, i32);
    fedc_tensor tf4 = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s4, f);
    ASSERT_OK(fedc_tensor_cast(ctx, &ti, &tf4)); /* truncation toward zero */
    ASSERT_EQ(i32[0], -2);
    ASSERT_EQ(i32[1], 2);
    ASSERT_EQ(i32[2], 0);
    ASSERT_EQ(i32[3], 0);
    uint8_t b[5];
    fedc_tensor tb = fedc_tensor_view(FEDC_DTYPE_BOOL, &s5, b);
    ASSERT_OK(fedc_tensor_cast(ctx, &tb, &tf)); /* != 0, so NaN is true and -0 false */
    const uint8_t want_b[5] = {1, 1, 1, 0, 1};
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(b[i], want_b[i]);

    /* int64 values beyond 2^53 are converted exactly, not through double */
    int64_t big[2] = {(INT64_C(1) << 53) + 1, -1};
    uint8_t u[2];
    fedc_shape s2 = FEDC_SHAPE(2);
    fedc_tensor tbig = fedc_tensor_view(FEDC_DTYPE_INT64, &s2, big);
    fedc_tensor tu = fedc_tensor_view(FEDC_DTYPE_UINT8, &s2, u);
    ASSERT_OK(fedc_tensor_cast(ctx, &tu, &tbig));
    ASSERT_EQ(u[0], 1);
    ASSERT_EQ(u[1], 255);
    int64_t back[2];
    fedc_tensor tback = fedc_tensor_view(FEDC_DTYPE_INT64, &s2, back);
    ASSERT_OK(fedc_tensor_cast(ctx, &tback, &tbig));
    ASSERT_EQ(back[0], (INT64_C(1) << 53) + 1);

    /* a strided source */
    fedc_tensor t = iota_f32(ctx, FEDC_SHAPE(2, 3)), tt, out;
    fedc_shape s32 = FEDC_SHAPE(3, 2);
    ASSERT_OK(fedc_tensor_permute(ctx, &t, (const int[]){1, 0}, &tt));
    ASSERT_OK(fedc_tensor_alloc(ctx, &out, FEDC_DTYPE_INT64, &s32));
    ASSERT_OK(fedc_tensor_cast(ctx, &out, &tt));
    const int64_t want[6] = {0, 3, 1, 4, 2, 5};
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(((int64_t *)out.data)[i], want[i]);
    fedc_tensor_free(&t);
    fedc_tensor_free(&out);
}

/* ---- twin tests: copy and transpose ------------------------------------------------------ */

TEST(twin_copy_matches_reference_on_random_layouts) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 1, FEDC_RNG_PURPOSE_TEST);
    for (int iter = 0; iter < 300; iter++) {
        fedc_dtype dtype = (fedc_dtype)(iter % FEDC_DTYPE_COUNT);
        int rank = (int)fedc_rng_below(&rng, 5);
        fedc_shape shape = tt_random_shape(&rng, rank, 20000);
        fedc_tensor src_owner, ref_owner, src, dst_ref, dst_opt, opt_owner;
        src = random_view(ctx, &rng, dtype, &shape, (int)fedc_rng_below(&rng, 4), &src_owner);
        dst_ref = random_view(ctx, &rng, dtype, &shape, (int)fedc_rng_below(&rng, 4), &ref_owner);
        ASSERT_OK(fedc_tensor_clone(ctx, &ref_owner, &opt_owner));
        dst_opt = tt_rebase(&dst_ref, &ref_owner, &opt_owner);
        fedc__ref_copy(&dst_ref, &src);
        fedc__opt_copy(&dst_opt, &src);
        ASSERT_TENSOR_NEAR(&dst_ref, &src, 0);
        /* the whole allocation: the view's elements and the untouched gaps around them */
        ASSERT_TENSOR_NEAR(&opt_owner, &ref_owner, 0);
        fedc_tensor_free(&src_owner);
        fedc_tensor_free(&ref_owner);
        fedc_tensor_free(&opt_owner);
    }
}

TEST(twin_transpose_f32_matches_reference) {
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), 2, FEDC_RNG_PURPOSE_TEST);
    for (int r = 0; r < TT_NSIZES; r++) {
        for (int c = 0; c < TT_NSIZES; c++) {
            int64_t rows = tt_sizes[r], cols = tt_sizes[c];
            fedc_tensor x, y_ref, y_opt;
            fedc_shape sx = FEDC_SHAPE(rows, cols), sy = FEDC_SHAPE(cols, rows);
            ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &sx));
            ASSERT_OK(fedc_tensor_alloc(ctx, &y_ref, FEDC_DTYPE_FLOAT32, &sy));
            ASSERT_OK(fedc_tensor_alloc(ctx, &y_opt, FEDC_DTYPE_FLOAT32, &sy));
            fill_random(&x, &rng);
            fedc__ref_transpose_f32(rows, cols, x.data, y_ref.data);
            fedc__opt_transpose_f32(rows, cols, x.data, y_opt.data);
            ASSERT_TENSOR_NEAR(&y_opt, &y_ref, 0);
            fedc_tensor xt;
            ASSERT_OK(fedc_tensor_permute(ctx, &x, (const int[]){1, 0}, &xt));
            ASSERT_TENSOR_NEAR(&y_ref, &xt, 0);
            fedc_transpose_f32(rows, cols, x.data, y_opt.data); /* the public entry point */
            ASSERT_TENSOR_NEAR(&y_opt, &y_ref, 0);
            fedc_tensor_free(&x);
            fedc_tensor_free(&y_ref);
            fedc_tensor_free(&y_opt);
        }
    }
}
