/* import_csv.c — the CSV importer: a label column and feature columns, optionally an id column
 * whose values are the clients (natural ids), -> a TFF-schema SQLite file. Nothing here parses
 * CSV text (csv.c) or decides a partition (partition.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_int.h"
#include "data/import_int.h"

fedc_csv_import_opts fedc_csv_import_opts_default(void) {
    fedc_csv_import_opts o = {"label", NULL, "train"};
    return o;
}

typedef struct csv_src {
    const fedc_csv_table *t;
    const int64_t *labels;
    int64_t label_col, nfeat;
} csv_src;

static fedc_status csv_fill(fedc_ctx *ctx, void *user, int64_t i, fedc_example *ex) {
    const csv_src *s = user;
    const fedc_csv_table *t = s->t;
    fedc_shape xs = FEDC_SHAPE(s->nfeat), ls = FEDC_SHAPE(1);
    fedc_tensor *xt, *lt;
    fedc_status st = fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &xt);
    if (!st) st = fedc_example_set(ctx, ex, "label", FEDC_DTYPE_INT64, &ls, &lt);
    if (st) return st;
    float *x = xt->data;
    const double *row = t->values + i * t->cols;
    for (int64_t c = 0, f = 0; c < t->cols; c++)
        if (c != s->label_col && c != t->id_col) x[f++] = (float)row[c];
    ((int64_t *)lt->data)[0] = s->labels[i];
    return FEDC_STATUS_OK;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted distinct ids into *names (pointers into t->ids) and each row's index in it. */
static fedc_status group_ids(fedc_ctx *ctx, const fedc_csv_table *t, char ***names, int64_t *k,
                             int64_t *groups) {
    size_t n = (size_t)(t->rows ? t->rows : 1);
    char **sorted = fedc_malloc(n * sizeof *sorted);
    if (!sorted)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "ids of %lld rows",
                               (long long)t->rows);
    memcpy(sorted, t->ids, (size_t)t->rows * sizeof *sorted);
    qsort(sorted, (size_t)t->rows, sizeof *sorted, cmp_str);
    int64_t m = 0;
    for (int64_t i = 0; i < t->rows; i++)
        if (m == 0 || strcmp(sorted[m - 1], sorted[i])) sorted[m++] = sorted[i];
    for (int64_t i = 0; i < t->rows; i++) {
        char **hit = bsearch(&t->ids[i], sorted, (size_t)m, sizeof *sorted, cmp_str);
        groups[i] = hit - sorted;
    }
    *names = sorted;
    *k = m;
    return FEDC_STATUS_OK;
}

fedc_status fedc_import_csv(fedc_ctx *ctx, const char *csv_path, const char *sqlite_path,
                            const fedc_csv_import_opts *opts, const fedc_partition_opts *popts,
                            fedc_partition_stats *stats) {
    if (stats) memset(stats, 0, sizeof *stats);
    uint8_t *text;
    size_t size;
    fedc_status st = fedc__read_file(ctx, csv_path, &text, &size);
    if (st) return st;
    fedc_csv_table t;
    st = fedc_csv_parse(ctx, csv_path, text, size, opts->id_column, &t);
    fedc_free(text);
    if (st) return st;
    const char *lname = opts->label_column ? opts->label_column : "label";
    int64_t label_col = -1;
    for (int64_t c = 0; c < t.cols && label_col < 0; c++)
        if (!strcmp(t.names[c], lname)) label_col = c;
    if (label_col < 0 || label_col == t.id_col)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "%s:1: no label column '%s' in the header",
                             csv_path, lname);
    size_t n = (size_t)(t.rows ? t.rows : 1);
    int64_t *labels = NULL, *groups = NULL, num_classes = 0, k = 0;
    char **names = NULL;
    if (!st) {
        labels = fedc_malloc(n * sizeof *labels);
        groups = t.ids ? fedc_malloc(n * sizeof *groups) : NULL;
        if (!labels || (t.ids && !groups))
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: %lld rows", csv_path,
                                 (long long)t.rows);
    }
    for (int64_t i = 0; !st && i < t.rows; i++) {
        double v = t.values[i * t.cols + label_col];
        if (!(v >= 0 && v < 2147483648.0) || v != floor(v)) {
            /* Rows are data lines after the header; blank lines are not counted here. */
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: data row %lld: label %g is not an integer in [0, 2^31)",
                                 csv_path, (long long)i + 1, v);
            break;
        }
        labels[i] = (int64_t)v;
        if (labels[i] + 1 > num_classes) num_classes = labels[i] + 1;
    }
    if (!st && t.ids) st = group_ids(ctx, &t, &names, &k, groups);
    if (!st) {
        csv_src src = {&t, labels, label_col, t.cols - 1 - (t.id_col >= 0)};
        st = fedc__import_write(ctx, sqlite_path, opts->split_name ? opts->split_name : "train",
                                popts, labels, t.rows, num_classes, groups, names, k, csv_fill,
                                &src, stats);
    }
    if (st) fedc_ctx_prefixf(ctx, "import of %s", csv_path);
    fedc_free(names);
    fedc_free(labels);
    fedc_free(groups);
    fedc_csv_table_free(&t);
    return st;
}
