/* client_data.c — a client's dataset as local training reads it: opened straight from the data
 * layer when the sequence is backed by client data (no per-example values), otherwise read from
 * the sequence value's struct elements; and batches in the model's input spec.
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

/* Feature `name` of a batched example as a tensor of dtype [n, shape...] in *t (converted). */
static fedc_status feature(fedc_ctx *ctx, const fedc_example *ex, const char *name,
                           fedc_dtype dtype, const fedc_shape *shape, fedc_tensor *t, int64_t *n) {
    const fedc_tensor *src = fedc_example_require(ctx, ex, name);
    if (!src) return fedc_ctx_status(ctx);
    int64_t per = 1;
    for (int i = 0; i < shape->rank; i++)
        per *= shape->dims[i];
    int64_t rows = src->shape.rank > 0 ? src->shape.dims[0] : 1;
    if (src->shape.rank < 1 || fedc_tensor_numel(src) != rows * per) {
        char a[96], b[96];
        fedc_shape_format(&src->shape, a, sizeof a);
        fedc_shape_format(shape, b, sizeof b);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "feature '%s': a batch of shape %s does not hold examples of %s",
                               name, a, b);
    }
    fedc_shape s = *shape;
    if (s.rank == FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "feature '%s': rank too large", name);
    memmove(s.dims + 1, s.dims, (size_t)s.rank * sizeof s.dims[0]);
    s.dims[0] = rows;
    s.rank++;
    if (!fedc_tensor_is_contiguous(src))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "feature '%s' is not contiguous",
                               name);
    if (t->data == NULL || t->dtype != dtype || !fedc_shape_equal(&t->shape, &s)) {
        fedc_tensor_free(t);
        fedc_status st = fedc_tensor_alloc(ctx, t, dtype, &s);
        if (st < 0) return st;
    }
    fedc_tensor flat = fedc_tensor_view(src->dtype, &s, src->data);
    *n = rows;
    return src->dtype == dtype ? fedc_tensor_copy(ctx, t, &flat) : fedc_tensor_cast(ctx, t, &flat);
}

fedc_status fedc__batch_from_example(fedc_ctx *ctx, const fedc_input_spec *spec,
                                     const fedc_example *ex, fedc_tensor *x, fedc_tensor *y,
                                     fedc_batch *out) {
    int64_t nx = 0, ny = 0;
    fedc_status st = feature(ctx, ex, spec->x_name, FEDC_DTYPE_FLOAT32, &spec->x_shape, x, &nx);
    if (st >= 0) st = feature(ctx, ex, spec->y_name, spec->y_dtype, &spec->y_shape, y, &ny);
    if (st < 0) return st;
    out->n = nx;
    out->x = x;
    out->y = y;
    return FEDC_STATUS_OK;
}
