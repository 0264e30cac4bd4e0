/* test_speakers.c — the speaker-header importer on tinyshakespeare: roles as clients, speeches as
 * snippets, the per-role train/test cut, values checked against a Python reading of the same
 * rules; and a text with no headers.
 */
#include <stdio.h>
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

static fedc_client_data *open_split(fedc_ctx *ctx, const char *path, const char *split) {
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = split;
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    return cd;
}

static void first_snippet(fedc_ctx *ctx, fedc_client_data *cd, const char *id, const char *want) {
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, id, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(got);
    const fedc_tensor *s = fedc_example_get(ex, "snippets");
    ASSERT_EQ(s->shape.dims[0], (int64_t)strlen(want));
    ASSERT_EQ(memcmp(s->data, want, strlen(want)), 0);
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
}

TEST(tinyshakespeare_by_role) {
    char text[512], out[512];
    data_path(text, sizeof text, "tinyshakespeare/input.txt");
    scratch_path(out, sizeof out, "speakers.sqlite");
    int64_t roles;
    ASSERT_OK(fedc_import_speakers(ctx, text, out, NULL, &roles));
    ASSERT_EQ(roles, 441);
    fedc_client_data *train = open_split(ctx, out, "train");
    fedc_client_data *test = open_split(ctx, out, "test");
    ASSERT_EQ(fedc_client_data_num_clients(train), 441);
    ASSERT_STREQ(fedc_client_data_client_id(train, 0), "ABBOT");
    ASSERT_EQ(fedc_client_data_num_clients(test), 185);
    int64_t idx, total_test = 0;
    ASSERT_OK(fedc_client_data_find(ctx, train, "FIRST_CITIZEN", &idx));
    ASSERT_EQ(fedc_client_data_num_examples(train, idx), 35);
    ASSERT_OK(fedc_client_data_find(ctx, test, "FIRST_CITIZEN", &idx));
    ASSERT_EQ(fedc_client_data_num_examples(test, idx), 8);
    for (int64_t i = 0; i < 185; i++)
        total_test += fedc_client_data_num_examples(test, i);
    ASSERT_EQ(total_test, 1274);
    first_snippet(ctx, train, "ALL", "Speak, speak.");
    first_snippet(ctx, train, "FIRST_CITIZEN", "Before we proceed any further, hear me speak.");
    first_snippet(ctx, test, "FIRST_CITIZEN", "Give you good morrow, sir.");
    /* The snippets feed TFF's character preprocessing as TFF's own files do. */
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, train, "ALL", &ds));
    ASSERT_OK(fedc_dataset_shakespeare_preprocess(ctx, ds, 80, &ds));
    int64_t n;
    ASSERT_OK(fedc_dataset_count(ctx, ds, &n));
    ASSERT_GT(n, 0);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(train);
    fedc_client_data_destroy(test);
    ASSERT_STATUS(fedc_import_speakers(ctx, text, out, NULL, &roles), FEDC_STATUS_EXISTS);
    remove(out);
}

TEST(text_without_speakers) {
    char text[512], out[512];
    scratch_path(text, sizeof text, "prose.txt");
    scratch_path(out, sizeof out, "prose.sqlite");
    static const char prose[] = "it was a dark and stormy night:\nand nobody spoke.\n";
    write_file(text, prose, sizeof prose - 1);
    ASSERT_STATUS(fedc_import_speakers(ctx, text, out, NULL, NULL), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no speaker headers");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), text);
    remove(text);
}
