/* client_data.c — a client's dataset as local training reads it: opened straight from the data
 * layer when the sequence is backed by client data (no per-example values), otherwise read from
 * the sequence value's struct elements, into contiguous arrays once per round, so that epochs
 * and batches are views or row gathers, not new reads.
 */
#include <string.h>

#include "learning/learning_int.h"

uint64_t fedc__hash_string(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* A dataset over a sequence value. */
typedef struct seq_ds {
    fedc_value *seq;
    fedc_value_iter it;
    bool open;
} seq_ds;

static fedc_status seq_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    seq_ds *s = self;
    *got = false;
    if (!s->open) {
        fedc_status st = fedc_value_iter_open(ctx, s->seq, &s->it);
        if (st < 0) return st;
        s->open = true;
    }
    fedc_value *v = NULL;
    fedc_status st = fedc_value_iter_next(ctx, &s->it, &v);
    if (st < 0 || !v) return st;
    if (fedc_value_get_kind(v) != FEDC_VALUE_STRUCT) {
        fedc_value_release(v);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "client dataset element: expected a struct of named tensors");
    }
    for (size_t i = 0; i < fedc_value_size(v) && st >= 0; i++) {
        const char *name = fedc_value_name(v, i);
        const fedc_tensor *t = fedc_value_get_tensor(fedc_value_item(v, i));
        if (!name || !t)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                                 "client dataset element: field %zu is not a named tensor", i);
        else
            st = fedc_example_set_tensor(ctx, out, name, t);
    }
    fedc_value_release(v);
    if (st >= 0) *got = true;
    return st;
}

static fedc_status seq_reset(fedc_ctx *ctx, void *self) {
    (void)ctx;
    seq_ds *s = self;
    if (s->open) fedc_value_iter_close(&s->it);
    s->open = false;
    return FEDC_STATUS_OK;
}

static void seq_destroy(void *self) {
    seq_ds *s = self;
    if (s->open) fedc_value_iter_close(&s->it);
    fedc_value_release(s->seq);
    fedc_free(s);
}

static const fedc_dataset_vtable k_seq_vtable = {"sequence", seq_next, seq_reset, NULL,
                                                 seq_destroy};

fedc_status fedc__open_client_dataset(fedc_ctx *ctx, fedc_value *seq, fedc_dataset **out,
                                      uint64_t *key) {
    const fedc_client_data *cd;
    int64_t index;
    *out = NULL;
    if (fedc_value_as_client_sequence(seq, &cd, &index)) {
        *key = fedc__hash_string(fedc_client_data_client_id(cd, index));
        return fedc_client_data_open(ctx, cd, index, out);
    }
    *key = 0;
    seq_ds *s = fedc_calloc(1, sizeof *s);
    if (!s) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    s->seq = fedc_value_retain(seq);
    return fedc_dataset_create(ctx, &k_seq_vtable, s, out);
}

/* Appends feature `name` of ex (numel elements of dtype, converted) at dst. */
static fedc_status append_feature(fedc_ctx *ctx, const fedc_example *ex, const char *name,
                                  fedc_dtype dtype, const fedc_shape *shape, void *dst) {
    const fedc_tensor *src = fedc_example_require(ctx, ex, name);
    if (!src) return fedc_ctx_status(ctx);
    int64_t numel = fedc_shape_numel(shape);
    if (fedc_tensor_numel(src) != numel) {
        char a[96], b[96];
        fedc_shape_format(&src->shape, a, sizeof a);
        fedc_shape_format(shape, b, sizeof b);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "feature '%s': an example of shape %s, the model reads %s", name, a,
                               b);
    }
    if (src->dtype == dtype && fedc_tensor_is_contiguous(src)) {
        memcpy(dst, src->data, (size_t)numel * fedc_dtype_size(dtype));
        return FEDC_STATUS_OK;
    }
    fedc_tensor out = fedc_tensor_view(dtype, &src->shape, dst);
    return fedc_tensor_cast(ctx, &out, src);
}

fedc_status fedc__examples_load(fedc_ctx *ctx, const fedc_input_spec *spec, fedc_value *seq,
                                fedc__examples *e) {
    memset(e, 0, sizeof *e);
    e->xdim = fedc_shape_numel(&spec->x_shape);
    e->ydim = fedc_shape_numel(&spec->y_shape);
    e->ysize = fedc_dtype_size(spec->y_dtype);
    fedc_dataset *ds = NULL;
    fedc_example *ex = NULL;
    fedc_status st = fedc__open_client_dataset(ctx, seq, &ds, &e->key);
    if (st >= 0) st = fedc_example_create(ctx, &ex);
    while (st >= 0) {
        bool got = false;
        st = fedc_dataset_next(ctx, ds, ex, &got);
        if (st < 0 || !got) break;
        if (e->n == e->cap) {
            int64_t cap = e->cap ? 2 * e->cap : 64;
            float *x = fedc_realloc(e->x, (size_t)(cap * e->xdim + 1) * sizeof(float));
            if (x) e->x = x;
            void *y = x ? fedc_realloc(e->y, (size_t)(cap * e->ydim + 1) * e->ysize) : NULL;
            if (y) e->y = y;
            if (!x || !y) {
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                     "out of memory reading %lld examples of a client",
                                     (long long)cap);
                break;
            }
            e->cap = cap;
        }
        st = append_feature(ctx, ex, spec->x_name, FEDC_DTYPE_FLOAT32, &spec->x_shape,
                            e->x + e->n * e->xdim);
        if (st >= 0)
            st = append_feature(ctx, ex, spec->y_name, spec->y_dtype, &spec->y_shape,
                                (char *)e->y + (size_t)(e->n * e->ydim) * e->ysize);
        if (st < 0)
            st = fedc_ctx_prefixf(ctx, "example %lld", (long long)e->n);
        else
            e->n++;
    }
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    if (st < 0) fedc__examples_free(e);
    return st;
}

void fedc__examples_free(fedc__examples *e) {
    fedc_free(e->x);
    fedc_free(e->y);
    fedc_free(e->xb);
    fedc_free(e->yb);
    memset(e, 0, sizeof *e);
}

/* [count, shape...] */
static fedc_shape batch_shape(int64_t count, const fedc_shape *per) {
    fedc_shape s = *per;
    memmove(s.dims + 1, s.dims, (size_t)s.rank * sizeof s.dims[0]);
    s.dims[0] = count;
    s.rank++;
    return s;
}

fedc_status fedc__examples_batch(fedc_ctx *ctx, const fedc_input_spec *spec, fedc__examples *e,
                                 const int64_t *order, int64_t start, int64_t count, fedc_tensor *x,
                                 fedc_tensor *y, fedc_batch *b) {
    if (spec->x_shape.rank >= FEDC_MAX_RANK || spec->y_shape.rank >= FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "input spec: rank too large for batches");
    fedc_shape xs = batch_shape(count, &spec->x_shape), ys = batch_shape(count, &spec->y_shape);
    const float *xsrc = e->x + start * e->xdim;
    const char *ysrc = (const char *)e->y + (size_t)(start * e->ydim) * e->ysize;
    if (order) { /* gather the rows into the batch buffers */
        if (count > e->bcap) {
            float *xb = fedc_realloc(e->xb, (size_t)(count * e->xdim + 1) * sizeof(float));
            if (xb) e->xb = xb;
            void *yb = xb ? fedc_realloc(e->yb, (size_t)(count * e->ydim + 1) * e->ysize) : NULL;
            if (yb) e->yb = yb;
            if (!xb || !yb)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a batch");
            e->bcap = count;
        }
        for (int64_t i = 0; i < count; i++) {
            int64_t k = order[start + i];
            memcpy(e->xb + i * e->xdim, e->x + k * e->xdim, (size_t)e->xdim * sizeof(float));
            memcpy((char *)e->yb + (size_t)(i * e->ydim) * e->ysize,
                   (const char *)e->y + (size_t)(k * e->ydim) * e->ysize,
                   (size_t)e->ydim * e->ysize);
        }
        xsrc = e->xb;
        ysrc = e->yb;
    }
    *x = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, (void *)xsrc);
    *y = fedc_tensor_view(spec->y_dtype, &ys, (void *)ysrc);
    b->n = count;
    b->x = x;
    b->y = y;
    return FEDC_STATUS_OK;
}

fedc_status fedc__shuffle_order(fedc_ctx *ctx, uint64_t seed, uint64_t key, int64_t buffer,
                                int64_t n, int64_t *order) {
    /* tf.data's buffered shuffle on indices, draw for draw as fedc_dataset_shuffle does it:
     * fill the buffer from the stream, yield a uniformly drawn slot, move the last into it. */
    int64_t *slots = fedc_malloc((size_t)(buffer > 0 ? buffer : 1) * sizeof *slots);
    if (!slots)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory for a shuffle buffer of %lld", (long long)buffer);
    fedc_rng rng = FEDC_RNG(seed, key, 0, FEDC_RNG_PURPOSE_SHUFFLE);
    int64_t next = 0, filled = 0;
    for (int64_t out = 0; out < n; out++) {
        while (next < n && filled < buffer)
            slots[filled++] = next++;
        int64_t j = (int64_t)fedc_rng_below(&rng, (uint64_t)filled);
        order[out] = slots[j];
        slots[j] = slots[filled - 1];
        filled--;
    }
    fedc_free(slots);
    return FEDC_STATUS_OK;
}
