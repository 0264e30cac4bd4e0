/* test_bytes_list.c — tf.train.Example bytes_lists of several values (and of none): decoded
 * into lists of byte strings, encoded back byte for byte as the protobuf library writes them,
 * kept by copies and through a TFF SQLite file written and read back; specs, batching and
 * re-setting a list behave as documented.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

/* Example{features{feature{key: "s" value{bytes_list{value: "a" value: "bc"}}}}}, as protobuf
 * serializes it. */
static const uint8_t kTwoValues[] = {0x0a, 0x10, 0x0a, 0x0e, 0x0a, 0x01, 's',  0x12, 0x09,
                                     0x0a, 0x07, 0x0a, 0x01, 'a',  0x0a, 0x02, 'b',  'c'};

/* feature "e": bytes_list{} (no values), feature "z": bytes_list{value: "" value: ""}. */
static const uint8_t kEmptyLists[] = {0x0a, 0x16, 0x0a, 0x07, 0x0a, 0x01, 'e',  0x12,
                                      0x02, 0x0a, 0x00, 0x0a, 0x0b, 0x0a, 0x01, 'z',
                                      0x12, 0x06, 0x0a, 0x04, 0x0a, 0x00, 0x0a, 0x00};

static void assert_string(const fedc_example *ex, int i, int64_t k, const char *want) {
    size_t len;
    const uint8_t *p = fedc_example_bytes_at(ex, i, k, &len);
    ASSERT_EQ(len, strlen(want));
    ASSERT_EQ(memcmp(p, want, len), 0);
}

static void assert_encodes_to(fedc_ctx *ctx, const fedc_example *ex, const uint8_t *want,
                              size_t size) {
    void *enc;
    size_t n;
    ASSERT_OK(fedc_tf_example_encode(ctx, ex, &enc, &n));
    ASSERT_EQ(n, size);
    ASSERT_EQ(memcmp(enc, want, size), 0);
    fedc_free(enc);
}

TEST(several_values_decode_to_a_list_and_encode_back_exactly) {
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_tf_example_decode(ctx, kTwoValues, sizeof kTwoValues, NULL, 0, ex));
    ASSERT_EQ(fedc_example_count(ex), 1);
    ASSERT_TRUE(fedc_example_is_bytes_list(ex, 0));
    ASSERT_EQ(fedc_example_bytes_count(ex, 0), 2);
    const fedc_tensor *t = fedc_example_tensor(ex, 0);
    ASSERT_EQ(t->dtype, FEDC_DTYPE_UINT8);
    ASSERT_EQ(t->shape.rank, 1);
    ASSERT_EQ(t->shape.dims[0], 3); /* "a" "bc" one after another */
    assert_string(ex, 0, 0, "a");
    assert_string(ex, 0, 1, "bc");
    assert_encodes_to(ctx, ex, kTwoValues, sizeof kTwoValues);
    fedc_example_destroy(ex);
}

TEST(empty_lists_and_empty_strings_round_trip) {
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_tf_example_decode(ctx, kEmptyLists, sizeof kEmptyLists, NULL, 0, ex));
    ASSERT_EQ(fedc_example_count(ex), 2);
    ASSERT_STREQ(fedc_example_name(ex, 0), "e");
    ASSERT_TRUE(fedc_example_is_bytes_list(ex, 0));
    ASSERT_EQ(fedc_example_bytes_count(ex, 0), 0);
    ASSERT_EQ(fedc_example_bytes_count(ex, 1), 2);
    assert_string(ex, 1, 0, "");
    assert_string(ex, 1, 1, "");
    assert_encodes_to(ctx, ex, kEmptyLists, sizeof kEmptyLists);

    /* One empty string is a plain feature, and is encoded as one value, not as none. */
    fedc_tensor *t;
    ASSERT_OK(fedc_example_set(ctx, ex, "e", FEDC_DTYPE_UINT8, SHP(0), &t));
    ASSERT_FALSE(fedc_example_is_bytes_list(ex, 0));
    ASSERT_EQ(fedc_example_bytes_count(ex, 0), 1);
    void *enc;
    size_t n;
    ASSERT_OK(fedc_tf_example_encode(ctx, ex, &enc, &n));
    fedc_example *back;
    ASSERT_OK(fedc_example_create(ctx, &back));
    ASSERT_OK(fedc_tf_example_decode(ctx, enc, n, NULL, 0, back));
    ASSERT_FALSE(fedc_example_is_bytes_list(back, 0));
    ASSERT_EQ(fedc_example_bytes_count(back, 0), 1);
    fedc_free(enc);
    fedc_example_destroy(back);
    fedc_example_destroy(ex);
}

/* An example with a list between ordinary features, built through the API. */
static void make_post(fedc_ctx *ctx, fedc_example *ex) {
    static const char *const tags[] = {"c", "federated-learning", "", "sqlite"};
    int64_t lengths[4];
    for (int k = 0; k < 4; k++)
        lengths[k] = (int64_t)strlen(tags[k]);
    fedc_tensor *t;
    ASSERT_OK(fedc_example_set(ctx, ex, "score", FEDC_DTYPE_FLOAT32, SHP(2), &t));
    ((float *)t->data)[0] = 0.5f;
    ((float *)t->data)[1] = -2.0f;
    ASSERT_OK(fedc_example_set_bytes_list(ctx, ex, "tags", lengths, 4, &t));
    ASSERT_EQ(t->shape.dims[0], 1 + 18 + 0 + 6);
    uint8_t *p = t->data;
    for (int k = 0; k < 4; k++) {
        memcpy(p, tags[k], (size_t)lengths[k]);
        p += lengths[k];
    }
    ASSERT_OK(fedc_example_set(ctx, ex, "title", FEDC_DTYPE_UINT8, SHP(5), &t));
    memcpy(t->data, "hello", 5);
    ASSERT_OK(fedc_example_set(ctx, ex, "votes", FEDC_DTYPE_INT64, SHP(1), &t));
    ((int64_t *)t->data)[0] = 300;
}

static void assert_post(const fedc_example *ex) {
    int i = fedc_example_find(ex, "tags");
    ASSERT_GE(i, 0);
    ASSERT_TRUE(fedc_example_is_bytes_list(ex, i));
    ASSERT_EQ(fedc_example_bytes_count(ex, i), 4);
    assert_string(ex, i, 0, "c");
    assert_string(ex, i, 1, "federated-learning");
    assert_string(ex, i, 2, "");
    assert_string(ex, i, 3, "sqlite");
    int title = fedc_example_find(ex, "title");
    ASSERT_FALSE(fedc_example_is_bytes_list(ex, title));
    assert_string(ex, title, 0, "hello");
    ASSERT_EQ(fedc_example_bytes_count(ex, fedc_example_find(ex, "votes")), -1);
}

TEST(built_list_survives_encode_decode_and_copy) {
    fedc_example *ex, *back, *copy;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_example_create(ctx, &back));
    ASSERT_OK(fedc_example_create(ctx, &copy));
    make_post(ctx, ex);
    assert_post(ex);
    void *enc;
    size_t n;
    ASSERT_OK(fedc_tf_example_encode(ctx, ex, &enc, &n));
    ASSERT_OK(fedc_tf_example_decode(ctx, enc, n, NULL, 0, back));
    assert_post(back);
    assert_encodes_to(ctx, back, enc, n); /* name order is the order it was built in */
    ASSERT_OK(fedc_example_copy(ctx, copy, back));
    assert_post(copy);
    assert_encodes_to(ctx, copy, enc, n);
    fedc_free(enc);

    /* Setting the feature again by other means makes it a plain tensor. */
    fedc_tensor *t;
    ASSERT_OK(fedc_example_set(ctx, copy, "tags", FEDC_DTYPE_UINT8, SHP(3), &t));
    ASSERT_FALSE(fedc_example_is_bytes_list(copy, fedc_example_find(copy, "tags")));
    ASSERT_EQ(fedc_example_bytes_count(copy, fedc_example_find(copy, "tags")), 1);

    int64_t bad = -1;
    ASSERT_STATUS(fedc_example_set_bytes_list(ctx, copy, "x", &bad, 1, &t),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "feature 'x'");
    fedc_example_destroy(ex);
    fedc_example_destroy(back);
    fedc_example_destroy(copy);
}

TEST(specs_read_lists_by_total_length) {
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    fedc_feature_spec any = {"s", FEDC_DTYPE_UINT8, FEDC_SHAPE(-1)};
    ASSERT_OK(fedc_tf_example_decode(ctx, kTwoValues, sizeof kTwoValues, &any, 1, ex));
    ASSERT_EQ(fedc_example_bytes_count(ex, 0), 2);
    assert_string(ex, 0, 1, "bc");
    assert_encodes_to(ctx, ex, kTwoValues, sizeof kTwoValues);
    fedc_feature_spec wrong = {"s", FEDC_DTYPE_UINT8, FEDC_SHAPE(2)};
    ASSERT_STATUS(fedc_tf_example_decode(ctx, kTwoValues, sizeof kTwoValues, &wrong, 1, ex),
                  FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "feature 's': 3 values");
    fedc_feature_spec as_float = {"s", FEDC_DTYPE_FLOAT32, FEDC_SHAPE(-1)};
    ASSERT_STATUS(fedc_tf_example_decode(ctx, kTwoValues, sizeof kTwoValues, &as_float, 1, ex),
                  FEDC_STATUS_TYPE);
    fedc_example_destroy(ex);
}

TEST(lists_round_trip_through_a_sqlite_file) {
    char path[512];
    scratch_path(path, sizeof path, "lists.sqlite");
    fedc_example *ex, *got;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_example_create(ctx, &got));
    make_post(ctx, ex);
    void *want;
    size_t want_size;
    ASSERT_OK(fedc_tf_example_encode(ctx, ex, &want, &want_size));
    fedc_sqlite_writer *w;
    ASSERT_OK(fedc_sqlite_writer_create(ctx, path, &w));
    ASSERT_OK(fedc_sqlite_writer_add(ctx, w, "train", "alice", ex));
    ASSERT_OK(fedc_tf_example_decode(ctx, kTwoValues, sizeof kTwoValues, NULL, 0, got));
    ASSERT_OK(fedc_sqlite_writer_add(ctx, w, "train", "bob", got));
    ASSERT_OK(fedc_sqlite_writer_finish(ctx, w));
    fedc_sqlite_writer_destroy(w);

    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, NULL, &cd));
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "alice", &ds));
    bool more;
    ASSERT_OK(fedc_dataset_next(ctx, ds, got, &more));
    ASSERT_TRUE(more);
    assert_post(got);
    assert_encodes_to(ctx, got, want, want_size); /* the row's bytes, byte for byte */

    fedc_dataset *bob;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "bob", &bob));
    ASSERT_OK(fedc_dataset_next(ctx, bob, got, &more));
    ASSERT_TRUE(more);
    assert_encodes_to(ctx, got, kTwoValues, sizeof kTwoValues);
    fedc_dataset_destroy(bob);

    /* Batching stacks fixed shapes: a list is refused with its name and place. */
    ASSERT_OK(fedc_dataset_reset(ctx, ds));
    ASSERT_OK(fedc_dataset_batch(ctx, ds, 2, false, &ds));
    ASSERT_STATUS(fedc_dataset_next(ctx, ds, got, &more), FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "feature 'tags' of example 0");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "list of 4 byte strings");
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
    fedc_free(want);
    fedc_example_destroy(ex);
    fedc_example_destroy(got);
    unlink(path);
}
