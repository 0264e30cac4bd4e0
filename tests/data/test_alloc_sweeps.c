/* test_alloc_sweeps.c — every constructor and loader of the data layer under allocation
 * failure: each failing run must report OUT_OF_MEMORY with a message and free everything.
 */
#include <stdio.h>
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

typedef struct holder {
    const char *path;
    fedc_example *ex;
    fedc_client_data *cd;
    fedc_dataset *ds;
    fedc_tensor t;
    void *buf;
} holder;

static void release(void *p) {
    holder *h = p;
    fedc_example_destroy(h->ex);
    fedc_dataset_destroy(h->ds);
    fedc_client_data_destroy(h->cd);
    fedc_tensor_free(&h->t);
    fedc_free(h->buf);
    h->ex = NULL;
    h->ds = NULL;
    h->cd = NULL;
    h->buf = NULL;
}

static fedc_status make_example(fedc_ctx *ctx, holder *h) {
    fedc_status st = fedc_example_create(ctx, &h->ex);
    fedc_tensor *t;
    fedc_shape s = FEDC_SHAPE(3, 4);
    if (!st) st = fedc_example_set(ctx, h->ex, "pixels", FEDC_DTYPE_FLOAT32, &s, &t);
    if (!st) memset(t->data, 0, 48);
    s = FEDC_SHAPE(1);
    if (!st) st = fedc_example_set(ctx, h->ex, "label", FEDC_DTYPE_INT64, &s, &t);
    if (!st) ((int64_t *)t->data)[0] = -3;
    if (st) {
        fedc_example_destroy(h->ex);
        h->ex = NULL;
    }
    return st;
}

static fedc_status op_encode_decode(fedc_ctx *ctx, void *p) {
    holder *h = p;
    fedc_status st = make_example(ctx, h);
    if (st) return st;
    size_t n;
    st = fedc_tf_example_encode(ctx, h->ex, &h->buf, &n);
    fedc_example *back = NULL;
    if (!st) st = fedc_example_create(ctx, &back);
    if (!st) st = fedc_tf_example_decode(ctx, h->buf, n, NULL, 0, back);
    fedc_example_destroy(back);
    if (st) release(h);
    return st;
}

TEST(example_encode_decode) {
    holder h = {0};
    ASSERT_GT(fedc_test_alloc_sweep(ctx, op_encode_decode, release, &h), 5);
}

static fedc_status op_memory(fedc_ctx *ctx, void *p) {
    holder *h = p;
    fedc_status st = make_example(ctx, h);
    if (st) return st;
    fedc_memory_data *b = NULL;
    st = fedc_memory_data_create(ctx, &b);
    for (int i = 0; i < 40 && !st; i++)
        st = fedc_memory_data_add(ctx, b, i % 2 ? "odd" : "even", h->ex);
    if (!st) st = fedc_memory_data_finish(ctx, b, &h->cd);
    fedc_memory_data_destroy(b);
    if (!st) st = fedc_client_data_open(ctx, h->cd, 1, &h->ds);
    if (!st) st = fedc_dataset_batch(ctx, h->ds, 8, false, &h->ds); /* NULL on failure */
    if (!st) {
        bool got;
        st = fedc_dataset_next(ctx, h->ds, h->ex, &got);
    }
    if (st) release(h);
    return st;
}

TEST(memory_data_and_batch) {
    holder h = {0};
    ASSERT_GT(fedc_test_alloc_sweep(ctx, op_memory, release, &h), 10);
}

static fedc_status op_idx(fedc_ctx *ctx, void *p) {
    holder *h = p;
    return fedc_idx_read(ctx, h->path, &h->t);
}

TEST(idx_read) {
    char path[512];
    holder h = {0};
    h.path = data_path(path, sizeof path, "mnist/t10k-labels-idx1-ubyte.gz");
    ASSERT_GT(fedc_test_alloc_sweep(ctx, op_idx, release, &h), 2);
}

static fedc_status op_leaf(fedc_ctx *ctx, void *p) {
    holder *h = p;
    return fedc_client_data_open_leaf(ctx, h->path, &h->cd);
}

TEST(leaf_open) {
    char path[512];
    scratch_path(path, sizeof path, "sweep.json");
    static const char text[] = "{\"users\": [\"b\", \"a\"], \"num_samples\": [2, 1], \"user_data\":"
                               " {\"a\": {\"x\": [\"hello\"], \"y\": [1]}, \"b\": {\"x\": [[1, 2],"
                               " [3, 4]], \"y\": [0, 1]}}}";
    write_file(path, text, sizeof text - 1);
    holder h = {0};
    h.path = path;
    ASSERT_GT(fedc_test_alloc_sweep(ctx, op_leaf, release, &h), 10);
    remove(path);
}

static fedc_status op_partition(fedc_ctx *ctx, void *p) {
    (void)p;
    int64_t labels[200], client_of[200];
    for (int i = 0; i < 200; i++)
        labels[i] = i % 10;
    fedc_partition_opts o = fedc_partition_opts_default();
    fedc_status st = FEDC_STATUS_OK;
    for (int kind = 0; kind <= FEDC_PARTITION_QUANTITY_SKEW && !st; kind++) {
        o.kind = (fedc_partition)kind;
        st = fedc_partition_assign(ctx, &o, labels, 200, 10, client_of);
    }
    fedc_partition_stats s;
    if (!st) st = fedc_partition_stats_compute(ctx, client_of, labels, 200, 10, 10, &s);
    if (!st) fedc_partition_stats_free(&s);
    return st;
}

TEST(partitioners) { ASSERT_GT(fedc_test_alloc_sweep(ctx, op_partition, NULL, NULL), 5); }
