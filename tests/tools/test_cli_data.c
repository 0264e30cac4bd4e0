/* test_cli_data.c — `fedc data` as a script sees it: import (CSV, IDX, a play), info, head and
 * split, their output and exit codes, and bad input (missing files, a file that is not SQLite,
 * an unknown client, ragged CSV, bad flags), TFF's compressed .sqlite.lzma files. Runs the binary
 * named by $FEDC_TOOL. */
#include <lzma.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedc/data.h"
#include "tools/cli_util.h"

enum { OUT_SIZE = 1 << 16 };

/* Runs `fedc ARGS` with stderr folded into stdout; returns the exit code, output in buf. */
static int run_tool(char *buf, size_t size, const char *fmt, ...) FEDC_PRINTF(3, 4);
static int run_tool(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = cli_vrun(buf, size, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *scratch(char *buf, size_t size, const char *tag) {
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, size, "%s/fedc-cli-%ld-%s", tmp && tmp[0] ? tmp : "/tmp", (long)getpid(), tag);
    unlink(buf);
    return buf;
}

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) FAIL("cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

/* 60 rows, 3 labels, 2 features. */
static const char *make_csv(char *path, size_t size) {
    scratch(path, size, "d.csv");
    char text[4096] = "a,label,b\n";
    for (int i = 0; i < 60; i++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "%d,%d,%d\n", i, i % 3, 2 * i);
    }
    put(path, text);
    return path;
}

TEST(help_of_every_data_command) {
    static char out[OUT_SIZE];
    ASSERT_EQ(run_tool(out, sizeof out, "--help"), 0);
    ASSERT_CONTAINS(out, "data");
    ASSERT_EQ(run_tool(out, sizeof out, "data --help"), 0);
    ASSERT_CONTAINS(out, "usage: fedc data COMMAND");
    static const char *const cmds[] = {"import", "info", "head", "split"};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(run_tool(out, sizeof out, "data %s --help", cmds[i]), 0);
        ASSERT_CONTAINS(out, "usage: fedc data");
        ASSERT_CONTAINS(out, cmds[i]);
        ASSERT_CONTAINS(out, "example:");
    }
}

TEST(csv_import_info_head_split) {
    static char out[OUT_SIZE];
    char csv[512], db[512], sp[512];
    make_csv(csv, sizeof csv);
    scratch(db, sizeof db, "d.sqlite");
    scratch(sp, sizeof sp, "split.sqlite");
    ASSERT_EQ(run_tool(out, sizeof out,
                       "data import csv %s -o %s --clients 6 --partition shards:1 --seed 3", csv,
                       db),
              0);
    ASSERT_CONTAINS(out, "60 examples in split 'train'");
    ASSERT_CONTAINS(out, "partition: shards(1 per client), seed 3");
    ASSERT_CONTAINS(out, "6 clients, sizes min 10 mean 10.0 max 10, labels per client min 1 max 1");
    ASSERT_CONTAINS(out, "client sizes: min 10, p10 10, p50 10, p90 10, max 10");

    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", db), 0);
    ASSERT_CONTAINS(out,
                    "train               6         60      10      10      10      10      10");
    ASSERT_CONTAINS(out, "features: label int64[1], x float32[2]"); /* names sorted */
    ASSERT_CONTAINS(out, "\n0                  20\n1                  20\n2                  20\n");

    ASSERT_EQ(run_tool(out, sizeof out, "data head %s --client client_00002 -n 2", db), 0);
    ASSERT_CONTAINS(out, "client client_00002 of");
    ASSERT_CONTAINS(out, "example 1");
    ASSERT_CONTAINS(out, "x              float32[2]");
    ASSERT_TRUE(strstr(out, "example 2") == NULL);

    ASSERT_EQ(run_tool(out, sizeof out,
                       "data split %s -o %s --by clients --test-fraction 0.5 --seed 1", db, sp),
              0);
    ASSERT_CONTAINS(out, "train: 3 clients, 30 examples");
    ASSERT_CONTAINS(out, "test:  3 clients, 30 examples");
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s --no-labels", sp), 0);
    ASSERT_CONTAINS(out, "test                3         30");
    ASSERT_CONTAINS(out, "train               3         30");
    unlink(sp);
    ASSERT_EQ(
        run_tool(out, sizeof out, "data split %s -o %s --by examples --test-fraction 0.2", db, sp),
        0);
    ASSERT_CONTAINS(out, "train: 6 clients, 48 examples");
    ASSERT_CONTAINS(out, "test:  6 clients, 12 examples");
    unlink(csv);
    unlink(db);
    unlink(sp);
}

TEST(natural_ids_and_speakers) {
    static char out[OUT_SIZE];
    char csv[512], db[512], play[512];
    scratch(csv, sizeof csv, "nat.csv");
    put(csv, "user,label,v\nbob,1,0.5\nann,0,1\nbob,0,2\n");
    scratch(db, sizeof db, "nat.sqlite");
    ASSERT_EQ(run_tool(out, sizeof out, "data import csv %s -o %s --id-column user", csv, db), 0);
    ASSERT_CONTAINS(out, "partition: natural (column 'user')");
    ASSERT_CONTAINS(out, "2 clients, sizes min 1 mean 1.5 max 2");
    ASSERT_EQ(run_tool(out, sizeof out, "data head %s --client bob", db), 0);
    ASSERT_CONTAINS(out, "x              float32[1]       0.5\n");
    unlink(db);
    scratch(play, sizeof play, "play.txt");
    put(play, "First Citizen:\nBefore we proceed.\n\nAll:\nSpeak, speak.\n\nFirst Citizen:\n"
              "You are all resolved.\n");
    ASSERT_EQ(run_tool(out, sizeof out, "data import speakers %s -o %s", play, db), 0);
    ASSERT_CONTAINS(out, "2 clients (speaking roles)");
    ASSERT_EQ(run_tool(out, sizeof out, "data head %s --client FIRST_CITIZEN --split train", db),
              0);
    ASSERT_CONTAINS(out, "snippets       uint8[18]        \"Before we proceed.\"");
    unlink(csv);
    unlink(db);
    unlink(play);
}

TEST(mnist_idx_import) {
    static char out[OUT_SIZE];
    char images[512], labels[512], db[512];
    snprintf(images, sizeof images, "%s/mnist/t10k-images-idx3-ubyte.gz", fedc_test_data_dir());
    snprintf(labels, sizeof labels, "%s/mnist/t10k-labels-idx1-ubyte.gz", fedc_test_data_dir());
    if (access(images, R_OK) || access(labels, R_OK)) SKIP("MNIST is missing");
    scratch(db, sizeof db, "mnist.sqlite");
    ASSERT_EQ(run_tool(out, sizeof out,
                       "data import idx %s %s -o %s --clients 50 --partition dirichlet:0.3", images,
                       labels, db),
              0);
    ASSERT_CONTAINS(out, "wrote");
    ASSERT_CONTAINS(out, "10000 examples");
    ASSERT_CONTAINS(out, "partition: dirichlet(alpha=0.3), seed 0");
    ASSERT_CONTAINS(out, "50 clients");
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", db), 0);
    ASSERT_CONTAINS(out, "features: label int64[1], pixels float32[784]");
    ASSERT_CONTAINS(out, "\n7                1028\n"); /* MNIST's test set has 1028 sevens */
    unlink(db);
}

TEST(bad_input_fails_with_exit_1_and_a_message) {
    static char out[OUT_SIZE];
    char csv[512], db[512], junk[512];
    ASSERT_EQ(run_tool(out, sizeof out, "data info /nonexistent/x.sqlite"), 1);
    ASSERT_CONTAINS(out, "fedc data info: /nonexistent/x.sqlite: cannot open");
    scratch(junk, sizeof junk, "junk.sqlite");
    put(junk, "this is not a database, just some text that is long enough to be read..........."
              "................................................................................");
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", junk), 1);
    ASSERT_CONTAINS(out, "not a valid SQLite database");
    ASSERT_CONTAINS(out, junk);
    ASSERT_EQ(run_tool(out, sizeof out, "data head %s --client x", junk), 1);
    ASSERT_CONTAINS(out, "fedc data head: ");
    make_csv(csv, sizeof csv);
    scratch(db, sizeof db, "bad.sqlite");
    ASSERT_EQ(run_tool(out, sizeof out, "data import csv %s -o %s", csv, db), 0);
    ASSERT_EQ(run_tool(out, sizeof out, "data head %s --client nobody", db), 1);
    ASSERT_CONTAINS(out, "fedc data head: ");
    ASSERT_CONTAINS(out, "no client 'nobody'");
    ASSERT_CONTAINS(out, db);
    ASSERT_EQ(run_tool(out, sizeof out, "data import csv %s -o %s", csv, db), 1);
    ASSERT_CONTAINS(out, "file exists");
    ASSERT_EQ(run_tool(out, sizeof out, "data split %s -o %s", db, db), 1);
    ASSERT_CONTAINS(out, "file exists");
    unlink(db);
    put(csv, "a,label\n1,0\n2,1,3\n");
    ASSERT_EQ(run_tool(out, sizeof out, "data import csv %s -o %s", csv, db), 1);
    ASSERT_CONTAINS(out, ":3: ragged row: 3 fields, the header has 2");
    ASSERT_EQ(access(db, 0) == 0, false);
    ASSERT_EQ(run_tool(out, sizeof out, "data import idx /nonexistent/i /nonexistent/l -o %s", db),
              1);
    ASSERT_CONTAINS(out, "/nonexistent/i: cannot open");
    unlink(csv);
    unlink(junk);
}

TEST(bad_command_lines_exit_2) {
    static char out[OUT_SIZE];
    ASSERT_EQ(run_tool(out, sizeof out, "data"), 2);
    ASSERT_CONTAINS(out, "usage: fedc data");
    ASSERT_EQ(run_tool(out, sizeof out, "data frob"), 2);
    ASSERT_CONTAINS(out, "fedc data: unknown command 'frob'");
    ASSERT_EQ(run_tool(out, sizeof out, "data import parquet x -o y"), 2);
    ASSERT_CONTAINS(out, "fedc data import: unknown format 'parquet'");
    ASSERT_EQ(run_tool(out, sizeof out, "data import csv x.csv"), 2);
    ASSERT_CONTAINS(out, "missing -o OUT.sqlite");
    ASSERT_EQ(run_tool(out, sizeof out, "data import csv x.csv -o y --partition dirichlet:-1"), 2);
    ASSERT_CONTAINS(out, "bad --partition 'dirichlet:-1'");
    ASSERT_EQ(run_tool(out, sizeof out, "data import csv x.csv -o y --clients 0"), 2);
    ASSERT_CONTAINS(out, "bad --clients '0'");
    ASSERT_EQ(run_tool(out, sizeof out, "data import idx onlyone -o y"), 2);
    ASSERT_CONTAINS(out, "format idx takes 2 input files, got 1");
    ASSERT_EQ(run_tool(out, sizeof out, "data import csv x.csv -o y --frob 1"), 2);
    ASSERT_CONTAINS(out, "unknown option '--frob'");
    ASSERT_EQ(run_tool(out, sizeof out, "data info"), 2);
    ASSERT_CONTAINS(out, "fedc data info: missing FILE");
    ASSERT_EQ(run_tool(out, sizeof out, "data head x.sqlite"), 2);
    ASSERT_CONTAINS(out, "missing --client ID");
    ASSERT_EQ(run_tool(out, sizeof out, "data head x.sqlite --client a -n z"), 2);
    ASSERT_EQ(run_tool(out, sizeof out, "data split x.sqlite -o y --by rows"), 2);
    ASSERT_CONTAINS(out, "--by takes clients or examples");
    ASSERT_EQ(run_tool(out, sizeof out, "data split x.sqlite -o y --test-fraction 2"), 2);
}

TEST(info_on_tff_files) {
    static char out[OUT_SIZE];
    char path[512];
    snprintf(path, sizeof path, "%s/tff-sqlite/emnist_sample.sqlite", fedc_test_data_dir());
    if (access(path, R_OK)) SKIP("%s is missing", path);
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", path), 0);
    ASSERT_CONTAINS(out, "digits_only_train       12        415      18      19      38      47");
    ASSERT_CONTAINS(out, "features: label int64[1], pixels float32[784]");
    char row[128]; /* label 7: test, train (columns as wide as the split names) */
    snprintf(row, sizeof row, "\n%-8s %16s %17s\n", "7", "5", "53");
    ASSERT_CONTAINS(out, row);
    snprintf(path, sizeof path, "%s/tff-sqlite/shakespeare_sample.sqlite", fedc_test_data_dir());
    if (access(path, R_OK)) SKIP("%s is missing", path);
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", path), 0);
    ASSERT_CONTAINS(out, "labels: no example has an integer feature 'label' or 'y'");
    ASSERT_EQ(
        run_tool(out, sizeof out, "data head %s --client THE_TRAGEDY_OF_MESSENGER -n 1", path), 0);
    ASSERT_CONTAINS(out, "\"Where's Caius Marcius?\"");
}

TEST(cifar10_import) {
    static char out[OUT_SIZE];
    char bin[512], db[512];
    scratch(bin, sizeof bin, "c10.bin");
    scratch(db, sizeof db, "c10.sqlite");
    FILE *f = fopen(bin, "wb");
    ASSERT_NOT_NULL(f);
    for (int i = 0; i < 12; i++) {
        fputc(i % 4, f); /* label, then 3072 pixel bytes */
        for (int p = 0; p < 3072; p++)
            fputc((i + p) & 0xff, f);
    }
    fclose(f);
    ASSERT_EQ(run_tool(out, sizeof out, "data import cifar10 %s -o %s --clients 3", bin, db), 0);
    ASSERT_CONTAINS(out, "12 examples");
    ASSERT_CONTAINS(out, "3 clients, sizes min 4 mean 4.0 max 4");
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", db), 0);
    ASSERT_CONTAINS(out, "features: image uint8[3072], label int64[1]");
    unlink(db);
    ASSERT_EQ(run_tool(out, sizeof out, "data import cifar100 %s -o %s", bin, db), 1);
    ASSERT_CONTAINS(out, "not a whole number of 3074-byte CIFAR-100 records");
    unlink(bin);
}

/* TFF's downloads are NAME.sqlite.lzma: info reads one as it reads the plain file, and a cut one
 * fails with exit 1 naming the file and how far the stream got. */
TEST(info_on_a_compressed_tff_file) {
    static char out[OUT_SIZE];
    char path[512], lz[512], copy[600], meta[620];
    snprintf(path, sizeof path, "%s/tff-sqlite/emnist_sample.sqlite", fedc_test_data_dir());
    if (access(path, R_OK)) SKIP("%s is missing", path);
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    static uint8_t in[4 << 20], packed[4 << 20];
    size_t n = fread(in, 1, sizeof in, f), size = 0;
    fclose(f);
    ASSERT_LT(n, sizeof in);
    ASSERT_EQ(
        lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, in, n, packed, &size, sizeof packed),
        LZMA_OK);
    scratch(lz, sizeof lz, "emnist.sqlite.lzma");
    snprintf(copy, sizeof copy, "%s.fedc.sqlite", lz);
    snprintf(meta, sizeof meta, "%s.meta", copy);
    unlink(copy);
    unlink(meta);
    f = fopen(lz, "wb");
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(fwrite(packed, 1, size, f), size);
    fclose(f);
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", lz), 0);
    ASSERT_CONTAINS(out, "digits_only_train       12        415      18      19      38      47");
    ASSERT_CONTAINS(out, "features: label int64[1], pixels float32[784]");
    ASSERT_EQ(run_tool(out, sizeof out, "data head %s --client f0230_15 -n 1", lz), 0);
    ASSERT_CONTAINS(out, "label");
    unlink(copy);
    unlink(meta);

    f = fopen(lz, "wb");
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(fwrite(packed, 1, size / 4, f), size / 4);
    fclose(f);
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", lz), 1);
    ASSERT_CONTAINS(out, lz);
    ASSERT_CONTAINS(out, "truncated");
    ASSERT_EQ(access(copy, F_OK), -1);
    unlink(lz);
}

/* A bytes_list of several values (a post's tags) is shown as its strings. */
TEST(head_shows_a_list_of_strings) {
    static char out[OUT_SIZE];
    char db[512];
    scratch(db, sizeof db, "tags.sqlite");
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    static const int64_t lengths[3] = {1, 9, 6};
    fedc_tensor *t;
    ASSERT_OK(fedc_example_set_bytes_list(ctx, ex, "tags", lengths, 3, &t));
    memcpy(t->data, "cfederatedsqlite", 16);
    fedc_sqlite_writer *w;
    ASSERT_OK(fedc_sqlite_writer_create(ctx, db, &w));
    ASSERT_OK(fedc_sqlite_writer_add(ctx, w, "train", "u1", ex));
    ASSERT_OK(fedc_sqlite_writer_finish(ctx, w));
    fedc_sqlite_writer_destroy(w);
    fedc_example_destroy(ex);
    ASSERT_EQ(run_tool(out, sizeof out, "data head %s --client u1", db), 0);
    ASSERT_CONTAINS(out, "tags");
    ASSERT_CONTAINS(out, "3 strings: [\"c\", \"federated\", \"sqlite\"]");
    ASSERT_EQ(run_tool(out, sizeof out, "data info %s", db), 0);
    ASSERT_CONTAINS(out, "features: tags uint8[16] (a list of 3 byte strings)");
    unlink(db);
}
