/* test_sqlite.c — TFF ClientData SQLite files: the shared samples (written by TFF's schema and
 * the protobuf library) read with exact values, a file written by fedc read back, and every bad
 * input (missing file, not a database, missing table, malformed row, unknown client or split)
 * reported with the file and the client or row.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

static fedc_client_data *open_emnist(fedc_ctx *ctx, const char *split,
                                     const fedc_feature_spec *specs, int nspecs) {
    char path[512];
    data_path(path, sizeof path, "tff-sqlite/emnist_sample.sqlite");
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = split;
    o.specs = specs;
    o.nspecs = nspecs;
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    return cd;
}

TEST(emnist_clients_sorted_with_counts) {
    fedc_client_data *cd = open_emnist(ctx, "digits_only_train", NULL, 0);
    ASSERT_EQ(fedc_client_data_num_clients(cd), 12);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "f0230_15");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 0), 43);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 11), "f3992_32");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 11), 38);
    for (int64_t i = 1; i < 12; i++)
        ASSERT_LT(strcmp(fedc_client_data_client_id(cd, i - 1), fedc_client_data_client_id(cd, i)),
                  0);
    int64_t total = 0;
    for (int64_t i = 0; i < 12; i++)
        total += fedc_client_data_num_examples(cd, i);
    ASSERT_EQ(total, 415);
    int64_t idx;
    ASSERT_OK(fedc_client_data_find(ctx, cd, "f1687_21", &idx));
    ASSERT_EQ(idx, 7);
    fedc_client_data_destroy(cd);

    /* No split: every split, as TFF's split_name=None. */
    cd = open_emnist(ctx, NULL, NULL, 0);
    ASSERT_EQ(fedc_client_data_num_examples(cd, 0), 44);
    fedc_client_data_destroy(cd);
}

TEST(emnist_first_client_exact_values) {
    fedc_client_data *cd = open_emnist(ctx, "digits_only_train", NULL, 0);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open(ctx, cd, 0, &ds));
    fedc_client_data_destroy(cd); /* the dataset outlives its client data */
    ASSERT_EQ(fedc_dataset_cardinality(ds), 43);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    static const int kLabels[43] = {5, 4, 6, 9, 7, 0, 3, 7, 3, 2, 6, 6, 5, 4, 7,
                                    3, 6, 1, 6, 7, 2, 1, 8, 4, 5, 0, 4, 8, 4, 3,
                                    1, 5, 4, 6, 2, 2, 5, 9, 7, 1, 7, 0, 6};
    bool got;
    for (int i = 0; i < 43; i++) {
        ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
        ASSERT_TRUE(got);
        const fedc_tensor *label = fedc_example_require(ctx, ex, "label");
        ASSERT_NOT_NULL(label);
        ASSERT_EQ(((int64_t *)label->data)[0], kLabels[i]);
        if (i == 0) {
            const float *px = fedc_example_get(ex, "pixels")->data;
            ASSERT_EQ(px[0], 1.0f);
            ASSERT_EQ(px[124], 1.0f);
            ASSERT_EQ(px[125], 0.6078431606292725f);
            ASSERT_EQ(px[126], 0.3843137323856354f);
            ASSERT_EQ(px[127], 0.003921568859368563f);
            double sum = 0;
            for (int k = 0; k < 784; k++)
                sum += px[k];
            ASSERT_NEAR(sum, 632.99607926514, 1e-9);
        }
    }
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_FALSE(got);
    /* Restart: the same first example again. */
    ASSERT_OK(fedc_dataset_reset(ctx, ds));
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_EQ(((int64_t *)fedc_example_get(ex, "label")->data)[0], 5);
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
}

TEST(emnist_with_tff_parse_spec) {
    /* TFF's emnist parse spec: pixels FixedLenFeature([28, 28], float32), label int (cast to
     * int32 by TFF). */
    fedc_feature_spec specs[] = {{"pixels", FEDC_DTYPE_FLOAT32, FEDC_SHAPE(28, 28)},
                                 {"label", FEDC_DTYPE_INT32, FEDC_SHAPE0}};
    fedc_client_data *cd = open_emnist(ctx, "digits_only_test", specs, 2);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "f0540_51", &ds));
    fedc_client_data_destroy(cd);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_STREQ(fedc_example_name(ex, 0), "pixels");
    const fedc_tensor *px = fedc_example_tensor(ex, 0);
    ASSERT_EQ(px->shape.rank, 2);
    ASSERT_EQ(px->shape.dims[1], 28);
    const fedc_tensor *label = fedc_example_tensor(ex, 1);
    ASSERT_EQ(label->dtype, FEDC_DTYPE_INT32);
    ASSERT_EQ(label->shape.rank, 0);
    int64_t n;
    ASSERT_OK(fedc_dataset_count(ctx, ds, &n));
    ASSERT_EQ(n, 10); /* 11 in all, one already read */
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
}

TEST(shakespeare_snippets) {
    char path[512];
    data_path(path, sizeof path, "tff-sqlite/shakespeare_sample.sqlite");
    char **splits;
    int64_t nsplits;
    ASSERT_OK(fedc_sqlite_splits(ctx, path, &splits, &nsplits));
    ASSERT_EQ(nsplits, 2);
    ASSERT_STREQ(splits[0], "test");
    ASSERT_STREQ(splits[1], "train");
    fedc_string_list_free(splits, nsplits);

    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    ASSERT_EQ(fedc_client_data_num_clients(cd), 8);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "THE_TRAGEDY_OF_ALL");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 0), 14);
    ASSERT_STREQ(fedc_client_data_client_id(cd, 6), "THE_TRAGEDY_OF_SICINIUS");
    ASSERT_EQ(fedc_client_data_num_examples(cd, 6), 90);
    fedc_dataset *ds;
    ASSERT_OK(fedc_client_data_open(ctx, cd, 0, &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    static const char *const want[] = {"Speak, speak.", "Resolved. resolved.",
                                       "We know't, we know't."};
    bool got;
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
        const fedc_tensor *s = fedc_example_get(ex, "snippets");
        ASSERT_EQ(s->shape.dims[0], (int64_t)strlen(want[i]));
        ASSERT_EQ(memcmp(s->data, want[i], strlen(want[i])), 0);
    }
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
}

TEST(write_then_read_back) {
    fedc_client_data *src = open_emnist(ctx, NULL, NULL, 0);
    char out[512];
    scratch_path(out, sizeof out, "roundtrip.sqlite");
    fedc_sqlite_writer *w;
    ASSERT_OK(fedc_sqlite_writer_create(ctx, out, &w));
    fedc_example *ex, *ex2;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_example_create(ctx, &ex2));
    const char *splits[] = {"digits_only_train", "digits_only_test"};
    for (int s = 0; s < 2; s++) {
        fedc_client_data *cd = open_emnist(ctx, splits[s], NULL, 0);
        for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
            fedc_dataset *ds;
            ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
            bool got;
            while (fedc_dataset_next(ctx, ds, ex, &got) == FEDC_STATUS_OK && got)
                ASSERT_OK(fedc_sqlite_writer_add(ctx, w, splits[s],
                                                 fedc_client_data_client_id(cd, c), ex));
            fedc_dataset_destroy(ds);
        }
        fedc_client_data_destroy(cd);
    }
    ASSERT_OK(fedc_sqlite_writer_finish(ctx, w));
    fedc_sqlite_writer_destroy(w);
    ASSERT_STATUS(fedc_sqlite_writer_create(ctx, out, &w), FEDC_STATUS_EXISTS);

    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    fedc_client_data *back;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, out, &o, &back));
    ASSERT_EQ(fedc_client_data_num_clients(back), 12);
    for (int64_t c = 0; c < 12; c++) {
        ASSERT_STREQ(fedc_client_data_client_id(back, c), fedc_client_data_client_id(src, c));
        ASSERT_EQ(fedc_client_data_num_examples(back, c), fedc_client_data_num_examples(src, c));
        fedc_dataset *a, *b;
        ASSERT_OK(fedc_client_data_open(ctx, src, c, &a));
        ASSERT_OK(fedc_client_data_open(ctx, back, c, &b));
        bool ga, gb;
        for (;;) {
            ASSERT_OK(fedc_dataset_next(ctx, a, ex, &ga));
            ASSERT_OK(fedc_dataset_next(ctx, b, ex2, &gb));
            ASSERT_EQ(ga, gb);
            if (!ga) break;
            for (int f = 0; f < 2; f++) {
                const fedc_tensor *ta = fedc_example_tensor(ex, f),
                                  *tb = fedc_example_tensor(ex2, f);
                ASSERT_STREQ(fedc_example_name(ex, f), fedc_example_name(ex2, f));
                ASSERT_EQ(fedc_tensor_nbytes(ta), fedc_tensor_nbytes(tb));
                ASSERT_EQ(memcmp(ta->data, tb->data, fedc_tensor_nbytes(ta)), 0);
            }
        }
        fedc_dataset_destroy(a);
        fedc_dataset_destroy(b);
    }
    fedc_client_data_destroy(back);
    fedc_client_data_destroy(src);
    fedc_example_destroy(ex);
    fedc_example_destroy(ex2);
    remove(out);
}

TEST(unfinished_writer_leaves_no_file) {
    char out[512];
    scratch_path(out, sizeof out, "unfinished.sqlite");
    fedc_sqlite_writer *w;
    ASSERT_OK(fedc_sqlite_writer_create(ctx, out, &w));
    fedc_sqlite_writer_destroy(w);
    FILE *f = fopen(out, "rb");
    ASSERT_NULL(f);
}

TEST(bad_files_are_named) {
    fedc_client_data *cd;
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, "/nonexistent/x.sqlite", &o, &cd),
                  FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "/nonexistent/x.sqlite");
    ASSERT_NULL(cd);

    char path[512];
    scratch_path(path, sizeof path, "notadb.sqlite");
    static const char text[] = "this is not an SQLite file, just some words long enough to "
                               "fill a header of one hundred bytes or so.............";
    write_file(path, text, sizeof text);
    ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, path, &o, &cd), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), path);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "not a valid SQLite database");
    remove(path);

    /* A database without client_metadata, then one whose examples lacks a column. */
    scratch_path(path, sizeof path, "notable.sqlite");
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE examples (split_name, client_id, "
                           "serialized_example_proto)",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);
    ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, path, &o, &cd), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "not a TFF ClientData file");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no such table: client_metadata");
    remove(path);
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE examples (split_name, client_id, blob);"
                           "CREATE TABLE client_metadata (client_id, split_name, "
                           "num_examples)",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);
    ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, path, &o, &cd), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no such column: serialized_example_proto");
    remove(path);
}

TEST(malformed_row_names_file_client_and_row) {
    char path[512];
    scratch_path(path, sizeof path, "badrow.sqlite");
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE examples (split_name TEXT NOT NULL, client_id TEXT NOT "
                           "NULL, serialized_example_proto BLOB NOT NULL);"
                           "CREATE TABLE client_metadata (client_id TEXT NOT NULL, split_name "
                           "TEXT NOT NULL, num_examples INTEGER NOT NULL);"
                           "INSERT INTO examples VALUES ('train', 'alice', x'0a00');"
                           "INSERT INTO examples VALUES ('train', 'bob', x'0a00');"
                           "INSERT INTO examples VALUES ('train', 'bob', x'0a05ff');"
                           "INSERT INTO client_metadata VALUES ('bob', 'train', 2);"
                           "INSERT INTO client_metadata VALUES ('alice', 'train', 1);",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    ASSERT_STREQ(fedc_client_data_client_id(cd, 0), "alice");
    fedc_dataset *ds;
    ASSERT_STATUS(fedc_client_data_open_id(ctx, cd, "carol", &ds), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no client 'carol'");
    ASSERT_OK(fedc_client_data_open_id(ctx, cd, "bob", &ds));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_EQ(fedc_example_count(ex), 0);
    ASSERT_STATUS(fedc_dataset_next(ctx, ds, ex, &got), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), path);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "split 'train', client 'bob', examples rowid 3: "
                                           "tf.train.Example: byte offset 0: field 1 of length 5");
    fedc_dataset_destroy(ds);
    fedc_example_destroy(ex);

    fedc_client_data_destroy(cd);
    o.split_name = "validation";
    ASSERT_STATUS(fedc_client_data_open_sqlite(ctx, path, &o, &cd), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "no clients in split 'validation'; the splits are: 'train'");
    remove(path);
}

typedef struct sweep_arg {
    const char *path;
    fedc_client_data *cd;
    fedc_dataset *ds;
} sweep_arg;

static fedc_status sweep_open(fedc_ctx *ctx, void *p) {
    sweep_arg *a = p;
    fedc_feature_spec specs[] = {{"label", FEDC_DTYPE_INT32, FEDC_SHAPE0}};
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "digits_only_train";
    o.specs = specs;
    o.nspecs = 1;
    fedc_status st = fedc_client_data_open_sqlite(ctx, a->path, &o, &a->cd);
    if (st) return st;
    st = fedc_client_data_open(ctx, a->cd, 3, &a->ds);
    if (st) {
        fedc_client_data_destroy(a->cd);
        a->cd = NULL;
    }
    return st;
}

static void sweep_cleanup(void *p) {
    sweep_arg *a = p;
    fedc_dataset_destroy(a->ds);
    fedc_client_data_destroy(a->cd);
    a->ds = NULL;
    a->cd = NULL;
}

TEST(open_survives_allocation_failures) {
    char path[512];
    sweep_arg a = {data_path(path, sizeof path, "tff-sqlite/emnist_sample.sqlite"), NULL, NULL};
    long n = fedc_test_alloc_sweep(ctx, sweep_open, sweep_cleanup, &a);
    ASSERT_GT(n, 10);
}

/* Rows of clients interleaved, with and without an index on client_id: the same datasets. */
TEST(interleaved_and_indexed_files) {
    for (int indexed = 0; indexed < 2; indexed++) {
        char path[512];
        scratch_path(path, sizeof path, "interleaved.sqlite");
        fedc_sqlite_writer *w;
        ASSERT_OK(fedc_sqlite_writer_create(ctx, path, &w));
        fedc_example *ex;
        ASSERT_OK(fedc_example_create(ctx, &ex));
        for (int i = 0; i < 9; i++) {
            fedc_tensor *t;
            ASSERT_OK(fedc_example_set(ctx, ex, "i", FEDC_DTYPE_INT64, SHP(1), &t));
            ((int64_t *)t->data)[0] = i;
            ASSERT_OK(fedc_sqlite_writer_add(ctx, w, i == 4 ? "test" : "train",
                                             (const char *[]){"a", "b", "c"}[i % 3], ex));
        }
        ASSERT_OK(fedc_sqlite_writer_finish(ctx, w));
        fedc_sqlite_writer_destroy(w);
        if (indexed) {
            sqlite3 *db;
            ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
            ASSERT_EQ(
                sqlite3_exec(db, "CREATE INDEX by_client ON examples(client_id)", NULL, NULL, NULL),
                SQLITE_OK);
            sqlite3_close(db);
        }
        fedc_sqlite_opts o = fedc_sqlite_opts_default();
        o.split_name = "train";
        fedc_client_data *cd;
        ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
        ASSERT_EQ(fedc_client_data_num_examples(cd, 1), 2); /* b: rows 1, 7 (4 is test) */
        fedc_dataset *ds;
        ASSERT_OK(fedc_client_data_open_id(ctx, cd, "b", &ds));
        bool got;
        int64_t want[] = {1, 7};
        for (int k = 0; k < 2; k++) {
            ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
            ASSERT_TRUE(got);
            ASSERT_EQ(((int64_t *)fedc_example_get(ex, "i")->data)[0], want[k]);
        }
        ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
        ASSERT_FALSE(got);
        fedc_dataset_destroy(ds);
        fedc_client_data_destroy(cd);
        fedc_example_destroy(ex);
        remove(path);
    }
}

/* A truncated copy of a real file: an error naming the file, at open or at the first bad page. */
TEST(truncated_database) {
    char src[512], path[512];
    data_path(src, sizeof src, "tff-sqlite/emnist_sample.sqlite");
    scratch_path(path, sizeof path, "truncated.sqlite");
    FILE *f = fopen(src, "rb");
    ASSERT_NOT_NULL(f);
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ASSERT_EQ(n, sizeof buf);
    write_file(path, buf, n);
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    fedc_client_data *cd;
    fedc_status st = fedc_client_data_open_sqlite(ctx, path, &o, &cd);
    if (st == FEDC_STATUS_OK) { /* metadata survived: the rows past the cut must fail */
        fedc_example *ex;
        ASSERT_OK(fedc_example_create(ctx, &ex));
        for (int64_t c = 0; c < fedc_client_data_num_clients(cd) && !st; c++) {
            fedc_dataset *ds;
            st = fedc_client_data_open(ctx, cd, c, &ds);
            bool got = true;
            while (!st && got)
                st = fedc_dataset_next(ctx, ds, ex, &got);
            fedc_dataset_destroy(ds);
        }
        fedc_example_destroy(ex);
        fedc_client_data_destroy(cd);
    }
    ASSERT_EQ(st, FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), path);
    remove(path);
}
