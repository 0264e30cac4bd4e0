/* example.c — fedc_example: an ordered set of named, contiguous tensors whose memory is kept
 * across clear() so datasets can refill one example without allocating.
 * Nothing here knows about files or wire formats.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"

typedef struct feature {
    char *name;
    size_t name_cap;
    fedc_tensor t; /* a view of buf */
    void *buf;
    size_t buf_cap;
    /* A list of byte strings (tf.train.Example's bytes_list of several values): t is uint8[total]
     * with the strings one after another, and ends[k] is where string k ends. */
    bool is_list;
    int64_t *ends, nends;
    size_t ends_cap;
} feature;

struct fedc_example {
    int count; /* features in use: f[0..count) */
    int alloc; /* entries of f[] holding memory (>= count) */
    feature *f;
};

fedc_status fedc_example_create(fedc_ctx *ctx, fedc_example **out) {
    *out = fedc_calloc(1, sizeof **out);
    if (!*out) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate an example");
    return FEDC_STATUS_OK;
}

void fedc_example_destroy(fedc_example *ex) {
    if (!ex) return;
    for (int i = 0; i < ex->alloc; i++) {
        fedc_free(ex->f[i].name);
        fedc_free(ex->f[i].buf);
        fedc_free(ex->f[i].ends);
    }
    fedc_free(ex->f);
    fedc_free(ex);
}

void fedc_example_clear(fedc_example *ex) { ex->count = 0; }

int fedc_example_count(const fedc_example *ex) { return ex->count; }

const char *fedc_example_name(const fedc_example *ex, int i) {
    assert(i >= 0 && i < ex->count);
    return ex->f[i].name;
}

const fedc_tensor *fedc_example_tensor(const fedc_example *ex, int i) {
    assert(i >= 0 && i < ex->count);
    return &ex->f[i].t;
}

int fedc_example_find(const fedc_example *ex, const char *name) {
    for (int i = 0; i < ex->count; i++)
        if (strcmp(ex->f[i].name, name) == 0) return i;
    return -1;
}

const fedc_tensor *fedc_example_get(const fedc_example *ex, const char *name) {
    int i = fedc_example_find(ex, name);
    return i < 0 ? NULL : &ex->f[i].t;
}

const fedc_tensor *fedc_example_require(fedc_ctx *ctx, const fedc_example *ex, const char *name) {
    int i = fedc_example_find(ex, name);
    if (i >= 0) return &ex->f[i].t;
    char have[512];
    size_t len = 0;
    have[0] = '\0';
    for (int k = 0; k < ex->count && len < sizeof have; k++) {
        int n = snprintf(have + len, sizeof have - len, "%s%s", k ? ", " : "", ex->f[k].name);
        if (n < 0) break;
        len += (size_t)n;
    }
    fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "no feature '%s'; the example has: %s", name,
                    ex->count ? have : "(no features)");
    return NULL;
}

int64_t fedc__shape_numel_checked(const fedc_shape *shape) {
    int64_t n = 1;
    for (int i = 0; i < shape->rank; i++) {
        int64_t d = shape->dims[i];
        if (d < 0) return -1;
        if (d && n > INT64_MAX / d) return -1;
        n *= d;
    }
    return n;
}

/* Removes entry i, moving later entries down and parking its memory at the end for reuse. */
static void remove_at(fedc_example *ex, int i) {
    feature gone = ex->f[i];
    memmove(&ex->f[i], &ex->f[i + 1], (size_t)(ex->alloc - i - 1) * sizeof(feature));
    ex->f[ex->alloc - 1] = gone;
    ex->count--;
}

void fedc_example_remove(fedc_example *ex, const char *name) {
    int i = fedc_example_find(ex, name);
    if (i >= 0) remove_at(ex, i);
}

fedc_status fedc_example_set(fedc_ctx *ctx, fedc_example *ex, const char *name, fedc_dtype dtype,
                             const fedc_shape *shape, fedc_tensor **out) {
    *out = NULL;
    size_t esize = fedc_dtype_size(dtype);
    if (!name || !name[0])
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "feature name is empty");
    if (esize == 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "feature '%s': invalid dtype %d",
                               name, (int)dtype);
    if (shape->rank < 0 || shape->rank > FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "feature '%s': rank %d is outside 0..%d", name, shape->rank,
                               FEDC_MAX_RANK);
    int64_t numel = fedc__shape_numel_checked(shape);
    if (numel < 0 || (uint64_t)numel > SIZE_MAX / 16) {
        char s[128];
        fedc_shape_format(shape, s, sizeof s);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "feature '%s': invalid shape %s",
                               name, s);
    }
    int i = fedc_example_find(ex, name);
    if (i < 0) {
        if (ex->count == ex->alloc) {
            int ncap = ex->alloc ? ex->alloc * 2 : 4;
            feature *nf = fedc_realloc(ex->f, (size_t)ncap * sizeof *nf);
            if (!nf)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                       "cannot grow an example to %d features", ncap);
            memset(nf + ex->alloc, 0, (size_t)(ncap - ex->alloc) * sizeof *nf);
            ex->f = nf;
            ex->alloc = ncap;
        }
        feature *fe = &ex->f[ex->count];
        size_t len = strlen(name) + 1;
        if (fe->name_cap < len) {
            char *nn = fedc_realloc(fe->name, len);
            if (!nn)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                       "cannot allocate the name of feature '%s'", name);
            fe->name = nn;
            fe->name_cap = len;
        }
        memcpy(fe->name, name, len);
        i = ex->count++;
    }
    feature *fe = &ex->f[i];
    size_t bytes = (size_t)numel * esize;
    if (fe->buf_cap < bytes || !fe->buf) {
        /* Grow geometrically so features of varying length (snippets) settle quickly. */
        size_t ncap = bytes > fe->buf_cap * 2 ? bytes : fe->buf_cap * 2;
        if (ncap < 16) ncap = 16;
        void *nb = fedc_realloc(fe->buf, ncap);
        if (!nb) {
            remove_at(ex, i);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "cannot allocate %zu bytes for feature '%s'", bytes, name);
        }
        fe->buf = nb;
        fe->buf_cap = ncap;
    }
    fe->t = fedc_tensor_view(dtype, shape, fe->buf);
    fe->is_list = false;
    *out = &fe->t;
    return FEDC_STATUS_OK;
}

/* Makes feature i (already uint8[total]) a list of n strings of these lengths (summing to total,
 * checked by the callers); on failure the feature is removed. */
static fedc_status set_list(fedc_ctx *ctx, fedc_example *ex, int i, const int64_t *lengths,
                            int64_t n, bool lengths_are_ends) {
    feature *fe = &ex->f[i];
    if (fe->ends_cap < (size_t)n) {
        size_t ncap = (size_t)n > fe->ends_cap * 2 ? (size_t)n : fe->ends_cap * 2;
        int64_t *ne = fedc_realloc(fe->ends, ncap * sizeof *ne);
        if (!ne) {
            fedc_status st = fedc_ctx_errorf(
                ctx, FEDC_STATUS_OUT_OF_MEMORY,
                "cannot allocate a list of %lld strings for feature '%s'", (long long)n, fe->name);
            remove_at(ex, i);
            return st;
        }
        fe->ends = ne;
        fe->ends_cap = ncap;
    }
    int64_t end = 0;
    for (int64_t k = 0; k < n; k++)
        fe->ends[k] = lengths_are_ends ? lengths[k] : (end += lengths[k]);
    fe->nends = n;
    fe->is_list = true;
    return FEDC_STATUS_OK;
}

fedc_status fedc_example_set_bytes_list(fedc_ctx *ctx, fedc_example *ex, const char *name,
                                        const int64_t *lengths, int64_t count, fedc_tensor **out) {
    *out = NULL;
    if (count < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "feature '%s': a list of %lld strings", name ? name : "",
                               (long long)count);
    int64_t total = 0;
    for (int64_t k = 0; k < count; k++) {
        if (lengths[k] < 0 || lengths[k] > INT64_MAX / 2 - total)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "feature '%s': string %lld has an invalid length %lld",
                                   name ? name : "", (long long)k, (long long)lengths[k]);
        total += lengths[k];
    }
    fedc_shape shape = FEDC_SHAPE(total);
    fedc_tensor *t;
    fedc_status st = fedc_example_set(ctx, ex, name, FEDC_DTYPE_UINT8, &shape, &t);
    if (st) return st;
    st = set_list(ctx, ex, fedc_example_find(ex, name), lengths, count, false);
    if (st) return st;
    *out = t;
    return FEDC_STATUS_OK;
}

bool fedc_example_is_bytes_list(const fedc_example *ex, int i) {
    assert(i >= 0 && i < ex->count);
    return ex->f[i].is_list;
}

int64_t fedc_example_bytes_count(const fedc_example *ex, int i) {
    assert(i >= 0 && i < ex->count);
    const feature *fe = &ex->f[i];
    if (fe->is_list) return fe->nends;
    return fe->t.dtype == FEDC_DTYPE_UINT8 && fe->t.shape.rank == 1 ? 1 : -1;
}

const uint8_t *fedc_example_bytes_at(const fedc_example *ex, int i, int64_t k, size_t *len) {
    assert(i >= 0 && i < ex->count);
    const feature *fe = &ex->f[i];
    assert(k >= 0 && k < fedc_example_bytes_count(ex, i));
    const uint8_t *base = fe->t.data;
    if (!fe->is_list) {
        *len = (size_t)fe->t.shape.dims[0];
        return base;
    }
    int64_t start = k ? fe->ends[k - 1] : 0;
    *len = (size_t)(fe->ends[k] - start);
    return base + start;
}

fedc_status fedc_example_set_tensor(fedc_ctx *ctx, fedc_example *ex, const char *name,
                                    const fedc_tensor *src) {
    fedc_tensor *t;
    fedc_status st = fedc_example_set(ctx, ex, name, src->dtype, &src->shape, &t);
    if (st) return st;
    if (fedc_tensor_is_contiguous(src)) {
        if (fedc_tensor_nbytes(src)) memcpy(t->data, src->data, fedc_tensor_nbytes(src));
        return FEDC_STATUS_OK;
    }
    return fedc_tensor_copy(ctx, t, src);
}

fedc_status fedc_example_copy(fedc_ctx *ctx, fedc_example *dst, const fedc_example *src) {
    fedc_example_clear(dst);
    for (int i = 0; i < src->count; i++) {
        fedc_status st = fedc_example_set_tensor(ctx, dst, src->f[i].name, &src->f[i].t);
        if (!st && src->f[i].is_list)
            st = set_list(ctx, dst, dst->count - 1, src->f[i].ends, src->f[i].nends, true);
        if (st) return st;
    }
    return FEDC_STATUS_OK;
}

void fedc__example_reorder(fedc_example *ex, const char *const *order, int n) {
    assert(n == ex->count);
    for (int k = 0; k < n; k++) {
        for (int j = k; j < n; j++) {
            if (strcmp(ex->f[j].name, order[k]) == 0) {
                feature tmp = ex->f[k];
                ex->f[k] = ex->f[j];
                ex->f[j] = tmp;
                break;
            }
        }
    }
}
