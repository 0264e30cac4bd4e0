/* pipeline_map.c — pipeline steps that transform one example at a time: a user C function and
 * the built-in feature maps (cast, scale, reshape, one-hot). Each reads its input into the
 * caller's example and rewrites one feature in place through a scratch example, so steady state
 * allocates nothing. Nothing here reorders, drops or groups examples (pipeline_flow.c does).
 */
#include <string.h>

#include "data/data_int.h"

/* ---- user function ---- */

typedef struct map_ds {
    fedc_dataset *in;
    fedc_example *tmp;
    fedc_map_fn fn;
    void *user;
} map_ds;

static void map_destroy(void *self) {
    map_ds *m = self;
    if (!m) return;
    fedc_dataset_destroy(m->in);
    fedc_example_destroy(m->tmp);
    fedc_free(m);
}

static fedc_status map_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    map_ds *m = self;
    fedc_status st = fedc_dataset_next(ctx, m->in, m->tmp, got);
    if (st || !*got) return st;
    *got = false;
    fedc_example_clear(out);
    st = m->fn(ctx, m->user, m->tmp, out);
    if (st) return st;
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status map_reset(fedc_ctx *ctx, void *self) {
    return fedc_dataset_reset(ctx, ((map_ds *)self)->in);
}

static int64_t map_cardinality(void *self) {
    return fedc_dataset_cardinality(((map_ds *)self)->in);
}

static const fedc_dataset_vtable map_vtable = {"map", map_next, map_reset, map_cardinality,
                                               map_destroy};

fedc_status fedc_dataset_map(fedc_ctx *ctx, fedc_dataset *in, fedc_map_fn fn, void *user,
                             fedc_dataset **out) {
    *out = NULL;
    map_ds *m = fedc_calloc(1, sizeof *m);
    if (!m) {
        fedc_dataset_destroy(in);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a map step");
    }
    m->in = in;
    m->fn = fn;
    m->user = user;
    fedc_status st = fedc_example_create(ctx, &m->tmp);
    if (st) {
        map_destroy(m);
        return st;
    }
    return fedc__dataset_wrap(ctx, &map_vtable, m, out);
}

/* ---- built-in feature maps ---- */

typedef enum fmap_kind { FMAP_CAST, FMAP_SCALE, FMAP_RESHAPE, FMAP_ONE_HOT } fmap_kind;

typedef struct fmap_ds {
    fedc_dataset *in;
    fedc_example *scratch;
    fmap_kind kind;
    char *name;
    fedc_dtype dtype;
    double scale, offset;
    fedc_shape shape;
    int64_t depth;
} fmap_ds;

static const char *const fmap_names[] = {"cast", "scale", "reshape", "one_hot"};

static void fmap_destroy(void *self) {
    fmap_ds *m = self;
    if (!m) return;
    fedc_dataset_destroy(m->in);
    fedc_example_destroy(m->scratch);
    fedc_free(m->name);
    fedc_free(m);
}

/* Replaces feature `name` of ex by a converted copy (through scratch: the old buffer may move). */
static fedc_status replace_cast(fedc_ctx *ctx, fedc_example *ex, fedc_example *scratch,
                                const char *name, const fedc_tensor *src, fedc_dtype dtype) {
    fedc_tensor *tmp, *dst;
    fedc_status st = fedc_example_set(ctx, scratch, "tmp", dtype, &src->shape, &tmp);
    if (!st) st = fedc_tensor_cast(ctx, tmp, src);
    if (!st) st = fedc_example_set(ctx, ex, name, dtype, &tmp->shape, &dst);
    if (!st && fedc_tensor_nbytes(tmp)) memcpy(dst->data, tmp->data, fedc_tensor_nbytes(tmp));
    return st;
}

static fedc_status reshape_feature(fedc_ctx *ctx, fedc_example *ex, const char *name,
                                   const fedc_tensor *t, const fedc_shape *want) {
    fedc_tensor view;
    fedc_status st = fedc_tensor_reshape(ctx, t, want, &view);
    if (st) return st;
    /* Same byte count: fedc_example_set keeps the buffer, so the data stay in place. */
    fedc_tensor *dst;
    fedc_shape shape = view.shape;
    return fedc_example_set(ctx, ex, name, t->dtype, &shape, &dst);
}

static fedc_status one_hot(fedc_ctx *ctx, fedc_example *ex, fedc_example *scratch, const char *name,
                           const fedc_tensor *t, int64_t depth) {
    if (fedc_dtype_is_float(t->dtype))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "one_hot of a %s feature (integers only)",
                               fedc_dtype_name(t->dtype));
    if (t->shape.rank >= FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "one_hot of a rank-%d feature",
                               t->shape.rank);
    int64_t n = fedc_tensor_numel(t);
    fedc_tensor *idx;
    fedc_shape flat = FEDC_SHAPE(n);
    fedc_status st = fedc_example_set(ctx, scratch, "idx", FEDC_DTYPE_INT64, &flat, &idx);
    if (st) return st;
    fedc_tensor src = fedc_tensor_view(t->dtype, &flat, t->data);
    st = fedc_tensor_cast(ctx, idx, &src);
    if (st) return st;
    const int64_t *iv = idx->data;
    for (int64_t i = 0; i < n; i++)
        if (iv[i] < 0 || iv[i] >= depth)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                                   "one_hot: value %lld at position %lld is outside [0, %lld)",
                                   (long long)iv[i], (long long)i, (long long)depth);
    fedc_shape shape = t->shape;
    shape.dims[shape.rank++] = depth;
    fedc_tensor *dst;
    st = fedc_example_set(ctx, ex, name, FEDC_DTYPE_FLOAT32, &shape, &dst);
    if (st) return st;
    float *d = dst->data;
    memset(d, 0, (size_t)(n * depth) * sizeof *d);
    for (int64_t i = 0; i < n; i++)
        d[i * depth + iv[i]] = 1.0f;
    return FEDC_STATUS_OK;
}

static fedc_status fmap_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    fmap_ds *m = self;
    fedc_status st = fedc_dataset_next(ctx, m->in, out, got);
    if (st || !*got) return st;
    *got = false;
    const fedc_tensor *t = fedc_example_require(ctx, out, m->name);
    if (!t) return fedc_ctx_prefixf(ctx, "%s", fmap_names[m->kind]);
    fedc_tensor src = *t; /* the description; the data stay where they are until replaced */
    switch (m->kind) {
    case FMAP_CAST:
        if (src.dtype != m->dtype) st = replace_cast(ctx, out, m->scratch, m->name, &src, m->dtype);
        break;
    case FMAP_SCALE: {
        if (src.dtype != FEDC_DTYPE_FLOAT32)
            st = replace_cast(ctx, out, m->scratch, m->name, &src, FEDC_DTYPE_FLOAT32);
        if (st) break;
        const fedc_tensor *f = fedc_example_get(out, m->name);
        float *d = f->data;
        int64_t n = fedc_tensor_numel(f);
        for (int64_t i = 0; i < n; i++)
            d[i] = (float)((double)d[i] * m->scale + m->offset);
        break;
    }
    case FMAP_RESHAPE: st = reshape_feature(ctx, out, m->name, &src, &m->shape); break;
    case FMAP_ONE_HOT: st = one_hot(ctx, out, m->scratch, m->name, &src, m->depth); break;
    }
    if (st) return fedc_ctx_prefixf(ctx, "%s '%s'", fmap_names[m->kind], m->name);
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status fmap_reset(fedc_ctx *ctx, void *self) {
    return fedc_dataset_reset(ctx, ((fmap_ds *)self)->in);
}

static int64_t fmap_cardinality(void *self) {
    return fedc_dataset_cardinality(((fmap_ds *)self)->in);
}

static const fedc_dataset_vtable fmap_vtable = {"feature map", fmap_next, fmap_reset,
                                                fmap_cardinality, fmap_destroy};

static fedc_status make_fmap(fedc_ctx *ctx, fedc_dataset *in, const fmap_ds *proto,
                             fedc_dataset **out) {
    *out = NULL;
    fmap_ds *m = fedc_malloc(sizeof *m);
    if (!m) {
        fedc_dataset_destroy(in);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a %s step",
                               fmap_names[proto->kind]);
    }
    *m = *proto;
    m->in = in;
    m->scratch = NULL;
    m->name = fedc_strdup(proto->name);
    if (!m->name) {
        fmap_destroy(m);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a %s step",
                               fmap_names[proto->kind]);
    }
    fedc_status st = fedc_example_create(ctx, &m->scratch);
    if (st) {
        fmap_destroy(m);
        return st;
    }
    return fedc__dataset_wrap(ctx, &fmap_vtable, m, out);
}

fedc_status fedc_dataset_cast(fedc_ctx *ctx, fedc_dataset *in, const char *name, fedc_dtype dtype,
                              fedc_dataset **out) {
    if (fedc_dtype_size(dtype) == 0) {
        fedc_dataset_destroy(in);
        *out = NULL;
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "cast '%s': invalid dtype %d",
                               name, (int)dtype);
    }
    fmap_ds p = {.kind = FMAP_CAST, .name = (char *)name, .dtype = dtype};
    return make_fmap(ctx, in, &p, out);
}

fedc_status fedc_dataset_scale(fedc_ctx *ctx, fedc_dataset *in, const char *name, double scale,
                               double offset, fedc_dataset **out) {
    fmap_ds p = {.kind = FMAP_SCALE, .name = (char *)name, .scale = scale, .offset = offset};
    return make_fmap(ctx, in, &p, out);
}

fedc_status fedc_dataset_reshape(fedc_ctx *ctx, fedc_dataset *in, const char *name,
                                 const fedc_shape *shape, fedc_dataset **out) {
    fmap_ds p = {.kind = FMAP_RESHAPE, .name = (char *)name, .shape = *shape};
    return make_fmap(ctx, in, &p, out);
}

fedc_status fedc_dataset_one_hot(fedc_ctx *ctx, fedc_dataset *in, const char *name, int64_t depth,
                                 fedc_dataset **out) {
    if (depth < 1) {
        fedc_dataset_destroy(in);
        *out = NULL;
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "one_hot '%s': depth %lld < 1",
                               name, (long long)depth);
    }
    fmap_ds p = {.kind = FMAP_ONE_HOT, .name = (char *)name, .depth = depth};
    return make_fmap(ctx, in, &p, out);
}
