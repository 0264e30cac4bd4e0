/* test_pipeline.c — pipeline steps on small in-memory datasets with known values: take, skip,
 * batch (with and without the remainder), repeat, shuffle (a permutation, reproducible from
 * (seed, key, epoch)), the built-in maps and user maps, and their errors.
 */
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

/* n examples {"i": int32[] = k, "v": float32[2] = {k, -k}}. */
static fedc_dataset *counting(fedc_ctx *ctx, int n) {
    fedc_example *ex[64] = {0};
    for (int k = 0; k < n; k++) {
        fedc_tensor *t;
        ASSERT_OK(fedc_example_create(ctx, &ex[k]));
        ASSERT_OK(fedc_example_set(ctx, ex[k], "i", FEDC_DTYPE_INT32, SHP0, &t));
        ((int32_t *)t->data)[0] = k;
        ASSERT_OK(fedc_example_set(ctx, ex[k], "v", FEDC_DTYPE_FLOAT32, SHP(2), &t));
        ((float *)t->data)[0] = (float)k;
        ((float *)t->data)[1] = (float)-k;
    }
    fedc_dataset *ds;
    ASSERT_OK(fedc_dataset_from_examples(ctx, ex, n, &ds));
    for (int k = 0; k < n; k++)
        fedc_example_destroy(ex[k]);
    return ds;
}

/* Reads the "i" values of every example (or of each batch's elements) into out; returns count. */
static int drain(fedc_ctx *ctx, fedc_dataset *ds, int *out, int max) {
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    int n = 0;
    bool got;
    for (;;) {
        ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
        if (!got) break;
        const fedc_tensor *t = fedc_example_get(ex, "i");
        for (int64_t k = 0; k < fedc_tensor_numel(t); k++) {
            if (n >= max) FAIL("more than %d values", max);
            out[n++] = (int)fedc_tensor_get_flat(t, k);
        }
    }
    fedc_example_destroy(ex);
    return n;
}

TEST(take_skip_repeat) {
    int v[64];
    fedc_dataset *ds = counting(ctx, 10);
    ASSERT_OK(fedc_dataset_skip(ctx, ds, 7, &ds));
    ASSERT_EQ(fedc_dataset_cardinality(ds), 3);
    ASSERT_OK(fedc_dataset_repeat(ctx, ds, 2, &ds));
    ASSERT_EQ(fedc_dataset_cardinality(ds), 6);
    ASSERT_EQ(drain(ctx, ds, v, 64), 6);
    static const int want[] = {7, 8, 9, 7, 8, 9};
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(v[i], want[i]);
    fedc_dataset_destroy(ds);

    ds = counting(ctx, 4);
    ASSERT_OK(fedc_dataset_repeat(ctx, ds, -1, &ds));
    ASSERT_EQ(fedc_dataset_cardinality(ds), -1);
    ASSERT_OK(fedc_dataset_take(ctx, ds, 10, &ds));
    ASSERT_EQ(drain(ctx, ds, v, 64), 10);
    ASSERT_EQ(v[9], 1);
    ASSERT_OK(fedc_dataset_reset(ctx, ds)); /* take restarts its input too */
    ASSERT_EQ(drain(ctx, ds, v, 64), 10);
    ASSERT_EQ(v[4], 0);
    fedc_dataset_destroy(ds);

    /* Repeating an empty dataset forever ends instead of spinning. */
    ds = counting(ctx, 0);
    ASSERT_OK(fedc_dataset_repeat(ctx, ds, -1, &ds));
    ASSERT_EQ(drain(ctx, ds, v, 64), 0);
    fedc_dataset_destroy(ds);
}

TEST(batch_stacks_with_and_without_remainder) {
    fedc_dataset *ds = counting(ctx, 10);
    ASSERT_OK(fedc_dataset_batch(ctx, ds, 4, false, &ds));
    ASSERT_EQ(fedc_dataset_cardinality(ds), 3);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    int64_t sizes[3];
    for (int b = 0; b < 3; b++) {
        ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
        ASSERT_TRUE(got);
        const fedc_tensor *v = fedc_example_get(ex, "v");
        ASSERT_EQ(v->shape.rank, 2);
        ASSERT_EQ(v->shape.dims[1], 2);
        sizes[b] = v->shape.dims[0];
        ASSERT_EQ(((float *)v->data)[1], (float)-(b * 4));
        ASSERT_EQ(fedc_example_get(ex, "i")->shape.rank, 1);
    }
    ASSERT_EQ(sizes[0], 4);
    ASSERT_EQ(sizes[2], 2);
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_FALSE(got);
    fedc_dataset_destroy(ds);

    int v[64];
    ds = counting(ctx, 10);
    ASSERT_OK(fedc_dataset_batch(ctx, ds, 4, true, &ds));
    ASSERT_EQ(fedc_dataset_cardinality(ds), 2);
    ASSERT_EQ(drain(ctx, ds, v, 64), 8);
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
}

TEST(batch_rejects_ragged_examples) {
    fedc_example *ex[2];
    fedc_tensor *t;
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(fedc_example_create(ctx, &ex[k]));
        ASSERT_OK(fedc_example_set(ctx, ex[k], "s", FEDC_DTYPE_UINT8, SHP(3 + k), &t));
        memset(t->data, 'a', (size_t)(3 + k));
    }
    fedc_dataset *ds;
    ASSERT_OK(fedc_dataset_from_examples(ctx, ex, 2, &ds));
    ASSERT_OK(fedc_dataset_batch(ctx, ds, 2, false, &ds));
    bool got;
    ASSERT_STATUS(fedc_dataset_next(ctx, ds, ex[0], &got), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "batch: feature 's' has shape [3] in example 0 but [4] in example 1");
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex[0]);
    fedc_example_destroy(ex[1]);
}

TEST(shuffle_is_a_keyed_permutation) {
    int a[64], b[64], c[64], d[64];
    fedc_dataset *ds = counting(ctx, 20);
    ASSERT_OK(fedc_dataset_shuffle(ctx, ds, 8, 42, 7, &ds));
    ASSERT_EQ(drain(ctx, ds, a, 64), 20);
    ASSERT_OK(fedc_dataset_reset(ctx, ds)); /* epoch 1: another order */
    ASSERT_EQ(drain(ctx, ds, c, 64), 20);
    fedc_dataset_destroy(ds);
    ds = counting(ctx, 20);
    ASSERT_OK(fedc_dataset_shuffle(ctx, ds, 8, 42, 7, &ds));
    ASSERT_EQ(drain(ctx, ds, b, 64), 20);
    fedc_dataset_destroy(ds);
    ds = counting(ctx, 20);
    ASSERT_OK(fedc_dataset_shuffle(ctx, ds, 8, 42, 8, &ds));
    ASSERT_EQ(drain(ctx, ds, d, 64), 20);
    fedc_dataset_destroy(ds);
    int seen[20] = {0};
    for (int i = 0; i < 20; i++)
        seen[a[i]]++;
    for (int i = 0; i < 20; i++)
        ASSERT_EQ(seen[i], 1);
    ASSERT_EQ(memcmp(a, b, sizeof(int) * 20), 0); /* same (seed, key): same order */
    ASSERT_NE(memcmp(a, c, sizeof(int) * 20), 0); /* next epoch differs */
    ASSERT_NE(memcmp(a, d, sizeof(int) * 20), 0); /* another key differs */
    /* A buffer of 8 can only move an element 7 places ahead of its input position. */
    for (int i = 0; i < 20; i++)
        ASSERT_LE(a[i], i + 7);

    ds = counting(ctx, 5);
    ASSERT_OK(fedc_dataset_shuffle(ctx, ds, 1, 42, 7, &ds));
    ASSERT_EQ(drain(ctx, ds, a, 64), 5);
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(a[i], i);
    fedc_dataset_destroy(ds);
}

TEST(feature_maps) {
    fedc_dataset *ds = counting(ctx, 3);
    ASSERT_OK(fedc_dataset_one_hot(ctx, ds, "i", 4, &ds));
    ASSERT_OK(fedc_dataset_scale(ctx, ds, "v", 0.5, 1.0, &ds));
    ASSERT_OK(fedc_dataset_reshape(ctx, ds, "v", SHP(1, -1), &ds));
    ASSERT_OK(fedc_dataset_cast(ctx, ds, "v", FEDC_DTYPE_INT64, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got)); /* k = 2 */
    const fedc_tensor *oh = fedc_example_get(ex, "i");
    ASSERT_EQ(oh->dtype, FEDC_DTYPE_FLOAT32);
    ASSERT_EQ(oh->shape.rank, 1);
    ASSERT_EQ(oh->shape.dims[0], 4);
    static const float want_oh[] = {0, 0, 1, 0};
    ASSERT_FLOATS_NEAR((const float *)oh->data, want_oh, 4, 0);
    const fedc_tensor *v = fedc_example_get(ex, "v");
    ASSERT_EQ(v->dtype, FEDC_DTYPE_INT64);
    ASSERT_EQ(v->shape.rank, 2);
    ASSERT_EQ(v->shape.dims[1], 2);
    ASSERT_EQ(((int64_t *)v->data)[0], 2); /* 2 * 0.5 + 1 */
    ASSERT_EQ(((int64_t *)v->data)[1], 0); /* -2 * 0.5 + 1 */
    fedc_dataset_destroy(ds);

    ds = counting(ctx, 5);
    ASSERT_OK(fedc_dataset_one_hot(ctx, ds, "i", 3, &ds));
    ASSERT_OK(fedc_dataset_skip(ctx, ds, 3, &ds));
    ASSERT_STATUS(fedc_dataset_next(ctx, ds, ex, &got), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "one_hot 'i': one_hot: value 3 at position 0 is "
                                           "outside [0, 3)");
    fedc_dataset_destroy(ds);

    ds = counting(ctx, 1);
    ASSERT_OK(fedc_dataset_cast(ctx, ds, "label", FEDC_DTYPE_INT32, &ds));
    ASSERT_STATUS(fedc_dataset_next(ctx, ds, ex, &got), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "cast: no feature 'label'; the example has: i, v");
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
}

static fedc_status square_i(fedc_ctx *ctx, void *user, const fedc_example *in, fedc_example *out) {
    int *calls = user;
    ++*calls;
    const fedc_tensor *i = fedc_example_require(ctx, in, "i");
    if (!i) return fedc_ctx_status(ctx);
    fedc_tensor *sq;
    fedc_shape s = FEDC_SHAPE0;
    fedc_status st = fedc_example_set(ctx, out, "i", FEDC_DTYPE_INT32, &s, &sq);
    if (st) return st;
    int32_t k = ((int32_t *)i->data)[0];
    ((int32_t *)sq->data)[0] = k * k;
    return FEDC_STATUS_OK;
}

TEST(user_map) {
    int calls = 0, v[16];
    fedc_dataset *ds = counting(ctx, 5);
    ASSERT_OK(fedc_dataset_map(ctx, ds, square_i, &calls, &ds));
    ASSERT_EQ(drain(ctx, ds, v, 16), 5);
    ASSERT_EQ(calls, 5);
    ASSERT_EQ(v[4], 16);
    fedc_dataset_destroy(ds);
}

TEST(bad_arguments_consume_the_input) {
    fedc_dataset *ds = counting(ctx, 2), *out;
    ASSERT_STATUS(fedc_dataset_batch(ctx, ds, 0, false, &out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "batch size: invalid count 0");
    ASSERT_NULL(out);
    ds = counting(ctx, 2);
    ASSERT_STATUS(fedc_dataset_shuffle(ctx, ds, 0, 1, 1, &out), FEDC_STATUS_INVALID_ARGUMENT);
    ds = counting(ctx, 2);
    ASSERT_STATUS(fedc_dataset_one_hot(ctx, ds, "i", 0, &out), FEDC_STATUS_INVALID_ARGUMENT);
    /* ASan reports the inputs if they leaked. */
}

static fedc_status build_pipeline(fedc_ctx *ctx, void *arg) {
    fedc_dataset **out = arg;
    fedc_example *ex;
    fedc_status st = fedc_example_create(ctx, &ex);
    if (st) return st;
    fedc_tensor *t;
    fedc_shape s = FEDC_SHAPE(3);
    st = fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &s, &t);
    fedc_dataset *ds = NULL;
    if (!st) {
        memset(t->data, 0, 12);
        st = fedc_dataset_from_examples(ctx, &ex, 1, &ds);
    }
    fedc_example_destroy(ex);
    if (!st) st = fedc_dataset_shuffle(ctx, ds, 4, 1, 2, &ds);
    if (!st) st = fedc_dataset_repeat(ctx, ds, 3, &ds);
    if (!st) st = fedc_dataset_batch(ctx, ds, 2, false, &ds);
    if (!st) st = fedc_dataset_scale(ctx, ds, "x", 2.0, 0.0, &ds);
    if (!st) st = fedc_dataset_take(ctx, ds, 1, &ds);
    if (!st) {
        int64_t n;
        st = fedc_dataset_count(ctx, ds, &n);
        if (st) fedc_dataset_destroy(ds);
    }
    *out = st ? NULL : ds;
    return st;
}

static void destroy_pipeline(void *arg) { fedc_dataset_destroy(*(fedc_dataset **)arg); }

TEST(pipeline_survives_allocation_failures) {
    fedc_dataset *ds = NULL;
    ASSERT_GT(fedc_test_alloc_sweep(ctx, build_pipeline, destroy_pipeline, &ds), 10);
}
