/* tensor.c — tensor values: allocation, contiguous views, element access, fill.
 * Views that reorder or restrict memory live in tensor_view.c; copies and casts in
 * tensor_copy.c. Nothing here computes on elements in bulk beyond fill. */
#include <assert.h>
#include <string.h>

#include "fedc/tensor.h"

static void set_contiguous_strides(fedc_tensor *t) {
    int64_t stride = 1;
    for (int i = t->shape.rank - 1; i >= 0; i--) {
        t->strides[i] = stride;
        stride *= t->shape.dims[i];
    }
    for (int i = t->shape.rank; i < FEDC_MAX_RANK; i++)
        t->strides[i] = 0;
}

fedc_tensor fedc_tensor_view(fedc_dtype dtype, const fedc_shape *shape, void *data) {
    fedc_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dtype;
    t.shape = *shape;
    t.data = data;
    set_contiguous_strides(&t);
    return t;
}

static fedc_status alloc(fedc_ctx *ctx, fedc_tensor *out, fedc_dtype dtype, const fedc_shape *shape,
                         bool zeroed) {
    memset(out, 0, sizeof *out);
    if (fedc_dtype_size(dtype) == 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "invalid dtype %d", (int)dtype);
    if (shape->rank < 0 || shape->rank > FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "rank %d is outside 0..%d",
                               shape->rank, FEDC_MAX_RANK);
    int64_t numel = 1;
    for (int i = 0; i < shape->rank; i++) {
        if (shape->dims[i] < 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "dimension %d is negative (%lld)", i, (long long)shape->dims[i]);
        if (shape->dims[i] && numel > INT64_MAX / 16 / shape->dims[i])
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "tensor too large");
        numel *= shape->dims[i];
    }
    size_t bytes = (size_t)numel * fedc_dtype_size(dtype);
    void *data = zeroed ? fedc_calloc(1, bytes ? bytes : 1) : fedc_malloc(bytes ? bytes : 1);
    if (!data) {
        char s[128];
        fedc_shape_format(shape, s, sizeof s);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "cannot allocate %zu bytes for a %s%s tensor", bytes,
                               fedc_dtype_name(dtype), s);
    }
    *out = fedc_tensor_view(dtype, shape, data);
    out->owned = data;
    return FEDC_STATUS_OK;
}

fedc_status fedc_tensor_alloc(fedc_ctx *ctx, fedc_tensor *out, fedc_dtype dtype,
                              const fedc_shape *shape) {
    return alloc(ctx, out, dtype, shape, true);
}

fedc_status fedc_tensor_alloc_uninit(fedc_ctx *ctx, fedc_tensor *out, fedc_dtype dtype,
                                     const fedc_shape *shape) {
    return alloc(ctx, out, dtype, shape, false);
}

void fedc_tensor_free(fedc_tensor *t) {
    if (!t) return;
    fedc_free(t->owned);
    memset(t, 0, sizeof *t);
}

int64_t fedc_tensor_numel(const fedc_tensor *t) { return fedc_shape_numel(&t->shape); }

size_t fedc_tensor_nbytes(const fedc_tensor *t) {
    return (size_t)fedc_tensor_numel(t) * fedc_dtype_size(t->dtype);
}

bool fedc_tensor_is_contiguous(const fedc_tensor *t) {
    /* An empty tensor (e.g. a zero-length slice) holds no elements, so no layout can have gaps;
     * calling it contiguous lets it be reshaped like any other. */
    if (fedc_tensor_numel(t) == 0) return true;
    int64_t stride = 1;
    for (int i = t->shape.rank - 1; i >= 0; i--) {
        if (t->shape.dims[i] != 1 && t->strides[i] != stride) return false;
        stride *= t->shape.dims[i];
    }
    return true;
}

static void *element_at(const fedc_tensor *t, int64_t offset) {
    return (char *)t->data + offset * (int64_t)fedc_dtype_size(t->dtype);
}

static double load(fedc_dtype dtype, const void *p) {
    switch (dtype) {
    case FEDC_DTYPE_FLOAT32: return *(const float *)p;
    case FEDC_DTYPE_FLOAT64: return *(const double *)p;
    case FEDC_DTYPE_INT32: return *(const int32_t *)p;
    case FEDC_DTYPE_INT64: return (double)*(const int64_t *)p;
    case FEDC_DTYPE_UINT8: return *(const uint8_t *)p;
    case FEDC_DTYPE_BOOL: return *(const uint8_t *)p ? 1.0 : 0.0;
    default: assert(!"invalid dtype"); return 0;
    }
}

static void store(fedc_dtype dtype, void *p, double v) {
    switch (dtype) {
    case FEDC_DTYPE_FLOAT32: *(float *)p = (float)v; break;
    case FEDC_DTYPE_FLOAT64: *(double *)p = v; break;
    case FEDC_DTYPE_INT32: *(int32_t *)p = (int32_t)v; break;
    case FEDC_DTYPE_INT64: *(int64_t *)p = (int64_t)v; break;
    case FEDC_DTYPE_UINT8: *(uint8_t *)p = (uint8_t)v; break;
    case FEDC_DTYPE_BOOL: *(uint8_t *)p = v != 0; break;
    default: assert(!"invalid dtype");
    }
}

static int64_t offset_of_index(const fedc_tensor *t, const int64_t *index) {
    int64_t off = 0;
    for (int i = 0; i < t->shape.rank; i++) {
        assert(index[i] >= 0 && index[i] < t->shape.dims[i]);
        off += index[i] * t->strides[i];
    }
    return off;
}

static int64_t offset_of_flat(const fedc_tensor *t, int64_t flat) {
    assert(flat >= 0 && flat < fedc_tensor_numel(t));
    int64_t off = 0;
    for (int i = t->shape.rank - 1; i >= 0; i--) {
        int64_t dim = t->shape.dims[i];
        off += (flat % dim) * t->strides[i];
        flat /= dim;
    }
    return off;
}

double fedc_tensor_get(const fedc_tensor *t, const int64_t *index) {
    return load(t->dtype, element_at(t, offset_of_index(t, index)));
}

void fedc_tensor_set(fedc_tensor *t, const int64_t *index, double value) {
    store(t->dtype, element_at(t, offset_of_index(t, index)), value);
}

double fedc_tensor_get_flat(const fedc_tensor *t, int64_t i) {
    return load(t->dtype, element_at(t, offset_of_flat(t, i)));
}

void fedc_tensor_set_flat(fedc_tensor *t, int64_t i, double value) {
    store(t->dtype, element_at(t, offset_of_flat(t, i)), value);
}

void fedc_tensor_fill(fedc_tensor *t, double value) {
    int64_t n = fedc_tensor_numel(t);
    if (fedc_tensor_is_contiguous(t) && t->dtype == FEDC_DTYPE_FLOAT32) {
        float v = (float)value, *p = t->data;
        for (int64_t i = 0; i < n; i++)
            p[i] = v;
        return;
    }
    for (int64_t i = 0; i < n; i++)
        fedc_tensor_set_flat(t, i, value);
}
