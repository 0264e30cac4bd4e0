/* tensor_int.c — the tensor layer's shared argument checks and message text (tensor_int.h).
 *
 * Only what several public wrappers say the same way lives here, so that one mistake is worded
 * one way everywhere; checks particular to one family of functions stay with it. Reports and
 * returns a status: never asserts on a caller's argument, never touches elements. */
#include "tensor/tensor_int.h"

fedc__shape_text fedc__shape_str(const fedc_shape *shape) {
    fedc__shape_text t;
    fedc_shape_format(shape, t.s, sizeof t.s);
    return t;
}

fedc_status fedc__check_tensor(fedc_ctx *ctx, const char *fn, const char *what,
                               const fedc_tensor *t) {
    if (fedc_dtype_size(t->dtype) == 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: %s has invalid dtype %d", fn,
                               what, (int)t->dtype);
    if (t->shape.rank < 0 || t->shape.rank > FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: %s has rank %d, outside 0..%d", fn, what, t->shape.rank,
                               FEDC_MAX_RANK);
    return FEDC_STATUS_OK;
}

fedc_status fedc__check_writable(fedc_ctx *ctx, const char *fn, const char *what,
                                 const fedc_tensor *t) {
    if (fedc_tensor_numel(t) == 0) return FEDC_STATUS_OK;
    for (int i = 0; i < t->shape.rank; i++)
        if (t->strides[i] == 0 && t->shape.dims[i] > 1)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "%s: %s %s is a broadcast view (stride 0 on axis %d)", fn, what,
                                   fedc__shape_str(&t->shape).s, i);
    return FEDC_STATUS_OK;
}
