/* robust_natives.c — the natives behind the robust aggregators: gathering client updates into the
 * rows of an accumulator (in client order, so the result never depends on threads), merging two
 * partial accumulators, and reducing the rows with fedc/learning_agg.h's median, trimmed mean or
 * multi-Krum.
 */
#include <string.h>

#include "fedc/learning_agg.h"
#include "learning/learning_int.h"

typedef struct robust_opts {
    char kind[16];
    int64_t rows, width, byzantine, select;
    double trim;
} robust_opts;

static fedc_status read_opts(fedc_ctx *ctx, const uint8_t *b, size_t n, robust_opts *o) {
    if (!fedc__blob_get_str(b, n, "kind", o->kind, sizeof o->kind) ||
        !fedc__blob_get_i64(b, n, "rows", &o->rows) ||
        !fedc__blob_get_i64(b, n, "width", &o->width) ||
        !fedc__blob_get_i64(b, n, "byzantine", &o->byzantine) ||
        !fedc__blob_get_i64(b, n, "select", &o->select) ||
        !fedc__blob_get_f64(b, n, "trim_fraction", &o->trim) || o->rows < 1 || o->width < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "robust aggregator: bad options in the computation");
    return FEDC_STATUS_OK;
}

/* Item i of a struct argument as a float32 vector of n, or NULL. */
static const float *vec(const fedc_value *arg, size_t i, int64_t n) {
    return i < fedc_value_size(arg) ? fedc__vector_of(fedc_value_item(arg, i), n) : NULL;
}

/* Item i as a row count in [0, rows], or -1. */
static int64_t count(const fedc_value *arg, size_t i, int64_t rows) {
    const fedc_tensor *t =
        i < fedc_value_size(arg) ? fedc__tensor_of(fedc_value_item(arg, i)) : NULL;
    if (!t || t->dtype != FEDC_DTYPE_FLOAT32 || fedc_tensor_numel(t) != 1) return -1;
    double c = fedc_tensor_get_flat(t, 0);
    return c >= 0 && c <= (double)rows && c == (double)(int64_t)c ? (int64_t)c : -1;
}

static fedc_status too_many(fedc_ctx *ctx, int64_t rows) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                           "robust aggregator: more clients in the round than its capacity of "
                           "%lld",
                           (long long)rows);
}

fedc_status fedc__native_rows_put(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                                  fedc_value *arg, fedc_value **out) {
    (void)user;
    robust_opts o;
    fedc_status st = read_opts(ctx, blob, blob_size, &o);
    if (st < 0) return st;
    const float *rows = vec(arg, 0, o.rows * o.width), *u = vec(arg, 2, o.width);
    int64_t n = count(arg, 1, o.rows);
    if (!rows || !u || n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "rows_put: expected <rows, count, update>");
    if (n == o.rows) return too_many(ctx, o.rows);
    if ((st = fedc__vector_value(ctx, rows, o.rows * o.width, out)) < 0) return st;
    float *dst = fedc_value_get_tensor(*out)->data;
    memcpy(dst + n * o.width, u, (size_t)o.width * sizeof(float));
    return FEDC_STATUS_OK;
}

fedc_status fedc__native_rows_merge(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                    size_t blob_size, fedc_value *arg, fedc_value **out) {
    (void)user;
    robust_opts o;
    fedc_status st = read_opts(ctx, blob, blob_size, &o);
    if (st < 0) return st;
    const float *a = vec(arg, 0, o.rows * o.width), *b = vec(arg, 2, o.rows * o.width);
    int64_t na = count(arg, 1, o.rows), nb = count(arg, 3, o.rows);
    if (!a || !b || na < 0 || nb < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "rows_merge: expected <rows, count, rows, count>");
    if (na + nb > o.rows) return too_many(ctx, o.rows);
    if ((st = fedc__vector_value(ctx, a, o.rows * o.width, out)) < 0) return st;
    float *dst = fedc_value_get_tensor(*out)->data;
    memcpy(dst + na * o.width, b, (size_t)(nb * o.width) * sizeof(float));
    return FEDC_STATUS_OK;
}

fedc_status fedc__native_robust_reduce(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out) {
    (void)user;
    robust_opts o;
    fedc_status st = read_opts(ctx, blob, blob_size, &o);
    if (st < 0) return st;
    const float *rows = vec(arg, 0, o.rows * o.width);
    int64_t n = count(arg, 1, o.rows);
    if (!rows || n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "robust_reduce: expected <rows, count>");
    if ((st = fedc__vector_value(ctx, NULL, o.width, out)) < 0) return st;
    float *res = fedc_value_get_tensor(*out)->data;
    if (n == 0) { /* no clients: a zero update */
        memset(res, 0, (size_t)o.width * sizeof(float));
        return FEDC_STATUS_OK;
    }
    const float **ptrs = fedc_malloc((size_t)n * sizeof *ptrs);
    if (!ptrs) st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    for (int64_t i = 0; st >= 0 && i < n; i++)
        ptrs[i] = rows + i * o.width;
    if (st >= 0) {
        if (!strcmp(o.kind, "median"))
            st = fedc_agg_median(ctx, ptrs, n, o.width, res);
        else if (!strcmp(o.kind, "trimmed_mean"))
            st = fedc_agg_trimmed_mean(ctx, ptrs, n, o.width, o.trim, res);
        else if (!strcmp(o.kind, "krum"))
            st = fedc_agg_multi_krum(ctx, ptrs, n, o.width, o.byzantine,
                                     o.select < n - o.byzantine ? o.select : n - o.byzantine, res,
                                     NULL);
        else
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                 "robust aggregator: unknown kind '%s'", o.kind);
    }
    fedc_free(ptrs);
    if (st < 0) {
        fedc_value_release(*out);
        *out = NULL;
        return fedc_ctx_prefixf(ctx, "robust aggregator (%lld clients)", (long long)n);
    }
    return FEDC_STATUS_OK;
}
