/* cmd_data_split.c — `fedc data split IN -o OUT`: a train/test split of a TFF ClientData file,
 * by clients (seeded) or by examples inside every client, written into a new file with splits
 * "train" and "test". The split itself is the data layer's (client data views); this file
 * copies the views' examples. It never modifies IN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

#define CMD "fedc data split"

static int usage(const char *what, const char *arg) {
    fprintf(stderr, CMD ": %s%s%s (see '" CMD " --help')\n", what, arg ? " " : "", arg ? arg : "");
    return FEDC_EXIT_USAGE;
}

/* Copies every client of view cd into split `split` of w; adds the example count to *n. */
static fedc_status copy_view(fedc_ctx *ctx, const fedc_client_data *cd, fedc_sqlite_writer *w,
                             const char *split, int64_t *n) {
    fedc_example *ex;
    fedc_status st = fedc_example_create(ctx, &ex);
    for (int64_t c = 0; !st && c < fedc_client_data_num_clients(cd); c++) {
        const char *id = fedc_client_data_client_id(cd, c);
        fedc_dataset *ds = NULL;
        st = fedc_client_data_open(ctx, cd, c, &ds);
        bool got = !st;
        while (!st && got) {
            st = fedc_dataset_next(ctx, ds, ex, &got);
            if (!st && got) st = fedc_sqlite_writer_add(ctx, w, split, id, ex);
            if (!st && got) ++*n;
        }
        fedc_dataset_destroy(ds);
    }
    fedc_example_destroy(ex);
    return st;
}

int fedc_cmd_data_split(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf(
                "usage: " CMD " IN.sqlite -o OUT.sqlite [--by clients|examples]\n"
                "       [--test-fraction F] [--seed S] [--split NAME]\n"
                "\n"
                "Writes a new file with splits 'train' and 'test' from IN's split NAME (default:\n"
                "every split): --by clients (default) puts round(F * clients) clients, drawn\n"
                "with seed S, in test; --by examples puts the last share F of every client's\n"
                "examples in test. F defaults to 0.2, S to 0.\n"
                "\n"
                "example:\n"
                "  " CMD " mnist.sqlite -o mnist_split.sqlite --by clients --test-fraction 0.1\n");
            return FEDC_EXIT_OK;
        }
    const char *in = NULL, *out = NULL, *by = "clients", *split = NULL;
    double fraction = 0.2;
    unsigned long long seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        char *end;
        if ((!strcmp(a, "-o") || !strcmp(a, "--out")) && has) {
            out = argv[++i];
        } else if (!strcmp(a, "--by") && has) {
            by = argv[++i];
            if (strcmp(by, "clients") && strcmp(by, "examples"))
                return usage("--by takes clients or examples, not", by);
        } else if (!strcmp(a, "--split") && has) {
            split = argv[++i];
        } else if (!strcmp(a, "--test-fraction") && has) {
            errno = 0;
            fraction = strtod(argv[++i], &end);
            if (errno || *end || end == argv[i] || !(fraction >= 0 && fraction <= 1))
                return usage("--test-fraction takes a number in [0, 1], not", argv[i]);
        } else if (!strcmp(a, "--seed") && has) {
            errno = 0;
            seed = strtoull(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || argv[i][0] == '-')
                return usage("bad --seed", argv[i]);
        } else if (a[0] == '-' || in) {
            return usage("unexpected argument", a);
        } else {
            in = a;
        }
    }
    if (!in) return usage("missing IN", NULL);
    if (!out) return usage("missing -o OUT", NULL);
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return FEDC_EXIT_FAILURE;
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = split;
    fedc_client_data *cd = NULL, *train = NULL, *test = NULL;
    fedc_sqlite_writer *w = NULL;
    fedc_status st = fedc_client_data_open_sqlite(ctx, in, &o, &cd);
    if (!st && !strcmp(by, "clients"))
        st = fedc_client_data_split_clients(ctx, cd, fraction, seed, &train, &test);
    else if (!st)
        st = fedc_client_data_split_examples(ctx, cd, fraction, &train, &test);
    if (!st) st = fedc_sqlite_writer_create(ctx, out, &w);
    int64_t ntrain = 0, ntest = 0;
    if (!st) st = copy_view(ctx, train, w, "train", &ntrain);
    if (!st) st = copy_view(ctx, test, w, "test", &ntest);
    if (!st) st = fedc_sqlite_writer_finish(ctx, w);
    int rc = FEDC_EXIT_OK;
    if (st) {
        fprintf(stderr, CMD ": %s\n", fedc_ctx_message(ctx));
        rc = FEDC_EXIT_FAILURE;
    } else {
        printf("wrote %s (by %s, test fraction %g", out, by, fraction);
        if (!strcmp(by, "clients")) printf(", seed %llu", seed);
        printf(")\n");
        printf("  train: %lld clients, %lld examples\n",
               (long long)fedc_client_data_num_clients(train), (long long)ntrain);
        printf("  test:  %lld clients, %lld examples\n",
               (long long)fedc_client_data_num_clients(test), (long long)ntest);
    }
    fedc_sqlite_writer_destroy(w);
    fedc_client_data_destroy(train);
    fedc_client_data_destroy(test);
    fedc_client_data_destroy(cd);
    fedc_ctx_destroy(ctx);
    return rc;
}
