/* metrics_natives.c — the metrics aggregations other than sum-then-finalize
 * (fedc_metrics_aggregation):
 *   secure sum then finalize: each client's unfinalized values clamped to [0, U] and coded as
 *     64-bit integers (2^40 / U per unit, rounded to nearest), summed modulo 2^64 as secure
 *     aggregation sums; the accumulator's last slot counts the clamped values;
 *   finalize then sample: each client's finalized metrics kept when its priority, drawn from
 *     FEDC_RNG(seed, round, client, SAMPLING), is among the S largest: a uniform sample of S
 *     clients that merges in any order. Rows are (priority, value...) with priority 0 empty.
 */
#include <math.h>
#include <string.h>

#include "learning/learning_int.h"

#define SECURE_SCALE_NUMERATOR 1099511627776.0 /* 2^40 */

static fedc_status type_error(fedc_ctx *ctx, const char *what, const char *expects) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "%s expects %s", what, expects);
}

static double secure_upper(const uint8_t *blob, size_t size) {
    double u = 0;
    return fedc__blob_get_f64(blob, size, "upper", &u) && u > 0 ? u : 1048576.0;
}

/* <int64[M+1], float64[M]> -> int64[M+1]: the client's codes added modulo 2^64. */
fedc_status fedc__native_secure_metrics_add(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                            size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    const uint64_t *acc =
        fedc__typed_vector_of(fedc_value_item(arg, 0), FEDC_DTYPE_INT64, p->M + 1);
    const double *v = fedc__typed_vector_of(fedc_value_item(arg, 1), FEDC_DTYPE_FLOAT64, p->M);
    if (!acc || !v) return type_error(ctx, "secure metrics add", "<int64[M+1],float64[M]>");
    double upper = secure_upper(blob, blob_size), scale = SECURE_SCALE_NUMERATOR / upper;
    uint64_t sum[65];
    if (p->M > 64) return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "more than 64 metrics");
    memcpy(sum, acc, (size_t)(p->M + 1) * sizeof *sum);
    for (int64_t i = 0; i < p->M; i++) {
        double x = v[i];
        if (!(x >= 0) || x > upper) { /* NaN too: what a client cannot encode counts as clamped */
            x = x > upper ? upper : 0;
            sum[p->M]++;
        }
        sum[i] += (uint64_t)llround(x * scale); /* unsigned: wraps modulo 2^64 */
    }
    return fedc__typed_vector_value(ctx, FEDC_DTYPE_INT64, sum, p->M + 1, out);
}

/* <int64[M+1], int64[M+1]> -> int64[M+1], modulo 2^64. */
fedc_status fedc__native_secure_metrics_merge(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                              size_t blob_size, fedc_value *arg, fedc_value **out) {
    (void)blob, (void)blob_size;
    fedc_learning_process *p = user;
    const uint64_t *x = fedc__typed_vector_of(fedc_value_item(arg, 0), FEDC_DTYPE_INT64, p->M + 1);
    const uint64_t *y = fedc__typed_vector_of(fedc_value_item(arg, 1), FEDC_DTYPE_INT64, p->M + 1);
    if (!x || !y) return type_error(ctx, "secure metrics merge", "<int64[M+1],int64[M+1]>");
    uint64_t sum[65];
    if (p->M > 64) return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "more than 64 metrics");
    for (int64_t i = 0; i <= p->M; i++)
        sum[i] = x[i] + y[i];
    return fedc__typed_vector_value(ctx, FEDC_DTYPE_INT64, sum, p->M + 1, out);
}

/* int64[M+1] -> <sum=float64[M], clamped=float64>: the decoded sum and the clamped count. */
fedc_status fedc__native_secure_metrics_decode(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                               size_t blob_size, fedc_value *arg,
                                               fedc_value **out) {
    fedc_learning_process *p = user;
    const uint64_t *codes = fedc__typed_vector_of(arg, FEDC_DTYPE_INT64, p->M + 1);
    if (!codes) return type_error(ctx, "secure metrics decode", "int64[M+1]");
    double scale = SECURE_SCALE_NUMERATOR / secure_upper(blob, blob_size), v[64];
    if (p->M > 64) return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "more than 64 metrics");
    for (int64_t i = 0; i < p->M; i++)
        v[i] = (double)codes[i] / scale;
    double clamped = (double)codes[p->M];
    fedc_value *items[2] = {NULL, NULL};
    static const char *const names[2] = {"sum", "clamped"};
    fedc_status st = fedc__typed_vector_value(ctx, FEDC_DTYPE_FLOAT64, v, p->M, &items[0]);
    if (st >= 0 && !(items[1] = fedc__scalar_value(ctx, FEDC_DTYPE_FLOAT64, &clamped)))
        st = fedc_ctx_status(ctx);
    if (st >= 0) st = fedc_value_struct(ctx, 2, items, names, out);
    fedc_value_release(items[0]);
    fedc_value_release(items[1]);
    return st;
}

/* The sample's sizes: S rows of 1 + F doubles (F finalized metrics). */
static fedc_status sample_sizes(fedc_ctx *ctx, const fedc_learning_process *p, const uint8_t *blob,
                                size_t blob_size, int64_t *S, int64_t *F) {
    *F = p->model->metrics ? (int64_t)fedc_metric_set_count(p->model->metrics) : 0;
    if (!fedc__blob_get_i64(blob, blob_size, "sample_size", S) || *S < 1 || *F > 64)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "metrics sample: missing or bad 'sample_size' (or over 64 metrics)");
    return FEDC_STATUS_OK;
}

/* Puts a row into rows[S][1+F] (sorted by decreasing priority) if its priority is among the S
 * largest; ties, which need equal 53-bit draws, keep the row already there. */
static void sample_insert(double *rows, int64_t S, int64_t F, const double *row) {
    int64_t w = 1 + F;
    if (!(row[0] > rows[(S - 1) * w])) return;
    int64_t at = S - 1;
    while (at > 0 && row[0] > rows[(at - 1) * w])
        at--;
    memmove(rows + (at + 1) * w, rows + at * w, (size_t)((S - 1 - at) * w) * sizeof *rows);
    memcpy(rows + at * w, row, (size_t)w * sizeof *rows);
}

/* A copy of n rows' doubles to insert into, or NULL (the error set) when memory runs out. */
static double *rows_copy(fedc_ctx *ctx, const double *rows, int64_t n) {
    double *copy = fedc_malloc((size_t)n * sizeof *copy);
    if (!copy) {
        fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory sampling");
        return NULL;
    }
    memcpy(copy, rows, (size_t)n * sizeof *copy);
    return copy;
}

/* Makes the result value from the rows and frees them. */
static fedc_status rows_result(fedc_ctx *ctx, double *rows, int64_t n, fedc_value **out) {
    fedc_status st = fedc__typed_vector_value(ctx, FEDC_DTYPE_FLOAT64, rows, n, out);
    fedc_free(rows);
    return st;
}

/* <float64[S*(1+F)], metrics=float64[M], key=int64, round=int32> -> float64[S*(1+F)]. */
fedc_status fedc__native_sample_put(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                    size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    int64_t S, F, seed = 0;
    fedc_status st = sample_sizes(ctx, p, blob, blob_size, &S, &F);
    if (st < 0) return st;
    fedc__blob_get_i64(blob, blob_size, "seed", &seed);
    const double *rows =
        fedc__typed_vector_of(fedc_value_item(arg, 0), FEDC_DTYPE_FLOAT64, S * (1 + F));
    const double *m = fedc__typed_vector_of(fedc__field(arg, "metrics"), FEDC_DTYPE_FLOAT64, p->M);
    const int64_t *key = fedc__scalar_of(fedc__field(arg, "key"), FEDC_DTYPE_INT64);
    const int32_t *round = fedc__scalar_of(fedc__field(arg, "round"), FEDC_DTYPE_INT32);
    if (!rows || !m || !key || !round)
        return type_error(ctx, "metrics sample",
                          "<float64[S*(1+F)],metrics=float64[M],key=int64,round=int32>");
    double *next = rows_copy(ctx, rows, S * (1 + F)), row[65];
    if (!next) return FEDC_STATUS_OUT_OF_MEMORY;
    fedc_rng r =
        FEDC_RNG((uint64_t)seed, (uint64_t)*round, (uint64_t)*key, FEDC_RNG_PURPOSE_SAMPLING);
    row[0] = 1.0 - fedc_rng_uniform_double(&r); /* in (0, 1]: 0 marks an empty row */
    if (p->model->metrics) fedc_metric_set_finalize(p->model->metrics, m, row + 1);
    sample_insert(next, S, F, row);
    return rows_result(ctx, next, S * (1 + F), out);
}

/* <float64[S*(1+F)], float64[S*(1+F)]> -> the S rows of largest priority of both. */
fedc_status fedc__native_sample_merge(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                      size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    int64_t S, F;
    fedc_status st = sample_sizes(ctx, p, blob, blob_size, &S, &F);
    if (st < 0) return st;
    const double *a =
        fedc__typed_vector_of(fedc_value_item(arg, 0), FEDC_DTYPE_FLOAT64, S * (1 + F));
    const double *other =
        fedc__typed_vector_of(fedc_value_item(arg, 1), FEDC_DTYPE_FLOAT64, S * (1 + F));
    if (!a || !other) return type_error(ctx, "metrics sample merge", "two float64[S*(1+F)]");
    double *next = rows_copy(ctx, a, S * (1 + F));
    if (!next) return FEDC_STATUS_OUT_OF_MEMORY;
    for (int64_t i = 0; i < S && other[i * (1 + F)] > 0; i++)
        sample_insert(next, S, F, other + i * (1 + F));
    return rows_result(ctx, next, S * (1 + F), out);
}

/* float64[S*(1+F)] -> <metric=float64[S],...,num_sampled=float64>. */
fedc_status fedc__native_sample_report(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out) {
    fedc_learning_process *p = user;
    int64_t S, F;
    fedc_status st = sample_sizes(ctx, p, blob, blob_size, &S, &F);
    if (st < 0) return st;
    const double *r = fedc__typed_vector_of(arg, FEDC_DTYPE_FLOAT64, S * (1 + F));
    if (!r) return type_error(ctx, "metrics sample report", "float64[S*(1+F)]");
    double *col = fedc_malloc((size_t)S * sizeof *col), sampled = 0;
    if (!col) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory sampling");
    fedc_value *items[65] = {0};
    const char *names[65];
    for (int64_t i = 0; i < S; i++)
        sampled += r[i * (1 + F)] > 0;
    for (int64_t j = 0; j < F && st >= 0; j++) {
        for (int64_t i = 0; i < S; i++)
            col[i] = r[i * (1 + F)] > 0 ? r[i * (1 + F) + 1 + j] : NAN;
        names[j] = fedc_metric_set_name(p->model->metrics, (size_t)j);
        st = fedc__typed_vector_value(ctx, FEDC_DTYPE_FLOAT64, col, S, &items[j]);
    }
    fedc_free(col);
    names[F] = "num_sampled";
    if (st >= 0 && !(items[F] = fedc__scalar_value(ctx, FEDC_DTYPE_FLOAT64, &sampled)))
        st = fedc_ctx_status(ctx);
    if (st >= 0) st = fedc_value_struct(ctx, (size_t)F + 1, items, names, out);
    for (int64_t j = 0; j <= F; j++)
        fedc_value_release(items[j]);
    return st;
}
