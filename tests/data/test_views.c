/* test_views.c — client data views on the EMNIST sample: splits by clients and by examples,
 * subsets, preprocessing (TFF's ClientData.preprocess) and the pooled dataset.
 */
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

static fedc_client_data *emnist_train(fedc_ctx *ctx) {
    char path[512];
    data_path(path, sizeof path, "tff-sqlite/emnist_sample.sqlite");
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "digits_only_train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    return cd;
}

TEST(split_by_clients) {
    fedc_client_data *cd = emnist_train(ctx), *train, *test;
    ASSERT_OK(fedc_client_data_split_clients(ctx, cd, 0.25, 9, &train, &test));
    ASSERT_EQ(fedc_client_data_num_clients(train), 9);
    ASSERT_EQ(fedc_client_data_num_clients(test), 3);
    int64_t total = 0;
    for (int64_t i = 0; i < 9; i++) {
        int64_t idx;
        ASSERT_STATUS(fedc_client_data_find(ctx, test, fedc_client_data_client_id(train, i), &idx),
                      FEDC_STATUS_NOT_FOUND);
        total += fedc_client_data_num_examples(train, i);
    }
    for (int64_t i = 0; i < 3; i++)
        total += fedc_client_data_num_examples(test, i);
    ASSERT_EQ(total, 415);
    ASSERT_LT(strcmp(fedc_client_data_client_id(test, 0), fedc_client_data_client_id(test, 1)), 0);
    fedc_client_data_destroy(train);
    fedc_client_data_destroy(test);
    ASSERT_STATUS(fedc_client_data_split_clients(ctx, cd, 1.5, 9, &train, &test),
                  FEDC_STATUS_INVALID_ARGUMENT);
    fedc_client_data_destroy(cd);
}

TEST(split_by_examples) {
    fedc_client_data *cd = emnist_train(ctx), *train, *test;
    ASSERT_OK(fedc_client_data_split_examples(ctx, cd, 0.2, &train, &test));
    ASSERT_STREQ(fedc_client_data_client_id(train, 0), "f0230_15");
    ASSERT_EQ(fedc_client_data_num_examples(train, 0), 34); /* floor(43 * 0.8) */
    ASSERT_EQ(fedc_client_data_num_examples(test, 0), 9);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open(ctx, test, 0, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_EQ(((int64_t *)fedc_example_get(ex, "label")->data)[0], 2); /* the 35th: label 2 */
    int64_t rest;
    ASSERT_OK(fedc_dataset_count(ctx, ds, &rest));
    ASSERT_EQ(rest, 8);
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
    fedc_client_data_destroy(train);
    fedc_client_data_destroy(test);
    fedc_client_data_destroy(cd);
}

static fedc_status emnist_batches(fedc_ctx *ctx, void *user, fedc_dataset *in, fedc_dataset **out) {
    (void)user;
    fedc_status st = fedc_dataset_emnist_preprocess(ctx, in, true, &in);
    if (!st) st = fedc_dataset_batch(ctx, in, 10, false, &in);
    *out = st ? NULL : in;
    return st;
}

TEST(preprocess_and_pooled) {
    fedc_client_data *cd = emnist_train(ctx), *pre;
    ASSERT_OK(fedc_client_data_preprocess(ctx, cd, emnist_batches, NULL, &pre));
    ASSERT_EQ(fedc_client_data_num_examples(pre, 0), -1);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open(ctx, pre, 0, &ds));
    int64_t batches;
    ASSERT_OK(fedc_dataset_count(ctx, ds, &batches));
    ASSERT_EQ(batches, 5); /* 43 examples in batches of 10 */
    fedc_dataset_destroy(ds);

    ASSERT_OK(fedc_client_data_pooled(ctx, cd, &ds));
    ASSERT_EQ(fedc_dataset_cardinality(ds), 415);
    int64_t n;
    ASSERT_OK(fedc_dataset_count(ctx, ds, &n));
    ASSERT_EQ(n, 415);
    ASSERT_OK(fedc_dataset_reset(ctx, ds));
    ASSERT_OK(fedc_dataset_take(ctx, ds, 44, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    for (int i = 0; i < 44; i++)
        ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    /* example 44 is the first of the second client, f0472_83 */
    ASSERT_TRUE(got);
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
    fedc_client_data_destroy(pre);
    fedc_client_data_destroy(cd);
}

typedef struct count_job {
    const fedc_client_data *cd;
    int64_t counts[16];
    fedc_status status[16];
} count_job;

static void count_client(void *arg, int64_t i, int worker) {
    (void)worker;
    count_job *job = arg;
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return;
    fedc_dataset *ds;
    job->status[i] = fedc_client_data_open(ctx, job->cd, i, &ds);
    if (!job->status[i]) {
        job->status[i] = fedc_dataset_count(ctx, ds, &job->counts[i]);
        fedc_dataset_destroy(ds);
    }
    fedc_ctx_destroy(ctx);
}

/* Clients of one client data opened and read on several threads at once. */
TEST(clients_read_in_parallel) {
    fedc_client_data *cd = emnist_train(ctx);
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 4, &pool));
    count_job job = {cd, {0}, {0}};
    fedc_pool_parallel_for(pool, 12, count_client, &job);
    for (int64_t i = 0; i < 12; i++) {
        ASSERT_OK(job.status[i]);
        ASSERT_EQ(job.counts[i], fedc_client_data_num_examples(cd, i));
    }
    fedc_pool_destroy(pool);
    fedc_client_data_destroy(cd);
}
