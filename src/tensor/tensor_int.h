/* tensor_int.h — the tensor layer's private names: shape text for error messages and the
 * argument checks its public wrappers (ops.c, tensor_copy.c, tensor_view.c) share.
 * Nothing outside src/tensor and tests/tensor may include this; nothing here is part of the API,
 * and nothing here computes on elements (that is the kernels' job). */
#ifndef FEDC_TENSOR_INT_H
#define FEDC_TENSOR_INT_H

#include "fedc/tensor.h"

/* Shape text for messages, returned in a struct so it can be formatted inside an argument list
 * (the temporary lives until the end of the full expression):
 *     fedc_ctx_errorf(ctx, ..., "%s", fedc__shape_str(&t->shape).s) */
typedef struct fedc__shape_text {
    char s[160];
} fedc__shape_text;

fedc__shape_text fedc__shape_str(const fedc_shape *shape);

/* A tensor with a known dtype and a rank in 0..FEDC_MAX_RANK, else INVALID_ARGUMENT with
 * "FN: WHAT has invalid dtype D" or "FN: WHAT has rank R, outside 0..6". The least any function
 * needs before it looks at dims or strides. */
fedc_status fedc__check_tensor(fedc_ctx *ctx, const char *fn, const char *what,
                               const fedc_tensor *t);

/* A destination with stride 0 along an axis longer than 1 (an expand view) would have several
 * results land on one element: INVALID_ARGUMENT, "FN: WHAT [2,3] is a broadcast view (stride 0
 * on axis A)". An empty t passes: nothing lands anywhere. */
fedc_status fedc__check_writable(fedc_ctx *ctx, const char *fn, const char *what,
                                 const fedc_tensor *t);

#endif /* FEDC_TENSOR_INT_H */
