/* test_memory_sampling.c — in-memory client data (sorted ids, counts, datasets that outlive the
 * client data) and client sampling (cohorts as functions of (seed, round), each mode's
 * guarantees, argument errors).
 */
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

static void add(fedc_ctx *ctx, fedc_memory_data *b, const char *id, int value) {
    fedc_example *ex;
    fedc_tensor *t;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_example_set(ctx, ex, "v", FEDC_DTYPE_INT32, SHP0, &t));
    ((int32_t *)t->data)[0] = value;
    ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
    fedc_example_destroy(ex);
}

TEST(memory_client_data) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    add(ctx, b, "zed", 1);
    add(ctx, b, "Zed", 2); /* upper case sorts first, as Python sorts str */
    add(ctx, b, "zed", 3);
    add(ctx, b, "\xc3\xa9t\xc3\xa9", 4); /* "été" sorts after every ASCII id */
    add(ctx, b, "alpha", 5);
    ASSERT_STATUS(fedc_memory_data_add(ctx, b, "", NULL), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    ASSERT_EQ(fedc_client_data_num_clients(cd), 4);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "Zed");
    ASSERT_STREQ(fedc_client_data_client_id(cd, 1), "alpha");
    ASSERT_STREQ(fedc_client_data_client_id(cd, 2), "zed");
    ASSERT_STREQ(fedc_client_data_client_id(cd, 3), "\xc3\xa9t\xc3\xa9");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 2), 2);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "zed", &ds));
    fedc_client_data_destroy(cd); /* the dataset keeps the examples alive */
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_EQ(((int32_t *)fedc_example_get(ex, "v")->data)[0], 1);
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_EQ(((int32_t *)fedc_example_get(ex, "v")->data)[0], 3);
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_FALSE(got);
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
}

TEST(client_index_errors) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    add(ctx, b, "a", 1);
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_dataset *ds;
    ASSERT_STATUS(fedc_client_data_open(ctx, cd, 1, &ds), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client index 1 is outside 0..0");
    ASSERT_STATUS(fedc_client_data_open_id(ctx, cd, "b", &ds), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "memory client data has no client 'b'");
    fedc_client_data_destroy(cd);
}

TEST(uniform_sampling_is_keyed_by_seed_and_round) {
    fedc_sampling_opts o = fedc_sampling_opts_default();
    o.seed = 11;
    o.cohort_size = 10;
    int64_t a[10], b[10], c[10], n;
    ASSERT_OK(fedc_sample_clients(ctx, &o, 50, 3, a, 10, &n));
    ASSERT_EQ(n, 10);
    ASSERT_OK(fedc_sample_clients(ctx, &o, 50, 3, b, 10, &n));
    ASSERT_OK(fedc_sample_clients(ctx, &o, 50, 4, c, 10, &n));
    ASSERT_EQ(memcmp(a, b, sizeof a), 0);
    ASSERT_NE(memcmp(a, c, sizeof a), 0);
    for (int i = 0; i < 10; i++) {
        ASSERT_GE(a[i], 0);
        ASSERT_LT(a[i], 50);
        for (int j = 0; j < i; j++)
            ASSERT_NE(a[i], a[j]);
    }
    /* Every client is drawn about equally often over many rounds. */
    int hits[50] = {0};
    for (uint64_t r = 0; r < 2000; r++) {
        ASSERT_OK(fedc_sample_clients(ctx, &o, 50, r, a, 10, &n));
        for (int i = 0; i < 10; i++)
            hits[a[i]]++;
    }
    for (int i = 0; i < 50; i++) {
        ASSERT_GT(hits[i], 300); /* expected 400 */
        ASSERT_LT(hits[i], 500);
    }
    ASSERT_STATUS(fedc_sample_clients(ctx, &o, 5, 0, a, 10, &n), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "cohort of 10 clients without replacement from 5");
}

TEST(replacement_and_poisson_sampling) {
    fedc_sampling_opts o = fedc_sampling_opts_default();
    o.mode = FEDC_SAMPLING_REPLACEMENT;
    o.cohort_size = 8;
    int64_t a[1000], n;
    ASSERT_OK(fedc_sample_clients(ctx, &o, 3, 0, a, 8, &n));
    ASSERT_EQ(n, 8);
    for (int i = 0; i < 8; i++)
        ASSERT_LT(a[i], 3);

    o.mode = FEDC_SAMPLING_POISSON;
    o.rate = 0.25;
    int64_t total = 0;
    for (uint64_t r = 0; r < 20; r++) {
        ASSERT_OK(fedc_sample_clients(ctx, &o, 1000, r, a, 1000, &n));
        for (int64_t i = 1; i < n; i++)
            ASSERT_LT(a[i - 1], a[i]);
        total += n;
    }
    ASSERT_GT(total, 4700); /* expected 5000, sd about 61 */
    ASSERT_LT(total, 5300);
    o.rate = 1.5;
    ASSERT_STATUS(fedc_sample_clients(ctx, &o, 10, 0, a, 10, &n), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "rate 1.5 is outside [0, 1]");
}

TEST(synthetic_alpha_beta) {
    fedc_synthetic_opts o = fedc_synthetic_opts_default();
    o.num_clients = 5;
    o.seed = 3;
    fedc_client_data *a, *b;
    ASSERT_OK(fedc_client_data_synthetic(ctx, &o, &a));
    ASSERT_OK(fedc_client_data_synthetic(ctx, &o, &b));
    ASSERT_EQ(fedc_client_data_num_clients(a), 5);
    ASSERT_STREQ(fedc_client_data_client_id(a, 4), "f_00004");
    fedc_example *ea, *eb;
    ASSERT_OK(fedc_example_create(ctx, &ea));
    ASSERT_OK(fedc_example_create(ctx, &eb));
    for (int64_t c = 0; c < 5; c++) {
        int64_t n = fedc_client_data_num_examples(a, c);
        ASSERT_GE(n, 50);
        ASSERT_EQ(n, fedc_client_data_num_examples(b, c));
        fedc_dataset *da, *db;
        ASSERT_OK(fedc_client_data_open(ctx, a, c, &da));
        ASSERT_OK(fedc_client_data_open(ctx, b, c, &db));
        bool got;
        for (int64_t i = 0; i < n; i++) {
            ASSERT_OK(fedc_dataset_next(ctx, da, ea, &got));
            ASSERT_OK(fedc_dataset_next(ctx, db, eb, &got));
            const fedc_tensor *x = fedc_example_get(ea, "x");
            ASSERT_EQ(x->shape.dims[0], 60);
            ASSERT_EQ(memcmp(x->data, fedc_example_get(eb, "x")->data, 240), 0);
            int32_t y = ((int32_t *)fedc_example_get(ea, "y")->data)[0];
            ASSERT_GE(y, 0);
            ASSERT_LT(y, 10);
        }
        fedc_dataset_destroy(da);
        fedc_dataset_destroy(db);
    }
    fedc_example_destroy(ea);
    fedc_example_destroy(eb);
    fedc_client_data_destroy(a);
    fedc_client_data_destroy(b);
    o.num_classes = 1;
    ASSERT_STATUS(fedc_client_data_synthetic(ctx, &o, &a), FEDC_STATUS_INVALID_ARGUMENT);
}
