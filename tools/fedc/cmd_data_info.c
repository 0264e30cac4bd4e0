/* cmd_data_info.c — `fedc data info FILE`: splits, clients, examples, per-client size
 * quantiles, features and the label distribution, as tables. Read-only: nothing here writes a
 * file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

enum { MAX_LABEL = 1 << 20, MAX_SPLITS = 16 };

static bool wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return true;
    return false;
}

static int fail(const char *cmd, fedc_ctx *ctx) {
    fprintf(stderr, "fedc data %s: %s\n", cmd, fedc_ctx_message(ctx));
    return FEDC_EXIT_FAILURE;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* "pixels float32[28,28]" */
static void describe(const fedc_example *ex, int i, char *buf, size_t size) {
    const fedc_tensor *t = fedc_example_tensor(ex, i);
    int n = snprintf(buf, size, "%s %s[", fedc_example_name(ex, i), fedc_dtype_name(t->dtype));
    for (int d = 0; d < t->shape.rank && n > 0 && (size_t)n < size; d++)
        n += snprintf(buf + n, size - (size_t)n, "%s%lld", d ? "," : "",
                      (long long)t->shape.dims[d]);
    if (n > 0 && (size_t)n < size) n += snprintf(buf + n, size - (size_t)n, "]");
    if (n > 0 && (size_t)n < size && fedc_example_is_bytes_list(ex, i))
        snprintf(buf + n, size - (size_t)n, " (a list of %lld byte strings)",
                 (long long)fedc_example_bytes_count(ex, i));
}

/* The example's label: feature `name` (or "label", then "y"), one integer value in range. */
static bool label_of(const fedc_example *ex, const char *name, int64_t *out) {
    const fedc_tensor *t = fedc_example_get(ex, name ? name : "label");
    if (!t && !name) t = fedc_example_get(ex, "y");
    if (!t || fedc_tensor_numel(t) != 1 || fedc_dtype_is_float(t->dtype)) return false;
    double v = fedc_tensor_get_flat(t, 0);
    if (v < 0 || v >= MAX_LABEL) return false;
    *out = (int64_t)v;
    return true;
}

typedef struct split_info {
    char *name;
    int64_t *counts; /* [ncounts] per label */
    int64_t ncounts, nolabel;
} split_info;

/* One split: its size table row, and (when labels) its label counts by reading every example. */
static fedc_status scan_split(fedc_ctx *ctx, const char *path, split_info *si, int width,
                              const char *label, bool labels, int64_t *ncls, char *features,
                              size_t fsize) {
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = si->name;
    fedc_client_data *cd;
    fedc_status st = fedc_client_data_open_sqlite(ctx, path, &o, &cd);
    if (st) return st;
    int64_t k = fedc_client_data_num_clients(cd), total = 0;
    int64_t *sizes = malloc((size_t)(k ? k : 1) * sizeof *sizes);
    if (!sizes) {
        fedc_client_data_destroy(cd);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%lld clients", (long long)k);
    }
    for (int64_t c = 0; c < k; c++)
        total += sizes[c] = fedc_client_data_num_examples(cd, c);
    qsort(sizes, (size_t)k, sizeof *sizes, cmp_i64);
    printf("%-*s %8lld %10lld", width, si->name, (long long)k, (long long)total);
    static const double qs[] = {0, 0.1, 0.5, 0.9, 1};
    for (int q = 0; q < 5; q++)
        printf(" %7lld", k ? (long long)sizes[(int64_t)(qs[q] * (double)(k - 1) + 0.5)] : 0LL);
    printf("\n");
    free(sizes);
    fedc_dataset *ds = NULL;
    fedc_example *ex = NULL;
    if (labels || !features[0]) st = fedc_client_data_pooled(ctx, cd, &ds);
    if (!st && ds) st = fedc_example_create(ctx, &ex);
    bool got = ds != NULL;
    while (!st && got) {
        st = fedc_dataset_next(ctx, ds, ex, &got);
        if (st || !got) break;
        if (!features[0]) {
            size_t n = 0;
            for (int i = 0; i < fedc_example_count(ex) && n + 2 < fsize; i++) {
                if (i) n += (size_t)snprintf(features + n, fsize - n, ", ");
                describe(ex, i, features + n, fsize - n);
                n = strlen(features);
            }
        }
        if (!labels) break;
        int64_t l;
        if (!label_of(ex, label, &l)) {
            si->nolabel++;
            continue;
        }
        if (l >= si->ncounts) {
            int64_t *nc = realloc(si->counts, (size_t)(l + 1) * sizeof *nc);
            if (!nc) {
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "label counts");
                break;
            }
            memset(nc + si->ncounts, 0, (size_t)(l + 1 - si->ncounts) * sizeof *nc);
            si->counts = nc;
            si->ncounts = l + 1;
            if (l >= *ncls) *ncls = l + 1;
        }
        si->counts[l]++;
    }
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
    return st;
}

int fedc_cmd_data_info(int argc, char **argv) {
    if (wants_help(argc, argv)) {
        printf("usage: fedc data info FILE.sqlite [--label NAME] [--no-labels]\n"
               "\n"
               "Prints a TFF ClientData SQLite file's splits (clients, examples, per-client size\n"
               "quantiles), its features, and the label distribution per split (read from every\n"
               "example's integer feature NAME, by default 'label' or else 'y'; --no-labels\n"
               "skips reading the examples). TFF's compressed downloads (FILE.sqlite.lzma, xz or\n"
               "lzma) are read directly through a cached decompressed copy.\n"
               "\n"
               "example:\n"
               "  fedc data info mnist.sqlite\n"
               "  fedc data info emnist_all.sqlite.lzma\n");
        return FEDC_EXIT_OK;
    }
    const char *path = NULL, *label = NULL;
    bool labels = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-labels")) {
            labels = false;
        } else if (!strcmp(argv[i], "--label") && i + 1 < argc) {
            label = argv[++i];
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr,
                    "fedc data info: unexpected argument '%s' (see 'fedc data info "
                    "--help')\n",
                    argv[i]);
            return FEDC_EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "fedc data info: missing FILE (see 'fedc data info --help')\n");
        return FEDC_EXIT_USAGE;
    }
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return FEDC_EXIT_FAILURE;
    char **names;
    int64_t nsplits;
    fedc_status st = fedc_sqlite_splits(ctx, path, &names, &nsplits);
    if (st) {
        int rc = fail("info", ctx);
        fedc_ctx_destroy(ctx);
        return rc;
    }
    int64_t all_splits = nsplits;
    if (nsplits > MAX_SPLITS) nsplits = MAX_SPLITS;
    split_info si[MAX_SPLITS];
    memset(si, 0, sizeof si);
    char features[1024] = "";
    int64_t ncls = 0;
    int width = 12; /* the split column fits the longest name */
    for (int64_t s = 0; s < nsplits; s++)
        if ((int)strlen(names[s]) > width) width = (int)strlen(names[s]);
    printf("file: %s\n\n%-*s %8s %10s %7s %7s %7s %7s %7s\n", path, width, "split", "clients",
           "examples", "min", "p10", "p50", "p90", "max");
    for (int64_t s = 0; s < nsplits && !st; s++) {
        si[s].name = names[s];
        st = scan_split(ctx, path, &si[s], width, label, labels, &ncls, features, sizeof features);
    }
    if (!st) printf("\nfeatures: %s\n", features[0] ? features : "(no examples)");
    if (!st && labels && ncls == 0)
        printf("\nlabels: no example has an integer feature '%s'%s\n", label ? label : "label",
               label ? "" : " or 'y'");
    if (!st && labels && ncls > 0) {
        printf("\nlabels (feature '%s'):\n%-8s", label ? label : "label", "label");
        for (int64_t s = 0; s < nsplits; s++)
            printf(" %12s", si[s].name); /* a longer name widens its column */
        printf("\n");
        for (int64_t l = 0; l < ncls; l++) {
            printf("%-8lld", (long long)l);
            for (int64_t s = 0; s < nsplits; s++)
                printf(" %*lld", strlen(si[s].name) > 12 ? (int)strlen(si[s].name) : 12,
                       l < si[s].ncounts ? (long long)si[s].counts[l] : 0LL);
            printf("\n");
        }
        for (int64_t s = 0; s < nsplits; s++)
            if (si[s].nolabel)
                printf("split %s: %lld examples without an integer label feature\n", si[s].name,
                       (long long)si[s].nolabel);
    }
    int rc = st ? fail("info", ctx) : FEDC_EXIT_OK;
    for (int64_t s = 0; s < nsplits; s++)
        free(si[s].counts);
    fedc_string_list_free(names, all_splits);
    fedc_ctx_destroy(ctx);
    return rc;
}
