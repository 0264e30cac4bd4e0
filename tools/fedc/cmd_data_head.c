/* cmd_data_head.c — `fedc data head FILE --client ID`: the first examples of one client, each
 * feature on a line (dtype, shape, the first values, a summary of the rest; text as text).
 * Read-only: nothing here writes a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

enum { SHOW_VALUES = 12, SHOW_TEXT = 160 };

static bool is_text(const fedc_tensor *t) {
    if (t->dtype != FEDC_DTYPE_UINT8 || t->shape.rank != 1) return false;
    const unsigned char *b = t->data;
    for (int64_t i = 0; i < t->shape.dims[0]; i++)
        if ((b[i] < 0x20 && b[i] != '\n' && b[i] != '\t') || b[i] == 0x7f) return false;
    return true;
}

/* Prints up to `room` bytes of b as a quoted string; returns the bytes printed. */
static int64_t print_quoted(const unsigned char *b, int64_t n, int64_t room) {
    putchar('"');
    int64_t k = 0;
    for (; k < n && k < room; k++) {
        if (b[k] == '\n')
            printf("\\n");
        else if (b[k] == '\t')
            printf("\\t");
        else if (b[k] == '"' || b[k] == '\\')
            printf("\\%c", b[k]);
        else
            putchar(b[k]);
    }
    printf("\"%s", n > room ? "..." : "");
    return k;
}

static void print_feature(const fedc_example *ex, int i) {
    const fedc_tensor *t = fedc_example_tensor(ex, i);
    char shape[128];
    int n = snprintf(shape, sizeof shape, "%s[", fedc_dtype_name(t->dtype));
    for (int d = 0; d < t->shape.rank && (size_t)n < sizeof shape; d++)
        n += snprintf(shape + n, sizeof shape - (size_t)n, "%s%lld", d ? "," : "",
                      (long long)t->shape.dims[d]);
    if ((size_t)n < sizeof shape) snprintf(shape + n, sizeof shape - (size_t)n, "]");
    printf("  %-14s %-16s", fedc_example_name(ex, i), shape);
    int64_t numel = fedc_tensor_numel(t);
    if (fedc_example_is_bytes_list(ex, i)) { /* a list of byte strings: each one quoted */
        int64_t count = fedc_example_bytes_count(ex, i), room = SHOW_TEXT;
        printf(" %lld strings: [", (long long)count);
        for (int64_t k = 0; k < count; k++) {
            if (room <= 0) {
                printf(", ...");
                break;
            }
            size_t len;
            const unsigned char *b = fedc_example_bytes_at(ex, i, k, &len);
            if (k) printf(", ");
            room -= print_quoted(b, (int64_t)len, room) + 4;
        }
        printf("]\n");
        return;
    }
    if (is_text(t) && numel > 0) {
        putchar(' ');
        print_quoted(t->data, numel, SHOW_TEXT);
        printf("\n");
        return;
    }
    double lo = 0, hi = 0, sum = 0;
    for (int64_t k = 0; k < numel; k++) {
        double v = fedc_tensor_get_flat(t, k);
        if (k < SHOW_VALUES) printf(" %.6g", v);
        lo = k == 0 || v < lo ? v : lo;
        hi = k == 0 || v > hi ? v : hi;
        sum += v;
    }
    if (numel > SHOW_VALUES)
        printf(" ... (%lld values: min %.6g, mean %.6g, max %.6g)", (long long)numel, lo,
               sum / (double)numel, hi);
    printf("\n");
}

int fedc_cmd_data_head(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: fedc data head FILE.sqlite --client ID [--split NAME] [-n N]\n"
                   "\n"
                   "Prints the first N examples (3) of client ID (of split NAME, or of every\n"
                   "split): each feature's dtype and shape, its first values and a summary.\n"
                   "\n"
                   "example:\n"
                   "  fedc data head mnist.sqlite --client client_00007 -n 2\n");
            return FEDC_EXIT_OK;
        }
    const char *path = NULL, *client = NULL, *split = NULL;
    long long count = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--client") && has) {
            client = argv[++i];
        } else if (!strcmp(a, "--split") && has) {
            split = argv[++i];
        } else if (!strcmp(a, "-n") && has) {
            char *end;
            errno = 0;
            count = strtoll(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || count < 0) {
                fprintf(stderr, "fedc data head: bad -n '%s' (a count >= 0)\n", argv[i]);
                return FEDC_EXIT_USAGE;
            }
        } else if (a[0] == '-' || path) {
            fprintf(stderr,
                    "fedc data head: unexpected argument '%s' (see 'fedc data head "
                    "--help')\n",
                    a);
            return FEDC_EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (!path || !client) {
        fprintf(stderr, "fedc data head: missing %s (see 'fedc data head --help')\n",
                path ? "--client ID" : "FILE");
        return FEDC_EXIT_USAGE;
    }
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return FEDC_EXIT_FAILURE;
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = split;
    fedc_client_data *cd = NULL;
    fedc_dataset *ds = NULL;
    fedc_example *ex = NULL;
    fedc_status st = fedc_client_data_open_sqlite(ctx, path, &o, &cd);
    if (!st && (st = fedc_client_data_open_id(ctx, cd, client, &ds)))
        fedc_ctx_prefixf(ctx, "%s", path);
    if (!st) st = fedc_example_create(ctx, &ex);
    if (!st)
        printf("client %s of %s%s%s\n", client, path, split ? ", split " : "", split ? split : "");
    bool got = true;
    for (long long k = 0; !st && k < count; k++) {
        st = fedc_dataset_next(ctx, ds, ex, &got);
        if (st || !got) break;
        printf("example %lld\n", k);
        for (int i = 0; i < fedc_example_count(ex); i++)
            print_feature(ex, i);
    }
    int rc = FEDC_EXIT_OK;
    if (st) {
        fprintf(stderr, "fedc data head: %s\n", fedc_ctx_message(ctx));
        rc = FEDC_EXIT_FAILURE;
    }
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
    fedc_ctx_destroy(ctx);
    return rc;
}
