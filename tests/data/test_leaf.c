/* test_leaf.c — LEAF JSON client data: the shared LEAF Shakespeare files with exact ids, counts
 * and samples; FEMNIST-like numeric samples and JSON escapes; Sent140's records (arrays of
 * strings) and other nested values as named features; invalid JSON and wrong LEAF structure
 * reported with the file, the offset (line, column) or the user.
 */
#include <stdio.h>
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

static bool bytes_eq(const fedc_tensor *t, const char *s) {
    return t->dtype == FEDC_DTYPE_UINT8 && t->shape.dims[0] == (int64_t)strlen(s) &&
           memcmp(t->data, s, strlen(s)) == 0;
}

TEST(leaf_shakespeare_train) {
    char path[512];
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_leaf(
        ctx, data_path(path, sizeof path, "leaf-shakespeare/train.json"), &cd));
    ASSERT_EQ(fedc_client_data_num_clients(cd), 10);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "MUCH_ADO_ABOUT_NOTHING_IAGO");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 0), 13790);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 9), "THE_TRAGEDY_OF_KING_LEAR_PHILOSTRATE");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 9), 823);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open(ctx, cd, 0, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x"),
                         "ch like his master's ass, For nought but provender, and when he's old, "
                         "cashier'd"));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "y"), "."));
    ASSERT_OK(fedc_dataset_skip(ctx, ds, 13788, &ds));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(got);
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x"), "'s none so foul and foolish thereunto, But "
                                                    "does foul pranks which fair and wise "));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "y"), "o"));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_FALSE(got);
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
    fedc_client_data_destroy(cd);

    ASSERT_OK(fedc_client_data_open_leaf(
        ctx, data_path(path, sizeof path, "leaf-shakespeare/test.json"), &cd));
    int64_t total = 0;
    for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++)
        total += fedc_client_data_num_examples(cd, c);
    ASSERT_EQ(total, 3881); /* num_samples says 4671: LEAF counts 79 more per user */
    fedc_client_data_destroy(cd);
}

static fedc_status open_text(fedc_ctx *ctx, const char *text, fedc_client_data **cd, char *path,
                             size_t size) {
    scratch_path(path, size, "leaf.json");
    write_file(path, text, strlen(text));
    return fedc_client_data_open_leaf(ctx, path, cd);
}

TEST(numeric_samples_and_escapes) {
    char path[512];
    fedc_client_data *cd;
    ASSERT_OK(open_text(ctx,
                        "{\"users\": [\"f_1\", \"caf\\u00e9\\ud83d\\ude00\"],\n"
                        " \"num_samples\": [2, 1],\n"
                        " \"user_data\": {\"f_1\": {\"x\": [[0.5, -1e2, 3], [0, 0, 0]], "
                        "\"y\": [7, 2.5]},\n"
                        "  \"caf\\u00e9\\ud83d\\ude00\": {\"x\": [\"a\\\"\\n\"], \"y\": [1]}}}",
                        &cd, path, sizeof path));
    ASSERT_EQ(fedc_client_data_num_clients(cd), 2);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "caf\xc3\xa9\xf0\x9f\x98\x80");
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "f_1", &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    const fedc_tensor *x = fedc_example_get(ex, "x"), *y = fedc_example_get(ex, "y");
    ASSERT_EQ(x->dtype, FEDC_DTYPE_FLOAT32);
    ASSERT_EQ(x->shape.dims[0], 3);
    ASSERT_EQ(((float *)x->data)[1], -100.0f);
    ASSERT_EQ(y->dtype, FEDC_DTYPE_INT32);
    ASSERT_EQ(((int32_t *)y->data)[0], 7);
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_EQ(fedc_example_get(ex, "y")->dtype, FEDC_DTYPE_FLOAT32);
    fedc_dataset_destroy(ds);
    ASSERT_OK(fedc_client_data_open(ctx, cd, 0, &ds));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x"), "a\"\n"));
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
    fedc_client_data_destroy(cd);
    remove(path);
}

TEST(bad_json_and_bad_leaf) {
    char path[512];
    fedc_client_data *cd;
    ASSERT_STATUS(open_text(ctx, "{\"users\": [\"a\",\n  \"b\" \"c\"]}", &cd, path, sizeof path),
                  FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), path);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "byte offset 22 (line 2, column 7): expected ',' or ']', found '\"'");
    ASSERT_NULL(cd);
    ASSERT_STATUS(open_text(ctx, "{\"a\": tru}", &cd, path, sizeof path), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 6 (line 1, column 7): expected a value");
    ASSERT_STATUS(open_text(ctx, "[\"abc", &cd, path, sizeof path), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "unterminated string, found end of input");
    ASSERT_STATUS(open_text(ctx, "{} x", &cd, path, sizeof path), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "expected the end of input, found 'x'");
    char deep[200];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    ASSERT_STATUS(open_text(ctx, deep, &cd, path, sizeof path), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "nesting deeper than 64");

    ASSERT_STATUS(open_text(ctx, "{\"users\": [\"u\"], \"user_data\": {}}", &cd, path, sizeof path),
                  FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "user 'u' has no \"x\" and \"y\" arrays in user_data");
    ASSERT_STATUS(open_text(ctx,
                            "{\"users\": [\"u\"], \"user_data\": {\"u\": {\"x\": [1, 2], "
                            "\"y\": [1]}}}",
                            &cd, path, sizeof path),
                  FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "user 'u' has 2 x values but 1 y values");
    ASSERT_STATUS(open_text(ctx,
                            "{\"users\": [\"u\"], \"num_samples\": [3, 4], \"user_data\": "
                            "{\"u\": {\"x\": [1], \"y\": [1]}}}",
                            &cd, path, sizeof path),
                  FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "\"num_samples\" has 2 entries for 1 users");
    ASSERT_STATUS(open_text(ctx,
                            "{\"users\": [\"u\"], \"user_data\": {\"u\": {\"x\": [1, [\"s\", "
                            "[2, true]]], \"y\": [1, 2]}}}",
                            &cd, path, sizeof path),
                  FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "user 'u', sample 1: 'x_1_1' is a boolean");
    ASSERT_STATUS(open_text(ctx,
                            "{\"users\": [\"u\"], \"user_data\": {\"u\": {\"x\": [null], "
                            "\"y\": [1]}}}",
                            &cd, path, sizeof path),
                  FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "user 'u', sample 0: 'x' is null");
    /* A member named like a position: two parts would share one feature name. */
    ASSERT_STATUS(open_text(ctx,
                            "{\"users\": [\"u\"], \"user_data\": {\"u\": {\"x\": [{\"a_0\": "
                            "\"p\", \"a\": [\"q\"]}], \"y\": [1]}}}",
                            &cd, path, sizeof path),
                  FEDC_STATUS_UNSUPPORTED);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "'x_a': two parts are both named 'x_a_0'");
    remove(path);
    ASSERT_STATUS(fedc_client_data_open_leaf(ctx, path, &cd), FEDC_STATUS_IO);
}

/* Damaged copies of a small LEAF file: any status, never a crash or a leak (ASan checks). */
TEST(mutated_json_never_crashes) {
    static const char text[] = "{\"users\": [\"b\", \"a\"], \"num_samples\": [2, 1], \"user_data\":"
                               " {\"a\": {\"x\": [\"h\\u00e9llo\"], \"y\": [1]}, \"b\": {\"x\": "
                               "[[1.5e3, -2], [3, 4]], \"y\": [0, 1]}}}";
    char path[512];
    scratch_path(path, sizeof path, "mutated.json");
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST, 3);
    static const char alphabet[] = "{}[]\",:\\u0123456789.eE+-truefalsnl ab";
    int ok = 0;
    for (int k = 0; k < 300; k++) {
        char buf[sizeof text];
        memcpy(buf, text, sizeof text);
        size_t len = sizeof text - 1;
        int edits = 1 + (int)fedc_rng_below(&rng, 3);
        for (int e = 0; e < edits; e++)
            buf[fedc_rng_below(&rng, len)] = alphabet[fedc_rng_below(&rng, sizeof alphabet - 1)];
        if (fedc_rng_below(&rng, 4) == 0) len = (size_t)fedc_rng_below(&rng, len);
        write_file(path, buf, len);
        fedc_client_data *cd;
        if (fedc_client_data_open_leaf(ctx, path, &cd) == FEDC_STATUS_OK) {
            ok++;
            fedc_client_data_destroy(cd);
        } else {
            ASSERT_NE(fedc_ctx_message(ctx)[0], '\0');
        }
    }
    ASSERT_LT(ok, 300);
    ASSERT_GT(ok, 0);
    remove(path);
}

/* LEAF's Sent140 (data/sent140/preprocess/data_to_json.py): each x is the Sentiment140 CSV row
 * after the polarity — tweet id, date, query, user, text — plus the file it came from; y is 1
 * for a positive tweet (polarity 4), else 0. Hand-written in that format. */
static const char kSent140[] =
    "{\"users\": [\"zoe_k\", \"amy\"], \"num_samples\": [2, 1], \"user_data\": {"
    "\"zoe_k\": {\"x\": [[\"1467810369\", \"Mon Apr 06 22:19:45 PDT 2009\", \"NO_QUERY\", "
    "\"zoe_k\", \"is upset that he can't update his Facebook \\\"by texting\\\" it...\", "
    "\"training\"], [\"1467810672\", \"Mon Apr 06 22:19:49 PDT 2009\", \"NO_QUERY\", \"zoe_k\", "
    "\"caf\\u00e9 time \\ud83d\\ude00\", \"test\"]], \"y\": [0, 1]}, "
    "\"amy\": {\"x\": [[\"1467811184\", \"Mon Apr 06 22:19:57 PDT 2009\", \"NO_QUERY\", \"amy\", "
    "\"\", \"training\"]], \"y\": [1]}}}";

TEST(sent140_records_become_named_string_features) {
    char path[512];
    fedc_client_data *cd;
    ASSERT_OK(open_text(ctx, kSent140, &cd, path, sizeof path));
    ASSERT_EQ(fedc_client_data_num_clients(cd), 2);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "amy");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 1), 2);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "zoe_k", &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(got);
    ASSERT_EQ(fedc_example_count(ex), 7);
    static const char *const names[] = {"x_0", "x_1", "x_2", "x_3", "x_4", "x_5", "y"};
    for (int i = 0; i < 7; i++)
        ASSERT_STREQ(fedc_example_name(ex, i), names[i]);
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_0"), "1467810369"));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_1"), "Mon Apr 06 22:19:45 PDT 2009"));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_2"), "NO_QUERY"));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_3"), "zoe_k"));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_4"),
                         "is upset that he can't update his Facebook \"by texting\" it..."));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_5"), "training"));
    const fedc_tensor *y = fedc_example_get(ex, "y");
    ASSERT_EQ(y->dtype, FEDC_DTYPE_INT32);
    ASSERT_EQ(y->shape.rank, 0);
    ASSERT_EQ(((const int32_t *)y->data)[0], 0);
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_4"), "caf\xc3\xa9 time \xf0\x9f\x98\x80"));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_5"), "test"));
    ASSERT_EQ(((const int32_t *)fedc_example_get(ex, "y")->data)[0], 1);
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_FALSE(got);
    fedc_dataset_destroy(ds);

    /* An empty text is an empty byte string, not a missing feature. */
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "amy", &ds));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_4"), ""));

    /* The examples go into a TFF SQLite file and come back unchanged. */
    char db[512];
    scratch_path(db, sizeof db, "sent140.sqlite");
    fedc_sqlite_writer *w;
    ASSERT_OK(fedc_sqlite_writer_create(ctx, db, &w));
    ASSERT_OK(fedc_sqlite_writer_add(ctx, w, "train", "amy", ex));
    ASSERT_OK(fedc_sqlite_writer_finish(ctx, w));
    fedc_sqlite_writer_destroy(w);
    fedc_client_data *back;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, db, NULL, &back));
    fedc_dataset *bds;
    fedc_example *bex;
    ASSERT_OK(fedc_example_create(ctx, &bex));
    ASSERT_OK(fedc_client_data_open_id(ctx, back, "amy", &bds));
    ASSERT_OK(fedc_dataset_next(ctx, bds, bex, &got));
    ASSERT_TRUE(got);
    ASSERT_TRUE(bytes_eq(fedc_example_get(bex, "x_1"), "Mon Apr 06 22:19:57 PDT 2009"));
    ASSERT_TRUE(bytes_eq(fedc_example_get(bex, "x_4"), ""));
    fedc_dataset_destroy(bds);
    fedc_example_destroy(bex);
    fedc_client_data_destroy(back);
    remove(db);

    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
    fedc_client_data_destroy(cd);
    remove(path);
}

TEST(records_as_objects_and_nested_arrays) {
    char path[512];
    fedc_client_data *cd;
    ASSERT_OK(open_text(ctx,
                        "{\"users\": [\"u\"], \"user_data\": {\"u\": {\"x\": [{\"text\": \"hi\", "
                        "\"pos\": [1, 2.5], \"meta\": [\"a\", 7]}], \"y\": [[\"neg\", 3]]}}}",
                        &cd, path, sizeof path));
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open(ctx, cd, 0, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_text"), "hi"));
    const fedc_tensor *pos = fedc_example_get(ex, "x_pos");
    ASSERT_EQ(pos->dtype, FEDC_DTYPE_FLOAT32);
    ASSERT_EQ(pos->shape.dims[0], 2);
    ASSERT_NEAR(((const float *)pos->data)[1], 2.5, 0);
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "x_meta_0"), "a"));
    const fedc_tensor *seven = fedc_example_get(ex, "x_meta_1");
    ASSERT_EQ(seven->dtype, FEDC_DTYPE_FLOAT32); /* x's numbers are float, as before */
    ASSERT_NEAR(((const float *)seven->data)[0], 7, 0);
    ASSERT_TRUE(bytes_eq(fedc_example_get(ex, "y_0"), "neg"));
    ASSERT_EQ(fedc_example_get(ex, "y_1")->dtype, FEDC_DTYPE_INT32); /* y's integral: int32 */
    ASSERT_NULL(fedc_example_get(ex, "x"));
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
    fedc_client_data_destroy(cd);
    remove(path);
}
