/* tensor_view.c — views that restrict or reorder a tensor's memory without copying it: slice,
 * select, reshape, permute and expand (broadcast).
 *
 * Nothing here allocates or touches elements: a view is a new description (shape, strides, data
 * pointer) of memory the caller keeps alive. Each function builds its result in a local and
 * assigns it at the end, so `out` may be the input itself. */
#include <stdio.h>
#include <string.h>

#include "fedc/tensor.h"
#include "tensor/tensor_int.h"

static fedc_status check_input(fedc_ctx *ctx, const char *fn, const fedc_tensor *t) {
    if (fedc_dtype_size(t->dtype) == 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: invalid dtype %d", fn,
                               (int)t->dtype);
    if (t->shape.rank < 0 || t->shape.rank > FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: rank %d is outside 0..%d",
                               fn, t->shape.rank, FEDC_MAX_RANK);
    return FEDC_STATUS_OK;
}

/* A view of t's memory with t's dtype; shape, strides and data are filled by the caller. The
 * unused tail of dims and strides stays zero so views compare and print cleanly. */
static fedc_tensor blank_view(const fedc_tensor *t) {
    fedc_tensor v;
    memset(&v, 0, sizeof v);
    v.dtype = t->dtype;
    v.data = t->data;
    return v;
}

/* t's data moved by `offset` elements. Zero offsets leave the pointer alone, so an empty tensor
 * with a NULL data pointer never gets pointer arithmetic applied to it. */
static void *offset_data(const fedc_tensor *t, int64_t offset) {
    if (offset == 0) return t->data;
    return (char *)t->data + offset * (int64_t)fedc_dtype_size(t->dtype);
}

/* Resolves a possibly negative axis against `rank`. */
static fedc_status resolve_axis(fedc_ctx *ctx, const char *fn, int axis, int rank, int *out) {
    if (axis < -rank || axis >= rank)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: axis %d is outside [%d, %d) for a rank-%d tensor", fn, axis,
                               -rank, rank, rank);
    *out = axis < 0 ? axis + rank : axis;
    return FEDC_STATUS_OK;
}

fedc_status fedc_tensor_slice(fedc_ctx *ctx, const fedc_tensor *t, int axis, int64_t start,
                              int64_t stop, fedc_tensor *out) {
    fedc_status st = check_input(ctx, "slice", t);
    if (st) return st;
    int ax = 0;
    if ((st = resolve_axis(ctx, "slice", axis, t->shape.rank, &ax))) return st;
    int64_t dim = t->shape.dims[ax];
    if (start < 0 || stop < start || stop > dim)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                               "slice: [%lld, %lld) is not within [0, %lld] along axis %d of %s",
                               (long long)start, (long long)stop, (long long)dim, ax,
                               fedc__shape_str(&t->shape).s);
    fedc_tensor v = blank_view(t);
    v.shape = t->shape;
    memcpy(v.strides, t->strides, sizeof v.strides);
    v.shape.dims[ax] = stop - start;
    v.data = offset_data(t, start * t->strides[ax]);
    *out = v;
    return FEDC_STATUS_OK;
}

fedc_status fedc_tensor_select(fedc_ctx *ctx, const fedc_tensor *t, int axis, int64_t index,
                               fedc_tensor *out) {
    fedc_status st = check_input(ctx, "select", t);
    if (st) return st;
    int ax = 0;
    if ((st = resolve_axis(ctx, "select", axis, t->shape.rank, &ax))) return st;
    int64_t dim = t->shape.dims[ax];
    if (index < 0 || index >= dim)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                               "select: index %lld is outside [0, %lld) along axis %d of %s",
                               (long long)index, (long long)dim, ax, fedc__shape_str(&t->shape).s);
    fedc_tensor v = blank_view(t);
    v.shape.rank = t->shape.rank - 1;
    for (int i = 0, j = 0; i < t->shape.rank; i++) {
        if (i == ax) continue;
        v.shape.dims[j] = t->shape.dims[i];
        v.strides[j] = t->strides[i];
        j++;
    }
    v.data = offset_data(t, index * t->strides[ax]);
    *out = v;
    return FEDC_STATUS_OK;
}

fedc_status fedc_tensor_reshape(fedc_ctx *ctx, const fedc_tensor *t, const fedc_shape *shape,
                                fedc_tensor *out) {
    fedc_status st = check_input(ctx, "reshape", t);
    if (st) return st;
    if (shape->rank < 0 || shape->rank > FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "reshape: target rank %d is outside 0..%d", shape->rank,
                               FEDC_MAX_RANK);
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < shape->rank; i++) {
        int64_t d = shape->dims[i];
        if (d == -1 && infer < 0) {
            infer = i;
        } else if (d == -1) {
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "reshape: target %s has more than one -1 (axes %d and %d)",
                                   fedc__shape_str(shape).s, infer, i);
        } else if (d < 0) {
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "reshape: target %s has a negative dimension on axis %d",
                                   fedc__shape_str(shape).s, i);
        } else {
            known *= d;
        }
    }
    int64_t numel = fedc_tensor_numel(t);
    fedc_shape target = *shape;
    if (infer >= 0) {
        /* With a zero among the known sizes any value fits the -1, so it cannot be inferred. */
        if (known == 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "reshape: cannot infer the -1 in %s from %s (the other "
                                   "dimensions multiply to 0)",
                                   fedc__shape_str(shape).s, fedc__shape_str(&t->shape).s);
        if (numel % known != 0)
            return fedc_ctx_errorf(
                ctx, FEDC_STATUS_SHAPE, "reshape: cannot reshape %s (%lld elements) into %s",
                fedc__shape_str(&t->shape).s, (long long)numel, fedc__shape_str(shape).s);
        target.dims[infer] = numel / known;
    } else if (known != numel) {
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "reshape: cannot reshape %s (%lld elements) into %s (%lld)",
                               fedc__shape_str(&t->shape).s, (long long)numel,
                               fedc__shape_str(shape).s, (long long)known);
    }
    if (!fedc_tensor_is_contiguous(t))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "reshape: the %s tensor is not contiguous, so %s needs a copy "
                               "(clone it first)",
                               fedc__shape_str(&t->shape).s, fedc__shape_str(&target).s);
    fedc_tensor v = fedc_tensor_view(t->dtype, &target, t->data);
    *out = v;
    return FEDC_STATUS_OK;
}

fedc_status fedc_tensor_permute(fedc_ctx *ctx, const fedc_tensor *t, const int *perm,
                                fedc_tensor *out) {
    fedc_status st = check_input(ctx, "permute", t);
    if (st) return st;
    int rank = t->shape.rank;
    bool seen[FEDC_MAX_RANK] = {false};
    for (int i = 0; i < rank; i++) {
        if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]]) {
            char text[96] = "";
            size_t len = 0;
            for (int j = 0; j < rank && len < sizeof text; j++)
                len +=
                    (size_t)snprintf(text + len, sizeof text - len, "%s%d", j ? "," : "", perm[j]);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "permute: (%s) is not a permutation of the %d axes of %s "
                                   "(entry %d)",
                                   text, rank, fedc__shape_str(&t->shape).s, i);
        }
        seen[perm[i]] = true;
    }
    fedc_tensor v = blank_view(t);
    v.shape.rank = rank;
    for (int i = 0; i < rank; i++) {
        v.shape.dims[i] = t->shape.dims[perm[i]];
        v.strides[i] = t->strides[perm[i]];
    }
    *out = v;
    return FEDC_STATUS_OK;
}

fedc_status fedc_tensor_expand(fedc_ctx *ctx, const fedc_tensor *t, const fedc_shape *shape,
                               fedc_tensor *out) {
    fedc_status st = check_input(ctx, "expand", t);
    if (st) return st;
    int rank = shape->rank, trank = t->shape.rank;
    if (rank < 0 || rank > FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "expand: target rank %d is outside 0..%d", rank, FEDC_MAX_RANK);
    if (rank < trank)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "expand: cannot broadcast %s to the lower-rank %s",
                               fedc__shape_str(&t->shape).s, fedc__shape_str(shape).s);
    fedc_tensor v = blank_view(t);
    v.shape.rank = rank;
    for (int i = 0; i < rank; i++) {
        int64_t d = shape->dims[i];
        if (d < 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "expand: target %s has a negative dimension on axis %d",
                                   fedc__shape_str(shape).s, i);
        int ti = i - (rank - trank); /* shapes align from the right */
        v.shape.dims[i] = d;
        if (ti < 0) {
            v.strides[i] = 0;
        } else if (t->shape.dims[ti] == d) {
            v.strides[i] = t->strides[ti];
        } else if (t->shape.dims[ti] == 1) {
            v.strides[i] = 0;
        } else {
            return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                                   "expand: cannot broadcast %s to %s (axis %d: %lld vs %lld)",
                                   fedc__shape_str(&t->shape).s, fedc__shape_str(shape).s, i,
                                   (long long)t->shape.dims[ti], (long long)d);
        }
    }
    *out = v;
    return FEDC_STATUS_OK;
}
