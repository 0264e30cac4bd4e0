/* test_plugin.c — backends from outside the library: a dataset and a client data implemented
 * through the public vtables (ids given unsorted, a duplicate id rejected), and a pipeline over
 * the custom dataset.
 */
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

/* A dataset counting 0..limit-1 as {"n": int64[]}. */
typedef struct counter {
    int64_t next, limit;
    int *destroyed;
} counter;

static fedc_status counter_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    counter *c = self;
    if (c->next >= c->limit) return FEDC_STATUS_OK;
    fedc_tensor *t;
    fedc_shape s = FEDC_SHAPE0;
    fedc_example_clear(out);
    fedc_status st = fedc_example_set(ctx, out, "n", FEDC_DTYPE_INT64, &s, &t);
    if (st) return st;
    ((int64_t *)t->data)[0] = c->next++;
    *got = true;
    return FEDC_STATUS_OK;
}

static int64_t counter_cardinality(void *self) { return ((counter *)self)->limit; }

static void counter_destroy(void *self) {
    counter *c = self;
    ++*c->destroyed;
    fedc_free(c);
}

/* No reset: repeat must say so. */
static const fedc_dataset_vtable counter_vtable = {"counter", counter_next, NULL,
                                                   counter_cardinality, counter_destroy};

static int destroyed;

static fedc_status counter_open(fedc_ctx *ctx, int64_t limit, fedc_dataset **out) {
    counter *c = fedc_calloc(1, sizeof *c);
    if (!c) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "counter");
    c->limit = limit;
    c->destroyed = &destroyed;
    return fedc_dataset_create(ctx, &counter_vtable, c, out);
}

TEST(custom_dataset_in_a_pipeline) {
    destroyed = 0;
    fedc_dataset *ds;
    ASSERT_OK(counter_open(ctx, 7, &ds));
    ASSERT_OK(fedc_dataset_batch(ctx, ds, 3, true, &ds));
    ASSERT_EQ(fedc_dataset_cardinality(ds), 2);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_EQ(((int64_t *)fedc_example_get(ex, "n")->data)[2], 5);
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_FALSE(got);
    ASSERT_STATUS(fedc_dataset_reset(ctx, ds), FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "a counter dataset cannot restart");
    fedc_dataset_destroy(ds);
    ASSERT_EQ(destroyed, 1);

    ASSERT_OK(counter_open(ctx, 2, &ds));
    ASSERT_OK(fedc_dataset_repeat(ctx, ds, 3, &ds));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_STATUS(fedc_dataset_next(ctx, ds, ex, &got), FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "repeat: a counter dataset cannot restart");
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
}

/* A client data whose client k has k examples, ids given in reverse order. */
typedef struct fake {
    const char *const *ids;
    int64_t n;
} fake;

static int64_t fake_num_clients(void *self) { return ((fake *)self)->n; }
static const char *fake_client_id(void *self, int64_t i) { return ((fake *)self)->ids[i]; }
static int64_t fake_num_examples(void *self, int64_t i) {
    (void)self;
    return i;
}
static fedc_status fake_open(fedc_ctx *ctx, void *self, int64_t i, fedc_dataset **out) {
    (void)self;
    return counter_open(ctx, i, out);
}
static void fake_destroy(void *self) { (void)self; }

static const fedc_client_data_vtable fake_vtable = {
    "fake", fake_num_clients, fake_client_id, fake_num_examples, fake_open, fake_destroy};

TEST(custom_client_data_is_sorted) {
    static const char *const ids[] = {"zz", "b", "a10", "a9"};
    fake f = {ids, 4};
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_create(ctx, &fake_vtable, &f, &cd));
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "a10"); /* string order, not numeric */
    ASSERT_STREQ(fedc_client_data_client_id(cd, 1), "a9");
    ASSERT_STREQ(fedc_client_data_client_id(cd, 3), "zz");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 3), 0); /* backend index 0 */
    ASSERT_EQ(fedc_client_data_num_examples(cd, 1), 3);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "a9", &ds));
    int64_t n;
    ASSERT_OK(fedc_dataset_count(ctx, ds, &n));
    ASSERT_EQ(n, 3);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);

    static const char *const dup[] = {"x", "y", "x"};
    fake g = {dup, 3};
    ASSERT_STATUS(fedc_client_data_create(ctx, &fake_vtable, &g, &cd),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "fake client data: client id 'x' appears twice");
    ASSERT_NULL(cd);
}
