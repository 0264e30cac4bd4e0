/* test_preprocess.c — TFF's EMNIST and Shakespeare preprocessing on the real sample files,
 * checked against values computed by TFF's algorithm (CHAR_VOCAB lookup + 1, BOS/EOS, padding to
 * multiples of 81, x/y shifted by one).
 */
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

static fedc_dataset *open_client(fedc_ctx *ctx, const char *file, const char *split,
                                 const char *client) {
    char path[512];
    data_path(path, sizeof path, file);
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = split;
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, client, &ds));
    fedc_client_data_destroy(cd);
    return ds;
}

TEST(emnist_flat_and_image) {
    fedc_dataset *ds =
        open_client(ctx, "tff-sqlite/emnist_sample.sqlite", "digits_only_train", "f0230_15");
    ASSERT_OK(fedc_dataset_emnist_preprocess(ctx, ds, true, &ds));
    ASSERT_OK(fedc_dataset_batch(ctx, ds, 20, false, &ds));
    ASSERT_EQ(fedc_dataset_cardinality(ds), 3);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_STREQ(fedc_example_name(ex, 0), "x");
    const fedc_tensor *x = fedc_example_get(ex, "x"), *y = fedc_example_get(ex, "y");
    ASSERT_EQ(x->shape.rank, 2);
    ASSERT_EQ(x->shape.dims[0], 20);
    ASSERT_EQ(x->shape.dims[1], 784);
    ASSERT_EQ(((float *)x->data)[125], 0.6078431606292725f);
    ASSERT_EQ(((float *)x->data)[784 + 186], 0.5176470875740051f);
    ASSERT_EQ(y->dtype, FEDC_DTYPE_INT32);
    ASSERT_EQ(y->shape.rank, 1);
    ASSERT_EQ(((int32_t *)y->data)[0], 5);
    ASSERT_EQ(((int32_t *)y->data)[1], 4);
    ASSERT_EQ(((int32_t *)y->data)[19], 7);
    fedc_dataset_destroy(ds);

    ds = open_client(ctx, "tff-sqlite/emnist_sample.sqlite", "digits_only_train", "f0230_15");
    ASSERT_OK(fedc_dataset_emnist_preprocess(ctx, ds, false, &ds));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    x = fedc_example_get(ex, "x");
    ASSERT_EQ(x->shape.rank, 3);
    ASSERT_EQ(x->shape.dims[0], 28);
    ASSERT_EQ(x->shape.dims[2], 1);
    ASSERT_EQ(fedc_tensor_get(x, (int64_t[]){4, 13, 0}), (double)0.6078431606292725f);
    fedc_dataset_destroy(ds);

    /* A Shakespeare client is not EMNIST: the error names the missing feature. */
    ds = open_client(ctx, "tff-sqlite/shakespeare_sample.sqlite", "train", "THE_TRAGEDY_OF_ALL");
    ASSERT_OK(fedc_dataset_emnist_preprocess(ctx, ds, true, &ds));
    ASSERT_STATUS(fedc_dataset_next(ctx, ds, ex, &got), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "emnist preprocessing: no feature 'pixels'; the example has: snippets");
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
}

TEST(shakespeare_vocabulary) {
    ASSERT_EQ(strlen(fedc_shakespeare_vocab()), 86u);
    ASSERT_EQ(fedc_shakespeare_char_id('d'), 1);
    ASSERT_EQ(fedc_shakespeare_char_id('\r'), 86);
    ASSERT_EQ(fedc_shakespeare_char_id(' '), 14);
    ASSERT_EQ(fedc_shakespeare_char_id('\n'), 63);
    ASSERT_EQ(fedc_shakespeare_char_id('~'), FEDC_SHAKESPEARE_OOV);
    ASSERT_EQ(fedc_shakespeare_char_id(0), FEDC_SHAKESPEARE_OOV);
    ASSERT_EQ(fedc_shakespeare_char_id(0xc3), FEDC_SHAKESPEARE_OOV);
}

TEST(shakespeare_sequences) {
    fedc_dataset *ds =
        open_client(ctx, "tff-sqlite/shakespeare_sample.sqlite", "train", "THE_TRAGEDY_OF_ALL");
    ASSERT_OK(fedc_dataset_shakespeare_preprocess(ctx, ds, FEDC_SHAKESPEARE_SEQUENCE_LENGTH, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    const fedc_tensor *x = fedc_example_get(ex, "x"), *y = fedc_example_get(ex, "y");
    ASSERT_EQ(x->shape.dims[0], 80);
    /* "Speak, speak." -> BOS S p e a k , ' ' s p e a k . EOS PAD ... */
    static const int32_t want[16] = {88, 31, 4, 65, 64, 23, 17, 14, 25, 4, 65, 64, 23, 59, 89, 0};
    const int32_t *xv = x->data, *yv = y->data;
    for (int i = 0; i < 16; i++)
        ASSERT_EQ(xv[i], want[i]);
    for (int i = 0; i < 15; i++)
        ASSERT_EQ(yv[i], want[i + 1]);
    ASSERT_EQ(xv[79], 0);
    ASSERT_EQ(yv[79], 0);
    int64_t rest;
    ASSERT_OK(fedc_dataset_count(ctx, ds, &rest));
    ASSERT_EQ(rest, 13); /* 14 snippets, each shorter than 79 characters */
    fedc_dataset_destroy(ds);

    /* A 532-character snippet (rowid 103) makes 7 sequences: 534 tokens padded to 567. */
    ds = open_client(ctx, "tff-sqlite/shakespeare_sample.sqlite", "train",
                     "THE_TRAGEDY_OF_THIRD_CITIZEN");
    ASSERT_OK(fedc_dataset_shakespeare_preprocess(ctx, ds, 80, &ds));
    bool found = false, prev_matched = false;
    while (!found && fedc_dataset_next(ctx, ds, ex, &got) == FEDC_STATUS_OK && got) {
        const int32_t *row = fedc_example_get(ex, "x")->data;
        if (prev_matched) {
            /* the second piece starts at token 81 of the snippet */
            static const int32_t want2[5] = {14, 21, 64, 46, 46};
            for (int k = 0; k < 5; k++)
                ASSERT_EQ(row[k], want2[k]);
            found = true;
        }
        static const char kStart[] = "Are you all resolved";
        prev_matched = row[0] == FEDC_SHAKESPEARE_BOS;
        for (int k = 0; prev_matched && kStart[k]; k++)
            prev_matched = row[k + 1] == fedc_shakespeare_char_id((unsigned char)kStart[k]);
    }
    ASSERT_TRUE(found);
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
}

TEST(shakespeare_all_train_clients) {
    char path[512];
    data_path(path, sizeof path, "tff-sqlite/shakespeare_sample.sqlite");
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    int64_t total = 0;
    for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
        fedc_dataset *ds;
        ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
        ASSERT_OK(fedc_dataset_shakespeare_preprocess(ctx, ds, 80, &ds));
        int64_t n;
        ASSERT_OK(fedc_dataset_count(ctx, ds, &n));
        total += n;
        fedc_dataset_destroy(ds);
    }
    ASSERT_EQ(total, 332);
    fedc_client_data_destroy(cd);
}

TEST(tokenize_chars) {
    fedc_dataset *ds =
        open_client(ctx, "tff-sqlite/shakespeare_sample.sqlite", "train", "THE_TRAGEDY_OF_ALL");
    ASSERT_OK(fedc_dataset_tokenize_chars(ctx, ds, "snippets", NULL, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    const fedc_tensor *t = fedc_example_get(ex, "snippets");
    ASSERT_EQ(t->dtype, FEDC_DTYPE_INT32);
    ASSERT_EQ(t->shape.dims[0], 13); /* "Speak, speak." */
    static const int32_t want[13] = {31, 4, 65, 64, 23, 17, 14, 25, 4, 65, 64, 23, 59};
    for (int i = 0; i < 13; i++)
        ASSERT_EQ(((int32_t *)t->data)[i], want[i]);
    fedc_dataset_destroy(ds);

    ds = open_client(ctx, "tff-sqlite/shakespeare_sample.sqlite", "train", "THE_TRAGEDY_OF_ALL");
    ASSERT_OK(fedc_dataset_tokenize_chars(ctx, ds, "snippets", "Sp", &ds));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    t = fedc_example_get(ex, "snippets");
    ASSERT_EQ(((int32_t *)t->data)[0], 1); /* 'S' */
    ASSERT_EQ(((int32_t *)t->data)[1], 2); /* 'p' */
    ASSERT_EQ(((int32_t *)t->data)[2], 3); /* 'e': out of vocabulary */
    fedc_dataset_destroy(ds);

    ds = open_client(ctx, "tff-sqlite/emnist_sample.sqlite", "digits_only_train", "f0230_15");
    ASSERT_OK(fedc_dataset_tokenize_chars(ctx, ds, "pixels", NULL, &ds));
    ASSERT_STATUS(fedc_dataset_next(ctx, ds, ex, &got), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "tokenize 'pixels': float32, expected uint8 bytes");
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);
}
