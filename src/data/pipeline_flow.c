/* pipeline_flow.c — pipeline steps that reorder, repeat, group or cut the stream: shuffle
 * (tf.data's buffered shuffle on a keyed random stream), repeat, batch, take, skip. Examples move
 * between buffers by pointer; the only copies are into the caller's example. Nothing here
 * changes a feature's values.
 */
#include <string.h>

#include "data/data_int.h"

/* A growable array of examples, created on first use and reused. */
static fedc_status ensure_slots(fedc_ctx *ctx, fedc_example ***slots, int64_t *cap, int64_t need,
                                const char *what) {
    if (need <= *cap) return FEDC_STATUS_OK;
    fedc_example **ns = fedc_realloc(*slots, (size_t)need * sizeof *ns);
    if (!ns)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot allocate %lld slots",
                               what, (long long)need);
    *slots = ns;
    for (int64_t i = *cap; i < need; i++)
        ns[i] = NULL;
    *cap = need;
    return FEDC_STATUS_OK;
}

static fedc_status slot(fedc_ctx *ctx, fedc_example **slots, int64_t i) {
    return slots[i] ? FEDC_STATUS_OK : fedc_example_create(ctx, &slots[i]);
}

static void free_slots(fedc_example **slots, int64_t cap) {
    if (!slots) return;
    for (int64_t i = 0; i < cap; i++)
        fedc_example_destroy(slots[i]);
    fedc_free(slots);
}

/* ---- shuffle ---- */

typedef struct shuffle_ds {
    fedc_dataset *in;
    fedc_example **buf;
    int64_t cap, size, filled;
    bool exhausted;
    uint64_t seed, key, epoch;
    fedc_rng rng;
} shuffle_ds;

static void shuffle_destroy(void *self) {
    shuffle_ds *s = self;
    if (!s) return;
    fedc_dataset_destroy(s->in);
    free_slots(s->buf, s->cap);
    fedc_free(s);
}

static fedc_status shuffle_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    shuffle_ds *s = self;
    fedc_status st;
    while (!s->exhausted && s->filled < s->size) {
        st = ensure_slots(ctx, &s->buf, &s->cap, s->filled + 1, "shuffle");
        if (!st) st = slot(ctx, s->buf, s->filled);
        if (st) return st;
        bool in_got;
        st = fedc_dataset_next(ctx, s->in, s->buf[s->filled], &in_got);
        if (st) return st;
        if (in_got)
            s->filled++;
        else
            s->exhausted = true;
    }
    if (s->filled == 0) return FEDC_STATUS_OK;
    int64_t j = (int64_t)fedc_rng_below(&s->rng, (uint64_t)s->filled);
    st = fedc_example_copy(ctx, out, s->buf[j]);
    if (st) return st;
    /* Close the gap with the last buffered example; the next call refills the end from the
     * input, so the buffer always holds every example read and not yet yielded. */
    fedc_example *tmp = s->buf[j];
    s->buf[j] = s->buf[s->filled - 1];
    s->buf[s->filled - 1] = tmp;
    s->filled--;
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status shuffle_reset(fedc_ctx *ctx, void *self) {
    shuffle_ds *s = self;
    fedc_status st = fedc_dataset_reset(ctx, s->in);
    if (st) return st;
    s->epoch++;
    s->filled = 0;
    s->exhausted = false;
    s->rng = FEDC_RNG(s->seed, s->key, s->epoch, FEDC_RNG_PURPOSE_SHUFFLE);
    return FEDC_STATUS_OK;
}

static int64_t shuffle_cardinality(void *self) {
    return fedc_dataset_cardinality(((shuffle_ds *)self)->in);
}

static const fedc_dataset_vtable shuffle_vtable = {"shuffle", shuffle_next, shuffle_reset,
                                                   shuffle_cardinality, shuffle_destroy};

/* Allocates a step struct, taking `in`; on failure destroys `in`. */
static void *step_alloc(fedc_ctx *ctx, fedc_dataset *in, size_t size, const char *what) {
    void *p = fedc_calloc(1, size);
    if (!p) {
        fedc_dataset_destroy(in);
        fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a %s step", what);
    }
    return p;
}

static fedc_status bad_arg(fedc_ctx *ctx, fedc_dataset *in, fedc_dataset **out, const char *what,
                           int64_t value) {
    fedc_dataset_destroy(in);
    *out = NULL;
    return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: invalid count %lld", what,
                           (long long)value);
}

fedc_status fedc_dataset_shuffle(fedc_ctx *ctx, fedc_dataset *in, int64_t buffer_size,
                                 uint64_t seed, uint64_t key, fedc_dataset **out) {
    *out = NULL;
    if (buffer_size < 1) return bad_arg(ctx, in, out, "shuffle buffer", buffer_size);
    shuffle_ds *s = step_alloc(ctx, in, sizeof *s, "shuffle");
    if (!s) return FEDC_STATUS_OUT_OF_MEMORY;
    s->in = in;
    s->size = buffer_size;
    s->seed = seed;
    s->key = key;
    s->rng = FEDC_RNG(seed, key, 0, FEDC_RNG_PURPOSE_SHUFFLE);
    return fedc__dataset_wrap(ctx, &shuffle_vtable, s, out);
}

/* ---- repeat ---- */

typedef struct repeat_ds {
    fedc_dataset *in;
    int64_t count, pass, in_pass;
} repeat_ds;

static void repeat_destroy(void *self) {
    repeat_ds *r = self;
    if (!r) return;
    fedc_dataset_destroy(r->in);
    fedc_free(r);
}

static fedc_status repeat_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    repeat_ds *r = self;
    for (;;) {
        if (r->count >= 0 && r->pass >= r->count) return FEDC_STATUS_OK;
        fedc_status st = fedc_dataset_next(ctx, r->in, out, got);
        if (st) return st;
        if (*got) {
            r->in_pass++;
            return FEDC_STATUS_OK;
        }
        if (r->in_pass == 0) return FEDC_STATUS_OK; /* empty input: end, not loop forever */
        r->pass++;
        r->in_pass = 0;
        if (r->count >= 0 && r->pass >= r->count) return FEDC_STATUS_OK;
        st = fedc_dataset_reset(ctx, r->in);
        if (st) return fedc_ctx_prefixf(ctx, "repeat");
    }
}

static fedc_status repeat_reset(fedc_ctx *ctx, void *self) {
    repeat_ds *r = self;
    r->pass = 0;
    r->in_pass = 0;
    return fedc_dataset_reset(ctx, r->in);
}

static int64_t repeat_cardinality(void *self) {
    repeat_ds *r = self;
    int64_t n = fedc_dataset_cardinality(r->in);
    if (n == 0) return 0;
    if (n < 0 || r->count < 0 || n > INT64_MAX / (r->count ? r->count : 1)) return -1;
    return n * r->count;
}

static const fedc_dataset_vtable repeat_vtable = {"repeat", repeat_next, repeat_reset,
                                                  repeat_cardinality, repeat_destroy};

fedc_status fedc_dataset_repeat(fedc_ctx *ctx, fedc_dataset *in, int64_t count,
                                fedc_dataset **out) {
    *out = NULL;
    if (count < -1) return bad_arg(ctx, in, out, "repeat", count);
    repeat_ds *r = step_alloc(ctx, in, sizeof *r, "repeat");
    if (!r) return FEDC_STATUS_OUT_OF_MEMORY;
    r->in = in;
    r->count = count;
    return fedc__dataset_wrap(ctx, &repeat_vtable, r, out);
}

/* ---- batch ---- */

typedef struct batch_ds {
    fedc_dataset *in;
    int64_t size, cap;
    bool drop_remainder, ended;
    fedc_example **buf;
} batch_ds;

static void batch_destroy(void *self) {
    batch_ds *b = self;
    if (!b) return;
    fedc_dataset_destroy(b->in);
    free_slots(b->buf, b->cap);
    fedc_free(b);
}

static fedc_status stack(fedc_ctx *ctx, fedc_example *const *ex, int64_t n, fedc_example *out) {
    fedc_example_clear(out);
    const fedc_example *first = ex[0];
    int nf = fedc_example_count(first);
    for (int f = 0; f < nf; f++) {
        const char *name = fedc_example_name(first, f);
        const fedc_tensor *t0 = fedc_example_tensor(first, f);
        if (t0->shape.rank >= FEDC_MAX_RANK)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                                   "batch: feature '%s' has rank %d already", name, t0->shape.rank);
        fedc_shape shape;
        shape.rank = t0->shape.rank + 1;
        shape.dims[0] = n;
        for (int d = 0; d < t0->shape.rank; d++)
            shape.dims[d + 1] = t0->shape.dims[d];
        for (int d = shape.rank; d < FEDC_MAX_RANK; d++)
            shape.dims[d] = 0;
        fedc_tensor *dst;
        fedc_status st = fedc_example_set(ctx, out, name, t0->dtype, &shape, &dst);
        if (st) return st;
        size_t bytes = fedc_tensor_nbytes(t0);
        for (int64_t k = 0; k < n; k++) {
            const fedc_tensor *t = k == 0 ? t0 : fedc_example_get(ex[k], name);
            if (!t || fedc_example_count(ex[k]) != nf)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                                       "batch: example %lld of the batch has other features than "
                                       "example 0 (feature '%s')",
                                       (long long)k, name);
            /* A list of byte strings has a length per example but no fixed shape to stack
             * along. */
            int fi = k == 0 ? f : fedc_example_find(ex[k], name);
            if (fedc_example_is_bytes_list(ex[k], fi))
                return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                                       "batch: feature '%s' of example %lld of the batch is a "
                                       "list of %lld byte strings (batch stacks tensors of one "
                                       "shape)",
                                       name, (long long)k,
                                       (long long)fedc_example_bytes_count(ex[k], fi));
            if (t->dtype != t0->dtype)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                                       "batch: feature '%s' is %s in example 0 but %s in example "
                                       "%lld of the batch",
                                       name, fedc_dtype_name(t0->dtype), fedc_dtype_name(t->dtype),
                                       (long long)k);
            if (!fedc_shape_equal(&t->shape, &t0->shape)) {
                char a[128], b[128];
                fedc_shape_format(&t0->shape, a, sizeof a);
                fedc_shape_format(&t->shape, b, sizeof b);
                return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                                       "batch: feature '%s' has shape %s in example 0 but %s in "
                                       "example %lld of the batch",
                                       name, a, b, (long long)k);
            }
            if (bytes) memcpy((char *)dst->data + (size_t)k * bytes, t->data, bytes);
        }
    }
    return FEDC_STATUS_OK;
}

static fedc_status batch_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    batch_ds *b = self;
    int64_t n = 0;
    while (!b->ended && n < b->size) {
        fedc_status st = ensure_slots(ctx, &b->buf, &b->cap, n + 1, "batch");
        if (!st) st = slot(ctx, b->buf, n);
        if (st) return st;
        bool in_got;
        st = fedc_dataset_next(ctx, b->in, b->buf[n], &in_got);
        if (st) return st;
        if (in_got)
            n++;
        else
            b->ended = true;
    }
    if (n == 0 || (n < b->size && b->drop_remainder)) return FEDC_STATUS_OK;
    fedc_status st = stack(ctx, b->buf, n, out);
    if (st) return st;
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status batch_reset(fedc_ctx *ctx, void *self) {
    batch_ds *b = self;
    b->ended = false;
    return fedc_dataset_reset(ctx, b->in);
}

static int64_t batch_cardinality(void *self) {
    batch_ds *b = self;
    int64_t n = fedc_dataset_cardinality(b->in);
    if (n < 0) return -1;
    return b->drop_remainder ? n / b->size : (n + b->size - 1) / b->size;
}

static const fedc_dataset_vtable batch_vtable = {"batch", batch_next, batch_reset,
                                                 batch_cardinality, batch_destroy};

fedc_status fedc_dataset_batch(fedc_ctx *ctx, fedc_dataset *in, int64_t batch_size,
                               bool drop_remainder, fedc_dataset **out) {
    *out = NULL;
    if (batch_size < 1) return bad_arg(ctx, in, out, "batch size", batch_size);
    batch_ds *b = step_alloc(ctx, in, sizeof *b, "batch");
    if (!b) return FEDC_STATUS_OUT_OF_MEMORY;
    b->in = in;
    b->size = batch_size;
    b->drop_remainder = drop_remainder;
    return fedc__dataset_wrap(ctx, &batch_vtable, b, out);
}

/* ---- take and skip ---- */

typedef struct cut_ds {
    fedc_dataset *in;
    int64_t count, seen;
    bool is_skip;
} cut_ds;

static void cut_destroy(void *self) {
    cut_ds *c = self;
    if (!c) return;
    fedc_dataset_destroy(c->in);
    fedc_free(c);
}

static fedc_status cut_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    cut_ds *c = self;
    if (!c->is_skip) {
        if (c->count >= 0 && c->seen >= c->count) return FEDC_STATUS_OK;
        fedc_status st = fedc_dataset_next(ctx, c->in, out, got);
        if (!st && *got) c->seen++;
        return st;
    }
    while (c->seen < c->count) {
        fedc_status st = fedc_dataset_next(ctx, c->in, out, got);
        if (st || !*got) return st;
        c->seen++;
        *got = false;
    }
    return fedc_dataset_next(ctx, c->in, out, got);
}

static fedc_status cut_reset(fedc_ctx *ctx, void *self) {
    cut_ds *c = self;
    c->seen = 0;
    return fedc_dataset_reset(ctx, c->in);
}

static int64_t cut_cardinality(void *self) {
    cut_ds *c = self;
    int64_t n = fedc_dataset_cardinality(c->in);
    if (c->is_skip) return n < 0 ? -1 : n > c->count ? n - c->count : 0;
    if (c->count < 0) return n;
    return n < 0 ? -1 : n < c->count ? n : c->count;
}

static const fedc_dataset_vtable cut_vtable = {"take/skip", cut_next, cut_reset, cut_cardinality,
                                               cut_destroy};

static fedc_status make_cut(fedc_ctx *ctx, fedc_dataset *in, int64_t count, bool is_skip,
                            fedc_dataset **out) {
    *out = NULL;
    if (count < (is_skip ? 0 : -1)) return bad_arg(ctx, in, out, is_skip ? "skip" : "take", count);
    cut_ds *c = step_alloc(ctx, in, sizeof *c, is_skip ? "skip" : "take");
    if (!c) return FEDC_STATUS_OUT_OF_MEMORY;
    c->in = in;
    c->count = count;
    c->is_skip = is_skip;
    return fedc__dataset_wrap(ctx, &cut_vtable, c, out);
}

fedc_status fedc_dataset_take(fedc_ctx *ctx, fedc_dataset *in, int64_t count, fedc_dataset **out) {
    return make_cut(ctx, in, count, false, out);
}

fedc_status fedc_dataset_skip(fedc_ctx *ctx, fedc_dataset *in, int64_t count, fedc_dataset **out) {
    return make_cut(ctx, in, count, true, out);
}
