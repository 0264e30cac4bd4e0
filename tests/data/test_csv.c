/* test_csv.c — the CSV reader (quotes, CRLF, blank lines, id columns; ragged rows, non-numbers,
 * unterminated quotes named by line and column) and the CSV importer (partitioned and natural
 * clients, read back through the SQLite client data).
 */
#include <stdio.h>
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

static fedc_status parse(fedc_ctx *ctx, const char *text, const char *id, fedc_csv_table *t) {
    return fedc_csv_parse(ctx, "t.csv", text, strlen(text), id, t);
}

TEST(parse_numbers_quotes_crlf_and_ids) {
    fedc_csv_table t;
    ASSERT_OK(parse(ctx,
                    "user,\"a,b\",label\r\n"
                    "alice,1.5,2\r\n"
                    "\r\n"
                    "\"bob \"\"b\"\"\",-3e2,0\r\n"
                    "alice, 7 ,1\n",
                    "user", &t));
    ASSERT_EQ(t.rows, 3);
    ASSERT_EQ(t.cols, 3);
    ASSERT_EQ(t.id_col, 0);
    ASSERT_STREQ(t.names[1], "a,b");
    ASSERT_STREQ(t.ids[1], "bob \"b\"");
    ASSERT_STREQ(t.ids[2], "alice");
    ASSERT_EQ(t.values[0 * 3 + 1], 1.5);
    ASSERT_EQ(t.values[1 * 3 + 1], -300.0);
    ASSERT_EQ(t.values[2 * 3 + 1], 7.0);
    ASSERT_EQ(t.values[2 * 3 + 2], 1.0);
    fedc_csv_table_free(&t);
    ASSERT_OK(parse(ctx, "x,y\n1,2", NULL, &t)); /* no final newline */
    ASSERT_EQ(t.rows, 1);
    ASSERT_EQ(t.values[1], 2.0);
    ASSERT_NULL(t.ids);
    fedc_csv_table_free(&t);
}

TEST(parse_errors_name_line_and_column) {
    fedc_csv_table t;
    ASSERT_STATUS(parse(ctx, "a,b\n1,2\n3,4,5\n", NULL, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "t.csv:3: ragged row: 3 fields, the header has 2");
    ASSERT_STATUS(parse(ctx, "a,b\n1\n", NULL, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "t.csv:2: ragged row: 1 fields");
    ASSERT_STATUS(parse(ctx, "a,b\n1,2\n1,x2\n", NULL, &t), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "t.csv:3:3: column 'b': expected a number, found 'x2'");
    ASSERT_STATUS(parse(ctx, "a,b\n1,\n", NULL, &t), FEDC_STATUS_PARSE);
    ASSERT_STATUS(parse(ctx, "a,b\n\"1,2\n", NULL, &t), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "unterminated quoted field");
    ASSERT_STATUS(parse(ctx, "\n\n", NULL, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "empty file");
    ASSERT_STATUS(parse(ctx, "a,b\n1,2\n", "user", &t), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no id column 'user'");
    ASSERT_EQ(t.rows, 0); /* zeroed on error */
    ASSERT_NULL(t.values);
}

static const char *write_csv(char *buf, size_t size, const char *tag, const char *text) {
    scratch_path(buf, size, tag);
    write_file(buf, text, strlen(text));
    return buf;
}

TEST(import_partitioned_and_read_back) {
    char csv[512], db[512];
    char text[4096] = "f1,label,f2\n";
    for (int i = 0; i < 40; i++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "%d,%d,%.1f\n", i, i % 4, -i - 0.5);
    }
    write_csv(csv, sizeof csv, "imp.csv", text);
    scratch_path(db, sizeof db, "imp.sqlite");
    fedc_csv_import_opts o = fedc_csv_import_opts_default();
    fedc_partition_opts p = fedc_partition_opts_default();
    p.kind = FEDC_PARTITION_SHARDS;
    p.num_clients = 4;
    p.shards_per_client = 1;
    fedc_partition_stats stats;
    ASSERT_OK(fedc_import_csv(ctx, csv, db, &o, &p, &stats));
    ASSERT_EQ(stats.num_clients, 4);
    ASSERT_EQ(stats.num_classes, 4);
    ASSERT_EQ(stats.max_labels, 1); /* one shard each, shards are label-sorted */
    ASSERT_EQ(stats.min_size, 10);
    fedc_partition_stats_free(&stats);
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, db, NULL, &cd));
    ASSERT_EQ(fedc_client_data_num_clients(cd), 4);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "client_00000");
    fedc_dataset *ds;
    fedc_example *ex;
    ASSERT_OK(fedc_client_data_open(ctx, cd, 2, &ds));
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    int64_t seen = 0, label = -1;
    for (;;) {
        ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
        if (!got) break;
        const fedc_tensor *x = fedc_example_get(ex, "x"), *l = fedc_example_get(ex, "label");
        ASSERT_NOT_NULL(x);
        ASSERT_NOT_NULL(l);
        ASSERT_EQ(x->shape.rank, 1);
        ASSERT_EQ(x->shape.dims[0], 2);
        float f1 = ((float *)x->data)[0], f2 = ((float *)x->data)[1];
        ASSERT_EQ(f2, -f1 - 0.5f); /* the row's own features, label column left out */
        int64_t lv = ((int64_t *)l->data)[0];
        ASSERT_EQ(lv, (int64_t)f1 % 4);
        if (label >= 0) ASSERT_EQ(lv, label);
        label = lv;
        seen++;
    }
    ASSERT_EQ(seen, 10);
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
    remove(csv);
    remove(db);
}

TEST(import_natural_ids) {
    char csv[512], db[512];
    write_csv(csv, sizeof csv, "nat.csv",
              "label,user,v\n1,zed,0.5\n0,amy,1\n1,zed,2\n2,amy,3\n0,bo,4\n");
    scratch_path(db, sizeof db, "nat.sqlite");
    fedc_csv_import_opts o = fedc_csv_import_opts_default();
    o.id_column = "user";
    fedc_partition_opts p = fedc_partition_opts_default();
    fedc_partition_stats stats;
    ASSERT_OK(fedc_import_csv(ctx, csv, db, &o, &p, &stats));
    ASSERT_EQ(stats.num_clients, 3);
    ASSERT_EQ(stats.sizes[0], 2); /* amy */
    ASSERT_EQ(stats.sizes[1], 1); /* bo */
    ASSERT_EQ(stats.sizes[2], 2); /* zed */
    fedc_partition_stats_free(&stats);
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, db, NULL, &cd));
    ASSERT_EQ(fedc_client_data_num_clients(cd), 3);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "amy");
    ASSERT_STREQ(fedc_client_data_client_id(cd, 2), "zed");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 2), 2);
    fedc_dataset *ds;
    fedc_example *ex;
    bool got;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "amy", &ds));
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(got);
    ASSERT_EQ(((float *)fedc_example_get(ex, "x")->data)[0], 1.0f);
    ASSERT_EQ(fedc_example_get(ex, "x")->shape.dims[0], 1);
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
    remove(csv);
    remove(db);
}

TEST(import_errors) {
    char csv[512], db[512];
    fedc_csv_import_opts o = fedc_csv_import_opts_default();
    fedc_partition_opts p = fedc_partition_opts_default();
    p.num_clients = 1;
    scratch_path(db, sizeof db, "err.sqlite");
    write_csv(csv, sizeof csv, "err1.csv", "a,b\n1,2\n");
    ASSERT_STATUS(fedc_import_csv(ctx, csv, db, &o, &p, NULL), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no label column 'label'");
    write_csv(csv, sizeof csv, "err2.csv", "label,b\n1,2\n2.5,3\n");
    ASSERT_STATUS(fedc_import_csv(ctx, csv, db, &o, &p, NULL), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "data row 2: label 2.5");
    write_csv(csv, sizeof csv, "err3.csv", "label,b\n1,2\n2\n");
    ASSERT_STATUS(fedc_import_csv(ctx, csv, db, &o, &p, NULL), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), ":3: ragged row");
    ASSERT_STATUS(fedc_import_csv(ctx, "/nonexistent/x.csv", db, &o, &p, NULL), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "/nonexistent/x.csv");
    remove(csv);
    remove(db);
}

static fedc_status op_parse(fedc_ctx *ctx, void *arg) {
    fedc_csv_table *t = arg;
    return parse(ctx, "id,a,b\nx,1,2\ny,3,4\n\"z\",5,6\n", "id", t);
}

static void release_table(void *arg) { fedc_csv_table_free(arg); }

TEST(parse_under_allocation_failure) {
    fedc_csv_table t;
    ASSERT_GT(fedc_test_alloc_sweep(ctx, op_parse, release_table, &t), 3);
}
