/* test_partition.c — partitioners on labels with known structure (sizes, labels per client,
 * determinism by seed), their errors, and the IDX importer on the real MNIST test set read back
 * through the SQLite client data.
 */
#include <stdio.h>
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

enum { N = 1000, CLASSES = 10 };

static void labels_mod10(int64_t *l) {
    for (int i = 0; i < N; i++)
        l[i] = i % CLASSES;
}

static fedc_partition_stats run(fedc_ctx *ctx, const fedc_partition_opts *o, int64_t *client_of) {
    int64_t l[N];
    labels_mod10(l);
    ASSERT_OK(fedc_partition_assign(ctx, o, l, N, CLASSES, client_of));
    fedc_partition_stats s;
    ASSERT_OK(fedc_partition_stats_compute(ctx, client_of, l, N, o->num_clients, CLASSES, &s));
    return s;
}

TEST(iid_equal_sizes_and_seeded) {
    fedc_partition_opts o = fedc_partition_opts_default();
    o.num_clients = 7;
    o.seed = 5;
    int64_t a[N], b[N], c[N];
    fedc_partition_stats s = run(ctx, &o, a);
    ASSERT_EQ(s.min_size, 142);
    ASSERT_EQ(s.max_size, 143);
    ASSERT_EQ(s.max_labels, 10);
    char line[200];
    fedc_partition_stats_format(&s, line, sizeof line);
    ASSERT_STREQ(line,
                 "7 clients, sizes min 142 mean 142.9 max 143, labels per client min 10 max 10");
    fedc_partition_stats_free(&s);
    s = run(ctx, &o, b);
    fedc_partition_stats_free(&s);
    o.seed = 6;
    s = run(ctx, &o, c);
    fedc_partition_stats_free(&s);
    ASSERT_EQ(memcmp(a, b, sizeof a), 0);
    ASSERT_NE(memcmp(a, c, sizeof a), 0);
}

TEST(shards_give_each_client_at_most_k_labels) {
    fedc_partition_opts o = fedc_partition_opts_default();
    o.kind = FEDC_PARTITION_SHARDS;
    o.num_clients = 50;
    o.shards_per_client = 2; /* 100 shards of 10: each shard one label */
    int64_t a[N];
    fedc_partition_stats s = run(ctx, &o, a);
    ASSERT_EQ(s.min_size, 20);
    ASSERT_EQ(s.max_size, 20);
    ASSERT_GE(s.min_labels, 1);
    ASSERT_LE(s.max_labels, 2);
    ASSERT_EQ(s.max_labels, 2);
    fedc_partition_stats_free(&s);
    o.shards_per_client = 1;
    s = run(ctx, &o, a);
    ASSERT_EQ(s.min_labels, 1); /* exactly one label each */
    ASSERT_EQ(s.max_labels, 1);
    fedc_partition_stats_free(&s);
}

TEST(dirichlet_alpha_controls_skew) {
    fedc_partition_opts o = fedc_partition_opts_default();
    o.kind = FEDC_PARTITION_DIRICHLET;
    o.num_clients = 10;
    o.alpha = 1000.0; /* near-uniform shares: every client has every label */
    int64_t a[N];
    fedc_partition_stats s = run(ctx, &o, a);
    ASSERT_EQ(s.min_labels, 10);
    ASSERT_GT(s.min_size, 80);
    ASSERT_LT(s.max_size, 120);
    fedc_partition_stats_free(&s);
    o.alpha = 0.05; /* very skewed: few labels per client on average */
    s = run(ctx, &o, a);
    int64_t labels_total = 0;
    for (int c = 0; c < 10; c++)
        for (int l = 0; l < 10; l++)
            labels_total += s.label_counts[c * 10 + l] > 0;
    ASSERT_LT(labels_total, 50);
    int64_t sum = 0;
    for (int c = 0; c < 10; c++)
        sum += s.sizes[c];
    ASSERT_EQ(sum, N);
    fedc_partition_stats_free(&s);
}

TEST(quantity_skew_and_natural) {
    fedc_partition_opts o = fedc_partition_opts_default();
    o.kind = FEDC_PARTITION_QUANTITY_SKEW;
    o.num_clients = 20;
    o.sigma = 2.0;
    int64_t a[N];
    fedc_partition_stats s = run(ctx, &o, a);
    ASSERT_GE(s.min_size, 1);
    ASSERT_GT(s.max_size, 5 * s.min_size);
    fedc_partition_stats_free(&s);
    o.kind = FEDC_PARTITION_NATURAL;
    o.num_clients = 10;
    s = run(ctx, &o, a);
    for (int i = 0; i < N; i++)
        ASSERT_EQ(a[i], i % 10);
    fedc_partition_stats_free(&s);
}

TEST(partition_errors) {
    int64_t l[4] = {0, 1, 7, 1}, out[4];
    fedc_partition_opts o = fedc_partition_opts_default();
    o.num_clients = 2;
    ASSERT_STATUS(fedc_partition_assign(ctx, &o, l, 4, 3, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "label 7 of example 2 is outside [0, 3)");
    o.num_clients = 5;
    ASSERT_STATUS(fedc_partition_assign(ctx, &o, l, 4, 8, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "5 clients but only 4 examples");
    o.num_clients = 2;
    o.kind = FEDC_PARTITION_DIRICHLET;
    o.alpha = 0;
    ASSERT_STATUS(fedc_partition_assign(ctx, &o, l, 4, 8, out), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "Dirichlet alpha 0 must be > 0");
}

TEST(import_mnist_test_set_as_shards) {
    char images[512], labels[512], out[512];
    data_path(images, sizeof images, "mnist/t10k-images-idx3-ubyte.gz");
    data_path(labels, sizeof labels, "mnist/t10k-labels-idx1-ubyte.gz");
    scratch_path(out, sizeof out, "mnist-shards.sqlite");
    fedc_partition_opts o = fedc_partition_opts_default();
    o.kind = FEDC_PARTITION_SHARDS;
    o.num_clients = 100;
    o.shards_per_client = 2;
    o.seed = 17;
    fedc_partition_stats s;
    ASSERT_OK(fedc_import_idx(ctx, images, labels, out, "train", &o, &s));
    ASSERT_EQ(s.min_size, 100);
    ASSERT_EQ(s.max_size, 100);
    ASSERT_LE(s.max_labels, 4); /* two shards, each may straddle one label boundary */
    fedc_partition_stats_free(&s);

    fedc_sqlite_opts so = fedc_sqlite_opts_default();
    so.split_name = "train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, out, &so, &cd));
    ASSERT_EQ(fedc_client_data_num_clients(cd), 100);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "client_00000");
    ASSERT_STREQ(fedc_client_data_client_id(cd, 99), "client_00099");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 42), 100);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open(ctx, cd, 0, &ds));
    ASSERT_OK(fedc_dataset_emnist_preprocess(ctx, ds, true, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    const fedc_tensor *x = fedc_example_get(ex, "x");
    ASSERT_EQ(x->shape.dims[0], 784);
    float mx = 0;
    for (int i = 0; i < 784; i++)
        if (((float *)x->data)[i] > mx) mx = ((float *)x->data)[i];
    ASSERT_EQ(mx, 1.0f); /* some pixel is 255 */
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
    remove(out);
}
