/* kmeans_step.c — the natives of federated k-means: the initial centroids drawn from a keyed
 * stream, and a client's step (each point to its nearest centroid; per-cluster sums and counts).
 * They read their options from the blob and keep no state, so any worker thread may run them.
 * A client's points are streamed from its dataset one example at a time, never held whole.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learning/kmeans_int.h"
#include "learning/learning_int.h"

/* Distances are checked against the best so far every this many coordinates. */
#define EXIT_CHECK_EVERY 32

static fedc_status bad_blob(fedc_ctx *ctx, const char *what, const char *key) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s options: missing or bad '%s'",
                           what, key);
}

static fedc_status read_sizes(fedc_ctx *ctx, const char *what, const uint8_t *blob, size_t size,
                              int64_t *k, int64_t *d) {
    if (!fedc__blob_get_i64(blob, size, "k", k) || *k < 1) return bad_blob(ctx, what, "k");
    if (!fedc__blob_get_i64(blob, size, "d", d) || *d < 1) return bad_blob(ctx, what, "d");
    if (*k > INT32_MAX / *d) /* as the process allows; a module written by hand may ask more */
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s options: k x d = %lld x %lld is too large", what, (long long)*k,
                               (long long)*d);
    return FEDC_STATUS_OK;
}

fedc_status fedc__native_kmeans_init(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                     size_t blob_size, fedc_value *arg, fedc_value **out) {
    (void)user;
    (void)arg;
    int64_t k, d;
    fedc_status st = read_sizes(ctx, "k-means initialization", blob, blob_size, &k, &d);
    if (st < 0) return st;
    /* the seed is a uint64 in decimal (the i64 reader would refuse its upper half) */
    char s[32], *end;
    errno = 0;
    unsigned long long seed = 0;
    if (fedc__blob_get_str(blob, blob_size, "seed", s, sizeof s) && s[0] >= '0' && s[0] <= '9')
        seed = strtoull(s, &end, 10);
    else
        end = s;
    if (end == s || *end || errno) return bad_blob(ctx, "k-means initialization", "seed");
    fedc_shape shape = FEDC_SHAPE(k, d);
    fedc_tensor t;
    st = fedc_tensor_alloc(ctx, &t, FEDC_DTYPE_FLOAT32, &shape);
    if (st < 0) return st;
    /* Standard normal draws, row-major, as TFF starts from stateless_normal(seed); the stream is
     * keyed by its own name so it never repeats the draws of a model initializer of the same
     * seed. */
    fedc_rng rng = FEDC_RNG((uint64_t)seed, fedc__hash_string("fedc.learning.kmeans_init"),
                            FEDC_RNG_PURPOSE_INIT);
    float *c = t.data;
    for (int64_t i = 0; i < k * d; i++)
        c[i] = (float)fedc_rng_normal(&rng);
    st = fedc_value_tensor_take(ctx, &t, out);
    fedc_tensor_free(&t);
    return st;
}

/* Example `index`'s point as d float32 values: the feature itself when it is contiguous float32,
 * else converted into `scratch`. Errors name the feature, the example and the shapes. */
static fedc_status point_of(fedc_ctx *ctx, const fedc_example *ex, const char *feature, int64_t d,
                            int64_t index, float *scratch, const float **out) {
    const fedc_tensor *t = fedc_example_require(ctx, ex, feature);
    if (!t) return fedc_ctx_prefixf(ctx, "example %lld", (long long)index);
    int64_t n = fedc_tensor_numel(t);
    if (n != d) {
        char shape[96];
        fedc_shape_format(&t->shape, shape, sizeof shape);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "example %lld: feature '%s' has shape %s (%lld values), the "
                               "centroids have d=%lld",
                               (long long)index, feature, shape, (long long)n, (long long)d);
    }
    const float *x = t->data;
    if (t->dtype != FEDC_DTYPE_FLOAT32 || !fedc_tensor_is_contiguous(t)) {
        fedc_tensor dst = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &t->shape, scratch);
        fedc_status st = fedc_tensor_cast(ctx, &dst, t);
        if (st < 0)
            return fedc_ctx_prefixf(ctx, "example %lld: feature '%s'", (long long)index, feature);
        x = scratch;
    }
    /* a NaN or infinity would poison the centroid it joins for every later round */
    for (int64_t j = 0; j < d; j++)
        if (!isfinite(x[j]))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "example %lld: feature '%s' has a non-finite value at %lld",
                                   (long long)index, feature, (long long)j);
    *out = x;
    return FEDC_STATUS_OK;
}

/* The centroid nearest to x: squared Euclidean distance accumulated in float64, coordinate by
 * coordinate in order; ties go to the lowest index. A candidate is abandoned as soon as its
 * partial sum reaches the best distance: the sum only grows, so the choice and the distance are
 * those of the full computation. */
static int64_t nearest(const float *x, const float *centroids, int64_t k, int64_t d,
                       double *distance) {
    int64_t best = 0;
    double best_d = INFINITY;
    for (int64_t c = 0; c < k; c++) {
        const float *m = centroids + c * d;
        double s = 0;
        for (int64_t j = 0; j < d;) {
            int64_t end = d - j > EXIT_CHECK_EVERY ? j + EXIT_CHECK_EVERY : d;
            for (; j < end; j++) {
                double t = (double)x[j] - (double)m[j];
                s += t * t;
            }
            if (s >= best_d) break;
        }
        if (s < best_d) {
            best = c;
            best_d = s;
        }
    }
    *distance = best_d;
    return best;
}

/* What one client call holds, freed together. */
typedef struct step_run {
    fedc_tensor sums, counts;
    float *scratch;
    fedc_dataset *ds;
    fedc_example *ex;
} step_run;

static void run_free(step_run *r) {
    fedc_tensor_free(&r->sums);
    fedc_tensor_free(&r->counts);
    fedc_free(r->scratch);
    fedc_example_destroy(r->ex);
    fedc_dataset_destroy(r->ds);
}

static fedc_value *scalar_value(fedc_ctx *ctx, fedc_dtype dtype, void *v) {
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(dtype, &s, v);
    fedc_value *out = NULL;
    fedc_value_tensor(ctx, &t, &out);
    return out;
}

/* <sums, counts, num_examples, squared_distance>, taking the run's tensors. */
static fedc_status result(fedc_ctx *ctx, step_run *r, int32_t n, double sq, fedc_value **out) {
    fedc_value *items[4] = {NULL, NULL, scalar_value(ctx, FEDC_DTYPE_INT32, &n),
                            scalar_value(ctx, FEDC_DTYPE_FLOAT64, &sq)};
    fedc_status st = fedc_value_tensor_take(ctx, &r->sums, &items[0]);
    if (st >= 0) st = fedc_value_tensor_take(ctx, &r->counts, &items[1]);
    if (st >= 0 && (!items[2] || !items[3]))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory in a k-means step");
    static const char *const names[4] = {"sums", "counts", "num_examples", "squared_distance"};
    if (st >= 0) st = fedc_value_struct(ctx, 4, items, names, out);
    for (int i = 0; i < 4; i++)
        fedc_value_release(items[i]);
    return st;
}

fedc_status fedc__native_kmeans_step(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                     size_t blob_size, fedc_value *arg, fedc_value **out) {
    (void)user;
    int64_t k, d;
    char feature[64];
    fedc_status st = read_sizes(ctx, "k-means client step", blob, blob_size, &k, &d);
    if (st < 0) return st;
    if (!fedc__blob_get_str(blob, blob_size, "feature", feature, sizeof feature) || !feature[0])
        return bad_blob(ctx, "k-means client step", "feature");
    const fedc_tensor *c = fedc__tensor_of(fedc__field(arg, "centroids"));
    fedc_value *data = fedc__field(arg, "dataset");
    if (!c || !data || c->dtype != FEDC_DTYPE_FLOAT32 || c->shape.rank != 2 ||
        c->shape.dims[0] != k || c->shape.dims[1] != d || !fedc_tensor_is_contiguous(c))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "k-means client step: expected <centroids=float32[%lld,%lld],"
                               "dataset=...>",
                               (long long)k, (long long)d);
    const float *centroids = c->data;
    step_run r = {0};
    fedc_shape ss = FEDC_SHAPE(k, d), cs = FEDC_SHAPE(k);
    uint64_t key;
    st = fedc_tensor_alloc(ctx, &r.sums, FEDC_DTYPE_FLOAT32, &ss);
    if (st >= 0) st = fedc_tensor_alloc(ctx, &r.counts, FEDC_DTYPE_INT32, &cs);
    if (st >= 0 && !(r.scratch = fedc_malloc((size_t)d * sizeof(float))))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory in a k-means step");
    if (st >= 0) st = fedc__open_client_dataset(ctx, data, &r.ds, &key);
    if (st >= 0) st = fedc_example_create(ctx, &r.ex);
    float *sums = r.sums.data;
    int32_t *counts = r.counts.data;
    int64_t n = 0;
    double sq = 0;
    while (st >= 0) {
        bool got = false;
        st = fedc_dataset_next(ctx, r.ds, r.ex, &got);
        if (st < 0 || !got) break;
        if (n == INT32_MAX) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                                 "more than %d points in one client's dataset", INT32_MAX);
            break;
        }
        const float *x = NULL;
        st = point_of(ctx, r.ex, feature, d, n, r.scratch, &x);
        if (st < 0) break;
        double dist;
        int64_t best = nearest(x, centroids, k, d, &dist);
        float *s = sums + best * d;
        for (int64_t j = 0; j < d; j++)
            s[j] += x[j];
        counts[best]++;
        sq += dist;
        n++;
    }
    if (st >= 0) st = result(ctx, &r, (int32_t)n, sq, out);
    run_free(&r);
    return st < 0 ? fedc_ctx_prefixf(ctx, "k-means client step") : st;
}
