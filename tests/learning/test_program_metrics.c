/* test_program_metrics.c — metric records and the CSV and JSON lines writers: exact file
 * contents, round trips, columns that appear late, resuming (cutting rounds after the resumed
 * one and torn last lines), corrupt files and writer groups.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learning/test_program_util.h"

static const char *const k_names[] = {"train/loss", "train/sparse_categorical_accuracy"};

TEST(record_keeps_pairs_in_order_and_rejects_bad_names) {
    fedc_metrics_record *r;
    ASSERT_STATUS(fedc_metrics_record_create(ctx, -1, 0, &r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_OK(fedc_metrics_record_create(ctx, 4, 12.5, &r));
    ASSERT_OK(fedc_metrics_record_add(ctx, r, "train/loss", 0.5));
    ASSERT_OK(fedc_metrics_record_add(ctx, r, "aggregator/clipped_count", 3));
    ASSERT_STATUS(fedc_metrics_record_add(ctx, r, "train/loss", 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "'train/loss' given twice");
    ASSERT_STATUS(fedc_metrics_record_add(ctx, r, "", 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_metrics_record_add(ctx, r, "a\nb", 1), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "control character 0x0a at byte 1");
    ASSERT_EQ(fedc_metrics_record_count(r), 2u);
    ASSERT_STREQ(fedc_metrics_record_name(r, 1), "aggregator/clipped_count");
    ASSERT_EQ(fedc_metrics_record_round(r), 4);
    ASSERT_EQ(fedc_metrics_record_wall_time(r), 12.5);
    double v = 0;
    ASSERT_TRUE(fedc_metrics_record_get(r, "train/loss", &v));
    ASSERT_EQ(v, 0.5);
    ASSERT_FALSE(fedc_metrics_record_get(r, "eval/loss", &v));
    fedc_metrics_record_reset(r, 5, 13);
    ASSERT_EQ(fedc_metrics_record_count(r), 0u);
    ASSERT_OK(fedc_metrics_record_add(ctx, r, "train/loss", 0.25)); /* reusable after reset */
    fedc_metrics_record_destroy(r);
}

static void write_rounds(fedc_ctx *ctx, fedc_metrics_writer *w, int from, int to) {
    for (int k = from; k <= to; k++) {
        double values[2] = {1.0 / (1 << k), 0.5 + 0.125 * k};
        fedc_metrics_record *r = ptest_record(ctx, k, 2, k_names, values);
        ASSERT_OK(fedc_metrics_writer_write(ctx, w, r));
        fedc_metrics_record_destroy(r);
    }
}

TEST(jsonl_writes_one_object_per_round) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    fedc_metrics_writer *w;
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, FEDC_METRICS_FRESH, &w));
    write_rounds(ctx, w, 1, 2);
    const char *names[2] = {"eval/loss", "weird \"name\""};
    double values[2] = {NAN, -2};
    fedc_metrics_record *r = ptest_record(ctx, 3, 2, names, values);
    ASSERT_OK(fedc_metrics_writer_write(ctx, w, r));
    /* the file holds every round as soon as write returns */
    char *text = ptest_read(path, NULL);
    ASSERT_STREQ(text, "{\"round\":1,\"wall_time\":1001.0,\"metrics\":{\"train/loss\":0.5,"
                       "\"train/sparse_categorical_accuracy\":0.625}}\n"
                       "{\"round\":2,\"wall_time\":1002.0,\"metrics\":{\"train/loss\":0.25,"
                       "\"train/sparse_categorical_accuracy\":0.75}}\n"
                       "{\"round\":3,\"wall_time\":1003.0,\"metrics\":{\"eval/loss\":null,"
                       "\"weird \\\"name\\\"\":-2.0}}\n");
    free(text);
    ASSERT_STATUS(fedc_metrics_writer_write(ctx, w, r), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "round 3 written after round 3");
    fedc_metrics_record_destroy(r);
    fedc_metrics_writer_destroy(w);
    ptest_rmtree(dir);
}

typedef struct collected {
    int n;
    long long rounds[16];
    double first_value[16];
    char first_name[16][64];
} collected;

static fedc_status collect(fedc_ctx *ctx, void *user, const fedc_metrics_record *r) {
    (void)ctx;
    collected *c = user;
    if (c->n == 16) return FEDC_STATUS_OK;
    c->rounds[c->n] = fedc_metrics_record_round(r);
    c->first_value[c->n] = fedc_metrics_record_count(r) ? fedc_metrics_record_value(r, 0) : -1;
    snprintf(c->first_name[c->n], 64, "%s",
             fedc_metrics_record_count(r) ? fedc_metrics_record_name(r, 0) : "");
    c->n++;
    return FEDC_STATUS_OK;
}

TEST(jsonl_reads_back_what_it_wrote) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.jsonl", dir);
    fedc_metrics_writer *w;
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, FEDC_METRICS_FRESH, &w));
    const char *names[1] = {"x"};
    double values[3] = {0.1, 1e-300, NAN};
    for (int k = 0; k < 3; k++) {
        fedc_metrics_record *r = ptest_record(ctx, 10 + k, 1, names, &values[k]);
        ASSERT_OK(fedc_metrics_writer_write(ctx, w, r));
        fedc_metrics_record_destroy(r);
    }
    fedc_metrics_writer_destroy(w);
    collected c = {0};
    ASSERT_OK(fedc_metrics_jsonl_read(ctx, path, collect, &c));
    ASSERT_EQ(c.n, 3);
    ASSERT_EQ(c.rounds[2], 12);
    ASSERT_EQ(c.first_value[0], 0.1); /* shortest round-trip digits: exact */
    ASSERT_EQ(c.first_value[1], 1e-300);
    ASSERT_TRUE(isnan(c.first_value[2]));
    ASSERT_STREQ(c.first_name[0], "x");
    ptest_rmtree(dir);
}

TEST(jsonl_resume_cuts_rounds_after_the_resumed_one) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    fedc_metrics_writer *w;
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, FEDC_METRICS_FRESH, &w));
    write_rounds(ctx, w, 1, 5);
    fedc_metrics_writer_destroy(w);
    /* a killed run leaves half a line */
    const char *torn = "{\"round\":6,\"wall_t";
    ptest_write(path, torn, strlen(torn), 1);
    /* the program resumes from the checkpoint of round 3: rounds 4 and 5 are computed again */
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, 3, &w));
    ASSERT_EQ(fedc_metrics_writer_last_round(w), 3);
    write_rounds(ctx, w, 4, 4);
    fedc_metrics_writer_destroy(w);
    collected c = {0};
    ASSERT_OK(fedc_metrics_jsonl_read(ctx, path, collect, &c));
    ASSERT_EQ(c.n, 4);
    for (int k = 0; k < 4; k++)
        ASSERT_EQ(c.rounds[k], k + 1);
    /* resuming past the end keeps everything and drops the torn tail */
    ptest_write(path, torn, strlen(torn), 1);
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, 100, &w));
    ASSERT_EQ(fedc_metrics_writer_last_round(w), 4);
    write_rounds(ctx, w, 5, 5);
    fedc_metrics_writer_destroy(w);
    memset(&c, 0, sizeof c);
    ASSERT_OK(fedc_metrics_jsonl_read(ctx, path, collect, &c));
    ASSERT_EQ(c.n, 5);
    /* a resume of a missing file starts one */
    snprintf(path, sizeof path, "%s/new.jsonl", dir);
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, 7, &w));
    ASSERT_EQ(fedc_metrics_writer_last_round(w), -1);
    fedc_metrics_writer_destroy(w);
    ptest_rmtree(dir);
}

TEST(jsonl_names_the_line_of_a_corrupt_record) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    const char *text = "{\"round\":1,\"wall_time\":1,\"metrics\":{}}\n{\"round\":2,\"wall_time\":1,"
                       "\"metrics\":{\"a\":\"x\"}}\n";
    ptest_write(path, text, strlen(text), 0);
    collected c = {0};
    ASSERT_STATUS(fedc_metrics_jsonl_read(ctx, path, collect, &c), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "line 2");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "metric 'a' is not a number");
    fedc_metrics_writer *w;
    ASSERT_STATUS(fedc_metrics_jsonl_writer_create(ctx, path, 5, &w), FEDC_STATUS_CORRUPT);
    ASSERT_NULL(w);
    text = "{\"round\":1,\"wall_time\":1,\"metrics\":{}}\nnot json\n";
    ptest_write(path, text, strlen(text), 0);
    ASSERT_STATUS(fedc_metrics_jsonl_read(ctx, path, collect, &c), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "line 2");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 39");
    text = "{\"round\":-1,\"wall_time\":1,\"metrics\":{}}\n";
    ptest_write(path, text, strlen(text), 0);
    ASSERT_STATUS(fedc_metrics_jsonl_read(ctx, path, collect, &c), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "\"round\"");
    snprintf(path, sizeof path, "%s/missing.jsonl", dir);
    ASSERT_STATUS(fedc_metrics_jsonl_read(ctx, path, collect, &c), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "missing.jsonl");
    ptest_rmtree(dir);
}

TEST(csv_header_is_the_union_of_names_and_late_columns_rewrite_the_file) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    fedc_metrics_writer *w;
    ASSERT_OK(fedc_metrics_csv_writer_create(ctx, path, FEDC_METRICS_FRESH, &w));
    write_rounds(ctx, w, 1, 2);
    char *text = ptest_read(path, NULL);
    ASSERT_STREQ(text, "round,wall_time,train/loss,train/sparse_categorical_accuracy\n"
                       "1,1001,0.5,0.625\n"
                       "2,1002,0.25,0.75\n");
    free(text);
    /* evaluation starts at round 3, with a name that needs quoting, and train/ is missing */
    const char *names[2] = {"eval/loss", "odd,\"name\""};
    double values[2] = {0.75, INFINITY};
    fedc_metrics_record *r = ptest_record(ctx, 3, 2, names, values);
    ASSERT_OK(fedc_metrics_writer_write(ctx, w, r));
    fedc_metrics_record_destroy(r);
    text = ptest_read(path, NULL);
    ASSERT_STREQ(text, "round,wall_time,train/loss,train/sparse_categorical_accuracy,eval/loss,"
                       "\"odd,\"\"name\"\"\"\n"
                       "1,1001,0.5,0.625,,\n"
                       "2,1002,0.25,0.75,,\n"
                       "3,1003,,,0.75,inf\n");
    free(text);
    write_rounds(ctx, w, 4, 4);
    fedc_metrics_writer_destroy(w);
    text = ptest_read(path, NULL);
    ASSERT_CONTAINS(text, "\n4,1004,0.0625,1,,\n");
    free(text);
    ptest_rmtree(dir);
}

TEST(csv_resume_keeps_columns_and_cuts_later_rows) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    fedc_metrics_writer *w;
    ASSERT_OK(fedc_metrics_csv_writer_create(ctx, path, FEDC_METRICS_FRESH, &w));
    const char *names[1] = {"a,b"};
    double one = 1;
    fedc_metrics_record *r = ptest_record(ctx, 0, 1, names, &one);
    ASSERT_OK(fedc_metrics_writer_write(ctx, w, r));
    fedc_metrics_record_destroy(r);
    write_rounds(ctx, w, 1, 4);
    fedc_metrics_writer_destroy(w);
    ptest_write(path, "5,10", 4, 1); /* torn */
    ASSERT_OK(fedc_metrics_csv_writer_create(ctx, path, 2, &w));
    ASSERT_EQ(fedc_metrics_writer_last_round(w), 2);
    r = ptest_record(ctx, 3, 1, names, &one);
    ASSERT_OK(fedc_metrics_writer_write(ctx, w, r));
    fedc_metrics_record_destroy(r);
    fedc_metrics_writer_destroy(w);
    char *text = ptest_read(path, NULL);
    ASSERT_STREQ(text, "round,wall_time,\"a,b\",train/loss,train/sparse_categorical_accuracy\n"
                       "0,1000,1,,\n"
                       "1,1001,,0.5,0.625\n"
                       "2,1002,,0.25,0.75\n"
                       "3,1003,1,,\n");
    free(text);
    /* fresh truncates */
    ASSERT_OK(fedc_metrics_csv_writer_create(ctx, path, FEDC_METRICS_FRESH, &w));
    fedc_metrics_writer_destroy(w);
    size_t size;
    free(ptest_read(path, &size));
    ASSERT_EQ(size, 0u);
    ptest_rmtree(dir);
}

TEST(csv_resume_of_a_damaged_file_is_corrupt) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    const char *text = "round,wall_time,x\n1,5,0.5\n2,6\n";
    ptest_write(path, text, strlen(text), 0);
    fedc_metrics_writer *w;
    ASSERT_STATUS(fedc_metrics_csv_writer_create(ctx, path, 9, &w), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "line 3 (byte offset 26)");
    text = "step,x\n";
    ptest_write(path, text, strlen(text), 0);
    ASSERT_STATUS(fedc_metrics_csv_writer_create(ctx, path, 9, &w), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "round,wall_time");
    snprintf(path, sizeof path, "%s/no/such/dir.csv", dir);
    ASSERT_STATUS(fedc_metrics_csv_writer_create(ctx, path, FEDC_METRICS_FRESH, &w),
                  FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no/such/dir.csv");
    ptest_rmtree(dir);
}

/* A writer that fails on one round, for the group test. */
typedef struct failing {
    int fail_round, seen;
} failing;

static fedc_status failing_write(fedc_ctx *ctx, void *self, const fedc_metrics_record *r) {
    failing *f = self;
    f->seen++;
    if (fedc_metrics_record_round(r) == f->fail_round)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "disk gone at round %d", f->fail_round);
    return FEDC_STATUS_OK;
}

static void failing_destroy(void *self) { (void)self; }

static const fedc_metrics_writer_ops k_failing_ops = {"failing", failing_write, failing_destroy};

TEST(group_releases_to_every_writer_and_reports_the_first_failure) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    failing f = {2, 0};
    fedc_metrics_writer *ws[2], *g;
    ASSERT_OK(fedc_metrics_writer_create(ctx, &k_failing_ops, &f, -1, &ws[0]));
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, FEDC_METRICS_FRESH, &ws[1]));
    ASSERT_OK(fedc_metrics_writer_group(ctx, ws, 2, &g));
    write_rounds(ctx, g, 1, 1);
    double v[2] = {1, 1};
    fedc_metrics_record *r = ptest_record(ctx, 2, 2, k_names, v);
    ASSERT_STATUS(fedc_metrics_writer_write(ctx, g, r), FEDC_STATUS_IO);
    ASSERT_STREQ(fedc_ctx_message(ctx), "failing: disk gone at round 2");
    fedc_metrics_record_destroy(r);
    write_rounds(ctx, g, 3, 3);
    ASSERT_EQ(f.seen, 3);
    fedc_metrics_writer_destroy(g);
    collected c = {0};
    ASSERT_OK(fedc_metrics_jsonl_read(ctx, path, collect, &c));
    ASSERT_EQ(c.n, 3); /* the jsonl writer got round 2 although the other one failed */
    ASSERT_STATUS(fedc_metrics_writer_create(ctx, NULL, NULL, -1, &g),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ptest_rmtree(dir);
}

static fedc_status open_and_write(fedc_ctx *ctx, void *arg) {
    const char *path = arg;
    fedc_metrics_writer *w[2];
    fedc_status st = fedc_metrics_csv_writer_create(ctx, path, FEDC_METRICS_FRESH, &w[0]);
    if (st < 0) return st;
    char jpath[256];
    snprintf(jpath, sizeof jpath, "%s.jsonl", path);
    st = fedc_metrics_jsonl_writer_create(ctx, jpath, FEDC_METRICS_FRESH, &w[1]);
    if (st < 0) {
        fedc_metrics_writer_destroy(w[0]);
        return st;
    }
    fedc_metrics_writer *g;
    st = fedc_metrics_writer_group(ctx, w, 2, &g);
    if (st < 0) return st;
    for (int k = 0; k < 3 && st == FEDC_STATUS_OK; k++) {
        fedc_metrics_record *r;
        st = fedc_metrics_record_create(ctx, k, 1, &r);
        if (st < 0) break;
        st = fedc_metrics_record_add(ctx, r, k_names[k % 2], 0.5);
        if (st == FEDC_STATUS_OK) st = fedc_metrics_writer_write(ctx, g, r);
        fedc_metrics_record_destroy(r);
    }
    fedc_metrics_writer_destroy(g);
    if (st == FEDC_STATUS_OK) st = fedc_metrics_jsonl_writer_create(ctx, jpath, 1, &w[1]);
    if (st == FEDC_STATUS_OK) fedc_metrics_writer_destroy(w[1]);
    if (st == FEDC_STATUS_OK) st = fedc_metrics_csv_writer_create(ctx, path, 1, &w[0]);
    if (st == FEDC_STATUS_OK) fedc_metrics_writer_destroy(w[0]);
    return st;
}

TEST(writers_survive_every_allocation_failure) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.csv", dir);
    long n = fedc_test_alloc_sweep(ctx, open_and_write, NULL, path);
    ASSERT_GT(n, 10);
    ptest_rmtree(dir);
}
