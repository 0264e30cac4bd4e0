/* test_cli_core.c — `fedc run`, `fedc check` and `fedc fmt` as a script sees them, and the
 * example .fc programs run on ../shared/data, their numbers checked against values computed
 * here independently through the data API. Runs the binary named by $FEDC_TOOL.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedc/data.h"
#include "tools/cli_util.h"

static const char *emnist(char *buf, size_t size) {
    snprintf(buf, size, "%s/tff-sqlite/emnist_sample.sqlite", fedc_test_data_dir());
    if (access(buf, R_OK) != 0) SKIP("%s is not there", buf);
    return buf;
}

TEST(check_prints_each_definitions_type) {
    char path[64];
    cli_temp_file("# comment\nsq = (x: float32 -> mul(x, x))\n"
                  "main = (v: {float32}@CLIENTS) -> federated_sum(federated_map(<sq, v>))\n",
                  path, sizeof path);
    ASSERT_EQ(cli_run("check %s", path), 0);
    ASSERT_STREQ(cli_out, "sq: (float32 -> float32)\n"
                          "main: ({float32}@CLIENTS -> float32@SERVER)\n");
    unlink(path);
}

TEST(check_names_the_place_of_a_type_error) {
    char path[64];
    cli_temp_file("main = (x: float32@SERVER) ->\n  federated_sum(x)\n", path, sizeof path);
    ASSERT_EQ(cli_run("check %s", path), 1);
    ASSERT_CONTAINS(cli_out, "fedc check: ");
    ASSERT_CONTAINS(cli_out, ":2:");
    ASSERT_CONTAINS(cli_out, "federated_sum expects {T}@CLIENTS, got float32@SERVER");
    unlink(path);
    ASSERT_EQ(cli_run("check /nonexistent/x.fc"), 1);
    ASSERT_CONTAINS(cli_out, "fedc check: cannot open /nonexistent/x.fc");
}

TEST(fmt_prints_the_canonical_form_and_is_idempotent) {
    char path[64], path2[64];
    cli_temp_file("# dropped\nmain   =   (x : float32 ->add( x,1.0 ))\n", path, sizeof path);
    ASSERT_EQ(cli_run("fmt %s", path), 0);
    ASSERT_STREQ(cli_out, "main = (x: float32 -> add(x, 1.0))\n");
    cli_temp_file(cli_out, path2, sizeof path2);
    ASSERT_EQ(cli_run("fmt %s", path2), 0);
    ASSERT_STREQ(cli_out, "main = (x: float32 -> add(x, 1.0))\n");
    unlink(path);
    unlink(path2);
    cli_temp_file("main = (x: float32 -> add(x,\n", path, sizeof path);
    ASSERT_EQ(cli_run("fmt %s", path), 1);
    ASSERT_CONTAINS(cli_out, "fedc fmt: ");
    ASSERT_CONTAINS(cli_out, ":2:1: expected");
    unlink(path);
}

/* The bytes of a file (at most sizeof buf), their count into *n. */
static const unsigned char *file_bytes(const char *path, size_t *n) {
    static unsigned char buf[1 << 16];
    FILE *f = fopen(path, "rb");
    if (!f) FAIL("cannot open %s", path);
    *n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

TEST(fmt_writes_the_binary_form_that_check_run_and_fmt_read) {
    char text[64], bin[80], trunc[64];
    cli_temp_file("# squares\nsq = (x: float32 -> mul(x, x))\n"
                  "main = (v: {float32}@CLIENTS) -> federated_sum(federated_map(<sq, v>))\n",
                  text, sizeof text);
    /* a binary file named .fc: the bytes decide, not the name */
    snprintf(bin, sizeof bin, "%s.fc", text);
    ASSERT_EQ(cli_run("fmt %s --binary -o %s", text, bin), 0);
    ASSERT_STREQ(cli_out, "");
    size_t n;
    const unsigned char *b = file_bytes(bin, &n);
    ASSERT_GT(n, 10u);
    ASSERT_TRUE(memcmp(b,
                       "\x0a\x08\x89"
                       "FDC\r\n\x1a\n",
                       10) == 0);
    ASSERT_EQ(cli_run("check %s", bin), 0);
    ASSERT_STREQ(cli_out, "sq: (float32 -> float32)\n"
                          "main: ({float32}@CLIENTS -> float32@SERVER)\n");
    ASSERT_EQ(cli_run("fmt %s", bin), 0);
    ASSERT_STREQ(cli_out,
                 "sq = (x: float32 -> mul(x, x))\n"
                 "main = (v: {float32}@CLIENTS -> federated_sum(federated_map(<sq, v>)))\n");
    ASSERT_EQ(cli_run("run %s --arg v=[1.0,2.0,3.0]", bin), 0);
    ASSERT_STREQ(cli_out, "14.0@SERVER\n");
    /* binary to binary gives the same bytes; -o writes text too */
    char bin2[96], text2[96];
    snprintf(bin2, sizeof bin2, "%s.2", bin);
    snprintf(text2, sizeof text2, "%s.txt", bin);
    ASSERT_EQ(cli_run("fmt %s --binary -o %s", bin, bin2), 0);
    size_t n2;
    static unsigned char first[1 << 16];
    memcpy(first, b, n);
    const unsigned char *b2 = file_bytes(bin2, &n2);
    ASSERT_EQ(n2, n);
    ASSERT_TRUE(memcmp(first, b2, n) == 0);
    ASSERT_EQ(cli_run("fmt %s -o %s", bin, text2), 0);
    ASSERT_EQ(cli_run("check %s", text2), 0);
    ASSERT_CONTAINS(cli_out, "main: ({float32}@CLIENTS -> float32@SERVER)");
    /* a damaged image names the byte offset; a type error keeps the source position */
    cli_temp_file("", trunc, sizeof trunc);
    FILE *f = fopen(trunc, "wb");
    ASSERT_NOT_NULL(f);
    fwrite(first, 1, n - 3, f);
    fclose(f);
    ASSERT_EQ(cli_run("check %s", trunc), 1);
    ASSERT_CONTAINS(cli_out, "fedc check: ");
    ASSERT_CONTAINS(cli_out, ": byte offset ");
    ASSERT_EQ(cli_run("run %s", trunc), 1);
    ASSERT_CONTAINS(cli_out, ": byte offset ");
    cli_temp_file("main = (x: float32@SERVER) ->\n  federated_sum(x)\n", text2, sizeof text2);
    ASSERT_EQ(cli_run("fmt %s --binary -o %s", text2, bin2), 0);
    ASSERT_EQ(cli_run("check %s", bin2), 1);
    ASSERT_CONTAINS(cli_out, ":2:");
    ASSERT_CONTAINS(cli_out, "federated_sum expects {T}@CLIENTS, got float32@SERVER");
    /* usage errors */
    ASSERT_EQ(cli_run("fmt %s --binary", text), 2);
    ASSERT_CONTAINS(cli_out, "--binary needs -o OUT");
    ASSERT_EQ(cli_run("fmt %s -o", text), 2);
    ASSERT_CONTAINS(cli_out, "-o needs a value");
    ASSERT_EQ(cli_run("fmt %s --binary -o /nonexistent/dir/x.pb", text), 1);
    ASSERT_CONTAINS(cli_out, "fedc fmt: cannot create /nonexistent/dir/x.pb");
    unlink(text);
    unlink(text2);
    unlink(bin);
    unlink(bin2);
    unlink(trunc);
}

TEST(fmt_split_prints_the_distribute_aggregate_form) {
    ASSERT_EQ(cli_run("fmt examples/analytics_threshold.fc --split main"), 0);
    ASSERT_CONTAINS(cli_out,
                    "server_prepare = (server_state: <threshold=int32@SERVER> ->\n"
                    "    <broadcast_input=<server_state.threshold>, intermediate_state=<>>)\n");
    ASSERT_CONTAINS(cli_out,
                    "client_to_server_aggregation = (intermediate_state: <>, client_results: "
                    "<{int32}@CLIENTS> ->\n    <federated_sum(client_results[0])>)\n");
    ASSERT_CONTAINS(cli_out,
                    "server_result = (intermediate_state: <>, aggregates: <int32@SERVER> -> "
                    "aggregates[0])\n");
    /* what it prints is a module that checks */
    char path[64];
    cli_temp_file(cli_out, path, sizeof path);
    ASSERT_EQ(cli_run("check %s", path), 0);
    ASSERT_CONTAINS(cli_out,
                    "client_work: (<client_data=<clients={<x=float32[784],y=int32>*}@CLIENTS>,"
                    "broadcast=<int32@CLIENTS>> -> <{int32}@CLIENTS>)");
    unlink(path);
    /* a computation that does not fit: the reason and the place, exit 1 */
    cli_temp_file(
        "main = (c: {float32}@CLIENTS) -> federated_sum(federated_broadcast(federated_mean(c)))\n",
        path, sizeof path);
    ASSERT_EQ(cli_run("fmt %s --split main", path), 1);
    ASSERT_CONTAINS(cli_out, "1:48: federated_broadcast of a value computed from an aggregation");
    unlink(path);
    ASSERT_EQ(cli_run("fmt examples/analytics_threshold.fc --split"), 2);
    ASSERT_CONTAINS(cli_out, "--split takes one NAME");
    ASSERT_EQ(cli_run("fmt examples/analytics_threshold.fc --split nope"), 1);
    ASSERT_CONTAINS(cli_out, "no definition 'nope'");
}

TEST(run_takes_literals_placed_as_the_parameters_say) {
    char path[64];
    cli_temp_file(
        "main = (x: {float32}@CLIENTS, s: float32@SERVER) -> federated_mean(federated_map(<"
        "(p: <float32, float32> -> mul(p[0], p[1])), federated_zip(<x, "
        "federated_broadcast(s)>)>))\n",
        path, sizeof path);
    ASSERT_EQ(cli_run("run %s --arg x=[1.0,2.0,4.0] --arg s=2.0", path), 0);
    ASSERT_STREQ(cli_out, "4.6666665@SERVER\n");
    ASSERT_EQ(cli_run("run %s --arg x=[1.0,2.0,4.0] --arg s=2.0 --threads 3", path), 0);
    ASSERT_STREQ(cli_out, "4.6666665@SERVER\n");
    /* a wrong literal dtype is the work failing (1); a bad command line is 2 */
    ASSERT_EQ(cli_run("run %s --arg x=[1,2] --arg s=2.0", path), 1);
    ASSERT_CONTAINS(cli_out, "fedc run: the argument of 'main': at .x@0: expected float32");
    ASSERT_EQ(cli_run("run %s --arg y=1", path), 2);
    ASSERT_CONTAINS(cli_out, "fedc run: 'main' has no parameter 'y'");
    ASSERT_EQ(cli_run("run %s --arg x=[1.0]", path), 2);
    ASSERT_CONTAINS(cli_out, "missing --arg s=VALUE");
    ASSERT_EQ(cli_run("run %s --threads many", path), 2);
    ASSERT_CONTAINS(cli_out, "bad number 'many'");
    ASSERT_EQ(cli_run("run %s --def nothing", path), 2);
    ASSERT_CONTAINS(cli_out, "no definition 'nothing'");
    ASSERT_EQ(cli_run("run"), 2);
    ASSERT_CONTAINS(cli_out, "missing FILE");
    unlink(path);
}

TEST(core_commands_have_help_with_an_example) {
    const char *cmds[] = {"run", "check", "fmt"};
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(cli_run("%s --help", cmds[i]), 0);
        ASSERT_CONTAINS(cli_out, "usage: fedc ");
        ASSERT_CONTAINS(cli_out, "example:");
    }
    ASSERT_EQ(cli_run("--help"), 0);
    ASSERT_CONTAINS(cli_out, "run ");
    ASSERT_CONTAINS(cli_out, "check ");
    ASSERT_CONTAINS(cli_out, "fmt ");
}

/* Per-client statistics of EMNIST's digits_only_train split, read through the data API. */
typedef struct emnist_stats {
    int64_t nclients;
    double mean_of_means; /* mean over clients of each client's mean of example means */
    int64_t labels[10];
    int64_t counts[64];
} emnist_stats;

static void emnist_stats_compute(fedc_ctx *ctx, const char *path, emnist_stats *s) {
    memset(s, 0, sizeof *s);
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "digits_only_train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    s->nclients = fedc_client_data_num_clients(cd);
    ASSERT_LE(s->nclients, 64);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    for (int64_t c = 0; c < s->nclients; c++) {
        fedc_dataset *ds;
        ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
        bool got;
        double sum = 0;
        for (;;) {
            ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
            if (!got) break;
            const fedc_tensor *px = fedc_example_get(ex, "pixels");
            const fedc_tensor *lb = fedc_example_get(ex, "label");
            ASSERT_TRUE(px && lb);
            double m = 0;
            for (int64_t k = 0; k < fedc_tensor_numel(px); k++)
                m += fedc_tensor_get_flat(px, k);
            sum += m / (double)fedc_tensor_numel(px);
            int64_t y = (int64_t)fedc_tensor_get_flat(lb, 0);
            ASSERT_TRUE(y >= 0 && y < 10);
            s->labels[y]++;
            s->counts[c]++;
        }
        s->mean_of_means += sum / (double)s->counts[c];
        fedc_dataset_destroy(ds);
    }
    s->mean_of_means /= (double)s->nclients;
    fedc_example_destroy(ex);
    fedc_client_data_destroy(cd);
}

TEST(example_analytics_mean_matches_the_data) {
    char path[512];
    emnist(path, sizeof path);
    emnist_stats s;
    emnist_stats_compute(ctx, path, &s);
    ASSERT_EQ(cli_run("run examples/analytics_mean.fc --preprocess emnist-flat "
                      "--arg clients=%s:digits_only_train --threads 4",
                      path),
              0);
    ASSERT_CONTAINS(cli_out, "@SERVER");
    ASSERT_NEAR(strtod(cli_out, NULL), s.mean_of_means, 1e-5);
}

TEST(example_analytics_histogram_matches_the_data) {
    char path[512];
    emnist(path, sizeof path);
    emnist_stats s;
    emnist_stats_compute(ctx, path, &s);
    char want[256] = "[";
    for (int k = 0; k < 10; k++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", k ? ", " : "",
                 (long long)s.labels[k]);
    strcat(want, "]@SERVER\n");
    ASSERT_EQ(cli_run("run examples/analytics_histogram.fc --preprocess emnist-flat "
                      "--arg clients=%s:digits_only_train",
                      path),
              0);
    ASSERT_STREQ(cli_out, want);
}

TEST(example_analytics_threshold_matches_the_data) {
    char path[512];
    emnist(path, sizeof path);
    emnist_stats s;
    emnist_stats_compute(ctx, path, &s);
    const int thresholds[] = {0, 20, 30, 45, 1000};
    for (int t = 0; t < 5; t++) {
        int64_t want = 0;
        for (int64_t c = 0; c < s.nclients; c++)
            want += s.counts[c] > thresholds[t];
        ASSERT_EQ(cli_run("run examples/analytics_threshold.fc --preprocess emnist-flat "
                          "--arg clients=%s:digits_only_train --arg threshold=%d --threads %d",
                          path, thresholds[t], 1 + t),
                  0);
        char w[64];
        snprintf(w, sizeof w, "%lld@SERVER\n", (long long)want);
        ASSERT_STREQ(cli_out, w);
    }
    /* --clients keeps the first N clients */
    ASSERT_EQ(cli_run("run examples/analytics_threshold.fc --preprocess emnist-flat --clients 3 "
                      "--arg clients=%s:digits_only_train --arg threshold=0",
                      path),
              0);
    ASSERT_STREQ(cli_out, "3@SERVER\n");
}

TEST(run_names_the_client_data_file_on_errors) {
    ASSERT_EQ(cli_run("run examples/analytics_mean.fc --arg clients=/nonexistent.sqlite:train"), 1);
    ASSERT_CONTAINS(cli_out, "fedc run: ");
    ASSERT_CONTAINS(cli_out, "/nonexistent.sqlite");
    char path[512];
    emnist(path, sizeof path);
    /* without preprocessing the elements are <label=int64[1],pixels=float32[784]> */
    ASSERT_EQ(cli_run("run examples/analytics_mean.fc --arg clients=%s:digits_only_train", path),
              1);
    ASSERT_CONTAINS(cli_out, "fedc run: ");
    ASSERT_CONTAINS(cli_out, "client 0 (");
}

TEST(run_reads_shakespeare_with_tffs_preprocessing) {
    char path[512];
    snprintf(path, sizeof path, "%s/tff-sqlite/shakespeare_sample.sqlite", fedc_test_data_dir());
    if (access(path, R_OK) != 0) SKIP("%s is not there", path);
    /* independently: a snippet of L bytes becomes ceil((L + 2) / 81) pieces of 80 + 1 ids */
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    long long total = 0, max = 0;
    for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
        fedc_dataset *ds;
        ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
        long long pieces = 0;
        bool got;
        for (;;) {
            ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
            if (!got) break;
            long long len = fedc_tensor_numel(fedc_example_get(ex, "snippets"));
            pieces += (len + 2 + 80) / 81;
        }
        fedc_dataset_destroy(ds);
        total += pieces;
        if (pieces > max) max = pieces;
    }
    fedc_example_destroy(ex);
    fedc_client_data_destroy(cd);
    char fc[64];
    cli_temp_file(
        "count = (d: <x=int32[80],y=int32[80]>* -> sequence_reduce(<d, 0, "
        "(n: int32, e: <x=int32[80],y=int32[80]> -> add(n, 1))>))\n"
        "main = (clients: {<x=int32[80],y=int32[80]>*}@CLIENTS) -> <federated_sum("
        "federated_map(<count, clients>)), federated_max(federated_map(<count, clients>))>\n",
        fc, sizeof fc);
    ASSERT_EQ(
        cli_run("run %s --preprocess shakespeare --arg clients=%s:train --threads 4", fc, path), 0);
    char want[128];
    snprintf(want, sizeof want, "<%lld@SERVER, %lld@SERVER>\n", total, max);
    ASSERT_STREQ(cli_out, want);
    unlink(fc);
}

TEST(run_reads_leaf_json_client_data) {
    char path[512];
    snprintf(path, sizeof path, "%s/leaf-shakespeare/train.json", fedc_test_data_dir());
    if (access(path, R_OK) != 0) SKIP("%s is not there", path);
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_leaf(ctx, path, &cd));
    long long total = 0;
    for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
        fedc_dataset *ds;
        int64_t n;
        ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
        ASSERT_OK(fedc_dataset_count(ctx, ds, &n));
        fedc_dataset_destroy(ds);
        total += n;
    }
    fedc_client_data_destroy(cd);
    char fc[64];
    cli_temp_file("count = (d: <x=uint8[?],y=uint8[?]>* -> sequence_reduce(<d, 0, "
                  "(n: int32, e: <x=uint8[?],y=uint8[?]> -> add(n, 1))>))\n"
                  "main = (clients: {<x=uint8[?],y=uint8[?]>*}@CLIENTS) -> "
                  "federated_sum(federated_map(<count, clients>))\n",
                  fc, sizeof fc);
    ASSERT_EQ(cli_run("run %s --arg clients=%s --threads 2", fc, path), 0);
    char want[64];
    snprintf(want, sizeof want, "%lld@SERVER\n", total);
    ASSERT_STREQ(cli_out, want);
    unlink(fc);
}

TEST(examples_check_and_their_canonical_form_checks_the_same) {
    const char *names[] = {"analytics_mean", "analytics_histogram", "analytics_threshold",
                           "fedavg_linear"};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(cli_run("check examples/%s.fc", names[i]), 0);
        static char types[sizeof cli_out];
        char path[64];
        memcpy(types, cli_out, sizeof types);
        ASSERT_CONTAINS(types, "main: ");
        ASSERT_EQ(cli_run("fmt examples/%s.fc", names[i]), 0);
        cli_temp_file(cli_out, path, sizeof path);
        ASSERT_EQ(cli_run("check %s", path), 0);
        ASSERT_STREQ(cli_out, types);
        unlink(path);
    }
}
