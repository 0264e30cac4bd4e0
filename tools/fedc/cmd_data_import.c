/* cmd_data_import.c — `fedc data import FORMAT INPUT... -o OUT`: centralized data (IDX, CSV,
 * CIFAR binary batches, a play with speaker headers) into a partitioned TFF-schema SQLite file,
 * printing the partition's size and label statistics. Reading and partitioning are the data
 * layer's; this file only parses the command line and prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

#define CMD "fedc data import"

static void print_help(FILE *out) {
    fprintf(out,
            "usage: " CMD " FORMAT INPUT... -o OUT.sqlite [OPTIONS]\n"
            "\n"
            "Imports centralized data into a new SQLite file in TFF's ClientData schema.\n"
            "\n"
            "formats:\n"
            "  idx IMAGES LABELS     MNIST-style IDX files (gzip or plain): pixels float32[H,W]\n"
            "                        in [0,1], label int64\n"
            "  csv FILE              a header row; a label column and numeric feature columns\n"
            "                        (x float32[F], label int64), or --id-column for natural\n"
            "                        clients\n"
            "  cifar10 BATCH...      CIFAR-10 binary batches (image uint8[32,32,3], label)\n"
            "  cifar100 BATCH...     CIFAR-100 binary batches (also coarse_label)\n"
            "  speakers TEXT         a play with 'NAME:' headers; clients are the roles, splits\n"
            "                        train and test (TFF's Shakespeare schema)\n"
            "\n"
            "options:\n"
            "  -o, --out FILE          the SQLite file to create (never overwritten)\n"
            "  --partition P           iid | dirichlet:ALPHA | shards:K | quantity:SIGMA (iid)\n"
            "  --clients N             number of clients (10)\n"
            "  --seed S                partition seed (0)\n"
            "  --split NAME            split name of the examples (train)\n"
            "  --label-column NAME     csv: the label column (label)\n"
            "  --id-column NAME        csv: a column of client ids (natural partition)\n"
            "  --test-fraction F       speakers: share of each role's speeches in test (0.2)\n"
            "  --id-prefix P           speakers: prefix of client ids ('')\n"
            "\n"
            "example:\n"
            "  " CMD " idx train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \\\n"
            "      -o mnist.sqlite --clients 100 --partition shards:2 --seed 1\n");
}

static int usage(const char *fmt, const char *arg) {
    fprintf(stderr, CMD ": ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see '" CMD " --help')\n");
    return FEDC_EXIT_USAGE;
}

static bool parse_i64(const char *s, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return false;
    *out = v;
    return true;
}

static bool parse_f64(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) return false;
    *out = v;
    return true;
}

/* iid | dirichlet:ALPHA | shards:K | quantity:SIGMA */
static bool parse_partition(const char *s, fedc_partition_opts *o) {
    const char *colon = strchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : strlen(s);
    if (len == 3 && !strncmp(s, "iid", 3) && !colon) {
        o->kind = FEDC_PARTITION_IID;
        return true;
    }
    if (!colon) return false;
    if (len == 9 && !strncmp(s, "dirichlet", 9)) {
        o->kind = FEDC_PARTITION_DIRICHLET;
        return parse_f64(colon + 1, &o->alpha) && o->alpha > 0;
    }
    if (len == 6 && !strncmp(s, "shards", 6)) {
        o->kind = FEDC_PARTITION_SHARDS;
        return parse_i64(colon + 1, &o->shards_per_client) && o->shards_per_client > 0;
    }
    if (len == 8 && !strncmp(s, "quantity", 8)) {
        o->kind = FEDC_PARTITION_QUANTITY_SKEW;
        return parse_f64(colon + 1, &o->sigma) && o->sigma >= 0;
    }
    return false;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Quantiles of client sizes and the label counts of the first clients, after the summary. */
static void print_stats(const fedc_partition_stats *s) {
    char line[256];
    fedc_partition_stats_format(s, line, sizeof line);
    printf("%s\n", line);
    int64_t k = s->num_clients, c = s->num_classes;
    int64_t *sorted = malloc((size_t)(k ? k : 1) * sizeof *sorted);
    if (!sorted) return;
    memcpy(sorted, s->sizes, (size_t)k * sizeof *sorted);
    qsort(sorted, (size_t)k, sizeof *sorted, cmp_i64);
    static const double qs[] = {0, 0.1, 0.5, 0.9, 1};
    static const char *const qn[] = {"min", "p10", "p50", "p90", "max"};
    printf("client sizes:");
    for (int i = 0; i < 5; i++)
        printf("%s %s %lld", i ? "," : "", qn[i],
               (long long)sorted[(int64_t)(qs[i] * (double)(k - 1) + 0.5)]);
    printf("\n");
    free(sorted);
    int64_t show = k < 10 ? k : 10;
    printf("\n%-8s %8s", "client#", "examples");
    if (c <= 20)
        for (int64_t l = 0; l < c; l++)
            printf(" %6lld", (long long)l);
    else
        printf("  distinct labels (of %lld)", (long long)c);
    printf("\n");
    for (int64_t i = 0; i < show; i++) {
        printf("%-8lld %8lld", (long long)i, (long long)s->sizes[i]);
        int64_t distinct = 0;
        for (int64_t l = 0; l < c; l++) {
            int64_t n = s->label_counts[i * c + l];
            distinct += n > 0;
            if (c <= 20) printf(" %6lld", (long long)n);
        }
        if (c > 20) printf("  %lld", (long long)distinct);
        printf("\n");
    }
    if (k > show) printf("... %lld more clients (see 'fedc data info')\n", (long long)(k - show));
}

static const char *partition_name(const fedc_partition_opts *o, char *buf, size_t size) {
    switch (o->kind) {
    case FEDC_PARTITION_DIRICHLET: snprintf(buf, size, "dirichlet(alpha=%g)", o->alpha); break;
    case FEDC_PARTITION_SHARDS:
        snprintf(buf, size, "shards(%lld per client)", (long long)o->shards_per_client);
        break;
    case FEDC_PARTITION_QUANTITY_SKEW: snprintf(buf, size, "quantity(sigma=%g)", o->sigma); break;
    default: snprintf(buf, size, "iid"); break;
    }
    return buf;
}

int fedc_cmd_data_import(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_help(stdout);
            return FEDC_EXIT_OK;
        }
    if (argc < 2) return usage("%s", "missing FORMAT");
    const char *format = argv[1], *out = NULL, *split = "train";
    fedc_partition_opts popts = fedc_partition_opts_default();
    fedc_csv_import_opts copts = fedc_csv_import_opts_default();
    fedc_speakers_opts sopts = fedc_speakers_opts_default();
    bool partitioned = false;
    const char *inputs[64];
    int ninputs = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (ninputs == 64) return usage("too many inputs at '%s'", a);
            inputs[ninputs++] = a;
            continue;
        }
        if (i + 1 >= argc) return usage("option '%s' needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
            out = v;
        } else if (!strcmp(a, "--partition")) {
            if (!parse_partition(v, &popts))
                return usage("bad --partition '%s' (iid, dirichlet:ALPHA, shards:K or "
                             "quantity:SIGMA)",
                             v);
            partitioned = true;
        } else if (!strcmp(a, "--clients")) {
            if (!parse_i64(v, &popts.num_clients) || popts.num_clients < 1)
                return usage("bad --clients '%s' (a positive integer)", v);
            partitioned = true;
        } else if (!strcmp(a, "--seed")) {
            int64_t seed;
            if (!parse_i64(v, &seed) || seed < 0) return usage("bad --seed '%s'", v);
            popts.seed = (uint64_t)seed;
        } else if (!strcmp(a, "--split")) {
            split = v;
        } else if (!strcmp(a, "--label-column")) {
            copts.label_column = v;
        } else if (!strcmp(a, "--id-column")) {
            copts.id_column = v;
        } else if (!strcmp(a, "--test-fraction")) {
            if (!parse_f64(v, &sopts.test_fraction)) return usage("bad --test-fraction '%s'", v);
        } else if (!strcmp(a, "--id-prefix")) {
            sopts.id_prefix = v;
        } else {
            return usage("unknown option '%s'", a);
        }
    }
    if (!out) return usage("%s", "missing -o OUT.sqlite");
    int want = -1; /* inputs the format takes; 0: one or more */
    bool is_csv = !strcmp(format, "csv"), is_speakers = !strcmp(format, "speakers");
    bool is_cifar = !strcmp(format, "cifar10") || !strcmp(format, "cifar100");
    if (!strcmp(format, "idx")) want = 2;
    if (is_csv || is_speakers) want = 1;
    if (is_cifar) want = 0;
    if (want < 0)
        return usage("unknown format '%s' (idx, csv, cifar10, cifar100, speakers)", format);
    if ((want > 0 && ninputs != want) || (want == 0 && ninputs == 0)) {
        fprintf(stderr, CMD ": format %s takes %s input file%s, got %d (see '" CMD " --help')\n",
                format,
                want == 2   ? "2"
                : want == 1 ? "1"
                            : "1 or more",
                want == 2 ? "s" : "", ninputs);
        return FEDC_EXIT_USAGE;
    }
    if (is_speakers && partitioned)
        return usage("%s", "speakers: the roles are the clients (no --partition or --clients)");
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) {
        fprintf(stderr, CMD ": out of memory\n");
        return FEDC_EXIT_FAILURE;
    }
    fedc_partition_stats stats;
    memset(&stats, 0, sizeof stats);
    fedc_status st;
    int64_t roles = 0;
    copts.split_name = split;
    sopts.train_split = split;
    if (!strcmp(format, "idx"))
        st = fedc_import_idx(ctx, inputs[0], inputs[1], out, split, &popts, &stats);
    else if (is_csv)
        st = fedc_import_csv(ctx, inputs[0], out, &copts, &popts, &stats);
    else if (is_cifar)
        st = fedc_import_cifar(ctx, inputs, ninputs, !strcmp(format, "cifar100"), out, split,
                               &popts, &stats);
    else
        st = fedc_import_speakers(ctx, inputs[0], out, &sopts, &roles);
    int rc = FEDC_EXIT_OK;
    if (st) {
        fprintf(stderr, CMD ": %s\n", fedc_ctx_message(ctx));
        rc = FEDC_EXIT_FAILURE;
    } else if (is_speakers) {
        printf("wrote %s: %lld clients (speaking roles), splits '%s' and '%s'\n", out,
               (long long)roles, sopts.train_split, sopts.test_split);
    } else {
        char name[64];
        int64_t n = 0;
        for (int64_t c = 0; c < stats.num_clients; c++)
            n += stats.sizes[c];
        printf("wrote %s: %lld examples in split '%s'\n", out, (long long)n, split);
        if (copts.id_column && is_csv)
            printf("partition: natural (column '%s')\n", copts.id_column);
        else
            printf("partition: %s, seed %llu\n", partition_name(&popts, name, sizeof name),
                   (unsigned long long)popts.seed);
        print_stats(&stats);
    }
    fedc_partition_stats_free(&stats);
    fedc_ctx_destroy(ctx);
    return rc;
}
