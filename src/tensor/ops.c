/* ops.c — the checked tensor operations: binary, unary, reduce, softmax and log-softmax, and
 * the ops' names.
 *
 * Each function validates everything a caller can get wrong (dtypes, shapes, out, ops a dtype
 * lacks) and reports it with a message naming the op and the shapes or dtypes involved; then
 * it calls the kernel set chosen at build time, which trusts its arguments. No arithmetic
 * here: the kernels (kernels/ref, kernels/opt) are the only place ops are defined. */
#include <string.h>

#include "tensor/kernels/kernels.h"
#include "tensor/tensor_int.h"

static const char *const g_binary_names[FEDC_BINARY_OP_COUNT] = {
    [FEDC_BINARY_OP_ADD] = "add",
    [FEDC_BINARY_OP_SUB] = "sub",
    [FEDC_BINARY_OP_MUL] = "mul",
    [FEDC_BINARY_OP_DIV] = "div",
    [FEDC_BINARY_OP_MAXIMUM] = "maximum",
    [FEDC_BINARY_OP_MINIMUM] = "minimum",
    [FEDC_BINARY_OP_POW] = "pow",
    [FEDC_BINARY_OP_EQUAL] = "equal",
    [FEDC_BINARY_OP_NOT_EQUAL] = "not_equal",
    [FEDC_BINARY_OP_LESS] = "less",
    [FEDC_BINARY_OP_LESS_EQUAL] = "less_equal",
    [FEDC_BINARY_OP_GREATER] = "greater",
    [FEDC_BINARY_OP_GREATER_EQUAL] = "greater_equal",
};

static const char *const g_unary_names[FEDC_UNARY_OP_COUNT] = {
    [FEDC_UNARY_OP_NEG] = "neg",       [FEDC_UNARY_OP_ABS] = "abs",
    [FEDC_UNARY_OP_SQUARE] = "square", [FEDC_UNARY_OP_SQRT] = "sqrt",
    [FEDC_UNARY_OP_EXP] = "exp",       [FEDC_UNARY_OP_LOG] = "log",
    [FEDC_UNARY_OP_RELU] = "relu",     [FEDC_UNARY_OP_SIGMOID] = "sigmoid",
    [FEDC_UNARY_OP_TANH] = "tanh",
};

static const char *const g_reduce_names[FEDC_REDUCE_OP_COUNT] = {
    [FEDC_REDUCE_OP_SUM] = "sum",
    [FEDC_REDUCE_OP_MEAN] = "mean",
    [FEDC_REDUCE_OP_MAX] = "max",
    [FEDC_REDUCE_OP_MIN] = "min",
};

const char *fedc_binary_op_name(fedc_binary_op op) {
    return (unsigned)op < FEDC_BINARY_OP_COUNT ? g_binary_names[op] : "invalid";
}

const char *fedc_unary_op_name(fedc_unary_op op) {
    return (unsigned)op < FEDC_UNARY_OP_COUNT ? g_unary_names[op] : "invalid";
}

const char *fedc_reduce_op_name(fedc_reduce_op op) {
    return (unsigned)op < FEDC_REDUCE_OP_COUNT ? g_reduce_names[op] : "invalid";
}

/* ---- validation helpers ------------------------------------------------------------------ */

static const char *dt(fedc_dtype dtype) { return fedc_dtype_name(dtype); }

/* A tensor the kernels can walk: a known dtype, a rank in range, no negative dimension, data
 * behind any elements. */
static fedc_status check_tensor(fedc_ctx *ctx, const char *op, const char *what,
                                const fedc_tensor *t) {
    fedc_status st = fedc__check_tensor(ctx, op, what, t);
    if (st) return st;
    for (int i = 0; i < t->shape.rank; i++)
        if (t->shape.dims[i] < 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "%s: %s has a negative dimension on axis %d", op, what, i);
    if (!t->data && fedc_tensor_numel(t) > 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: %s %s has no data", op, what,
                               fedc__shape_str(&t->shape).s);
    return FEDC_STATUS_OK;
}

static fedc_status check_out(fedc_ctx *ctx, const char *op, const fedc_tensor *out,
                             fedc_dtype dtype, const fedc_shape *shape) {
    if (out->dtype != dtype)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "%s: out has dtype %s, expected %s", op,
                               dt(out->dtype), dt(dtype));
    if (!fedc_shape_equal(&out->shape, shape))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "%s: out has shape %s, expected %s", op,
                               fedc__shape_str(&out->shape).s, fedc__shape_str(shape).s);
    return fedc__check_writable(ctx, op, "out", out);
}

/* ---- binary and unary -------------------------------------------------------------------- */

fedc_status fedc_tensor_binary(fedc_ctx *ctx, fedc_binary_op op, const fedc_tensor *a,
                               const fedc_tensor *b, fedc_tensor *out) {
    if ((unsigned)op >= FEDC_BINARY_OP_COUNT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "invalid binary op %d", (int)op);
    const char *name = g_binary_names[op];
    fedc_status st;
    if ((st = check_tensor(ctx, name, "a", a)) || (st = check_tensor(ctx, name, "b", b)) ||
        (st = check_tensor(ctx, name, "out", out)))
        return st;
    if (a->dtype != b->dtype)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "%s: operand dtypes differ: %s%s and %s%s",
                               name, dt(a->dtype), fedc__shape_str(&a->shape).s, dt(b->dtype),
                               fedc__shape_str(&b->shape).s);
    bool comparison = op >= FEDC_BINARY_OP_EQUAL;
    if (!comparison && a->dtype == FEDC_DTYPE_BOOL)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "%s: not defined for bool operands (only comparisons are)", name);
    if (op == FEDC_BINARY_OP_POW && !fedc_dtype_is_float(a->dtype))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "pow: not defined for %s operands (float32 and float64 only)",
                               dt(a->dtype));
    fedc_shape shape;
    if ((st = fedc_shape_broadcast(ctx, &a->shape, &b->shape, &shape))) {
        fedc_ctx_prefixf(ctx, "%s", name); /* "add: shapes [2,3] and [4] do not broadcast" */
        return st;
    }
    if ((st = check_out(ctx, name, out, comparison ? FEDC_DTYPE_BOOL : a->dtype, &shape)))
        return st;
    FEDC__KERNEL(binary)(op, a, b, out);
    return FEDC_STATUS_OK;
}

fedc_status fedc_tensor_unary(fedc_ctx *ctx, fedc_unary_op op, const fedc_tensor *a,
                              fedc_tensor *out) {
    if ((unsigned)op >= FEDC_UNARY_OP_COUNT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "invalid unary op %d", (int)op);
    const char *name = g_unary_names[op];
    fedc_status st;
    if ((st = check_tensor(ctx, name, "a", a)) || (st = check_tensor(ctx, name, "out", out)))
        return st;
    bool integer_op =
        op == FEDC_UNARY_OP_NEG || op == FEDC_UNARY_OP_ABS || op == FEDC_UNARY_OP_SQUARE;
    if (a->dtype == FEDC_DTYPE_BOOL || (!integer_op && !fedc_dtype_is_float(a->dtype)))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "%s: not defined for %s (%s)", name,
                               dt(a->dtype),
                               integer_op ? "numeric dtypes only" : "float32 and float64 only");
    if ((st = check_out(ctx, name, out, a->dtype, &a->shape))) return st;
    FEDC__KERNEL(unary)(op, a, out);
    return FEDC_STATUS_OK;
}

/* ---- reduce ------------------------------------------------------------------------------ */

fedc_status fedc_tensor_reduce(fedc_ctx *ctx, fedc_reduce_op op, const fedc_tensor *a,
                               uint32_t axes_mask, bool keepdims, fedc_tensor *out) {
    if ((unsigned)op >= FEDC_REDUCE_OP_COUNT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "invalid reduce op %d", (int)op);
    const char *name = g_reduce_names[op];
    fedc_status st;
    if ((st = check_tensor(ctx, name, "a", a)) || (st = check_tensor(ctx, name, "out", out)))
        return st;
    if (a->dtype == FEDC_DTYPE_BOOL)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "%s: not defined for bool (cast to an integer dtype first)", name);
    if (op == FEDC_REDUCE_OP_MEAN && !fedc_dtype_is_float(a->dtype))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "mean: not defined for %s (float32 and float64 only)", dt(a->dtype));
    int rank = a->shape.rank;
    uint32_t all = (1u << rank) - 1;
    if (axes_mask & ~all)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: axes mask 0x%x names an axis beyond the %d of %s", name,
                               (unsigned)axes_mask, rank, fedc__shape_str(&a->shape).s);
    uint32_t mask = axes_mask ? axes_mask : all;

    /* The result's shape, its keepdims form (what the kernel writes through), and how many
     * terms each result element has. */
    fedc_shape shape, kshape = a->shape;
    memset(&shape, 0, sizeof shape);
    int64_t count = 1;
    for (int i = 0; i < rank; i++) {
        bool reduced = mask >> i & 1;
        if (reduced) {
            count *= a->shape.dims[i];
            kshape.dims[i] = 1;
        }
        if (!reduced || keepdims) shape.dims[shape.rank++] = reduced ? 1 : a->shape.dims[i];
    }
    if ((st = check_out(ctx, name, out, a->dtype, &shape))) return st;
    if (count == 0 && fedc_shape_numel(&shape) > 0 &&
        (op == FEDC_REDUCE_OP_MAX || op == FEDC_REDUCE_OP_MIN))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                               "%s: reducing axes 0x%x of %s reduces over no elements, and %s "
                               "has no identity",
                               name, (unsigned)mask, fedc__shape_str(&a->shape).s, name);

    fedc_tensor view = *out;
    view.owned = NULL;
    view.shape = kshape;
    for (int i = 0, j = 0; i < rank; i++) {
        bool reduced = mask >> i & 1;
        if (keepdims)
            view.strides[i] = out->strides[i];
        else
            view.strides[i] = reduced ? 0 : out->strides[j++];
    }
    FEDC__KERNEL(reduce)(op, a, mask, &view);
    return FEDC_STATUS_OK;
}

/* ---- softmax ----------------------------------------------------------------------------- */

static fedc_status softmax(fedc_ctx *ctx, const char *name, const fedc_tensor *a, fedc_tensor *out,
                           bool log_out) {
    fedc_status st;
    if ((st = check_tensor(ctx, name, "a", a)) || (st = check_tensor(ctx, name, "out", out)))
        return st;
    if (!fedc_dtype_is_float(a->dtype))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "%s: not defined for %s (float32 and float64 only)", name,
                               dt(a->dtype));
    if (a->shape.rank == 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "%s: needs an axis to normalize over, got a scalar ([])", name);
    if ((st = check_out(ctx, name, out, a->dtype, &a->shape))) return st;
    FEDC__KERNEL(softmax)(a, out, log_out);
    return FEDC_STATUS_OK;
}

fedc_status fedc_tensor_softmax(fedc_ctx *ctx, const fedc_tensor *a, fedc_tensor *out) {
    return softmax(ctx, "softmax", a, out, false);
}

fedc_status fedc_tensor_log_softmax(fedc_ctx *ctx, const fedc_tensor *a, fedc_tensor *out) {
    return softmax(ctx, "log_softmax", a, out, true);
}
