/* check_builtins.c — the typing rules of the built-in local tensor operations (add, where,
 * reduce_sum, matmul, reshape, clip_by_norm, ...): dtypes, NumPy broadcasting with unknown
 * dimensions, and the literal arguments some of them take (an axis, a shape). No evaluation.
 */
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"

typedef struct bsig {
    fedc__checker *ck;
    const fedc_node *call;
    const char *name;
    const fedc_type *got;
} bsig;

static fedc_status bad(const bsig *s, const char *want) {
    return fedc__type_mismatch(s->ck->ctx, s->call, s->name, want, s->got);
}

static const fedc_type *arg_i(const fedc_type *a, size_t i) { return a->fields[i].type; }

static bool is_tensor(const fedc_type *t) { return t && t->kind == FEDC_TYPE_TENSOR; }

static bool args_n(const fedc_type *a, size_t n) {
    if (!a || a->kind != FEDC_TYPE_STRUCT || a->nfields != n) return false;
    for (size_t i = 0; i < n; i++)
        if (a->fields[i].name) return false;
    return true;
}

/* The call's i-th argument node, when the argument is a struct literal. */
static const fedc_node *arg_node(const fedc_node *call, size_t i) {
    const fedc_node *a = call->a[1];
    return a && a->kind == FEDC_NODE_STRUCT && i < a->n ? a->items[i] : NULL;
}

/* NumPy broadcasting; an unknown dimension meets a known one as that one (unless it is 1). */
static bool broadcast(const fedc_type *a, const fedc_type *b, int *rank, int64_t *dims) {
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r; i++) {
        int ia = a->rank - r + i, ib = b->rank - r + i;
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        int64_t d;
        if (da == db)
            d = da;
        else if (da == 1)
            d = db;
        else if (db == 1)
            d = da;
        else if (da == FEDC_DIM_UNKNOWN)
            d = db;
        else if (db == FEDC_DIM_UNKNOWN)
            d = da;
        else
            return false;
        dims[i] = d;
    }
    *rank = r;
    return true;
}

static int find(const char *name, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0) return (int)i;
    return -1;
}

static bool dt_numeric(fedc_dtype d) { return d != FEDC_DTYPE_BOOL; }
static bool dt_float(fedc_dtype d) { return fedc_dtype_is_float(d); }
static bool dt_any(fedc_dtype d) { return (unsigned)d < FEDC_DTYPE_COUNT; }

static const char *const kArith[] = {"add", "sub", "mul", "div", "maximum", "minimum", "pow"};
static const char *const kCompare[] = {"equal",      "not_equal", "less",
                                       "less_equal", "greater",   "greater_equal"};
static const char *const kUnaryNum[] = {"neg", "abs", "square"};
static const char *const kUnaryFloat[] = {"sqrt", "exp", "log", "relu", "sigmoid", "tanh"};
static const char *const kReduce[] = {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min"};
#define N(a) (sizeof a / sizeof a[0])

/* An integer scalar literal argument (axis). */
static bool int_literal(const fedc_node *n, int64_t *out) {
    if (!n || n->kind != FEDC_NODE_LITERAL || n->literal.shape.rank != 0 ||
        fedc_dtype_is_float(n->literal.dtype) || n->literal.dtype == FEDC_DTYPE_BOOL)
        return false;
    *out = (int64_t)fedc_tensor_get_flat(&n->literal, 0);
    return true;
}

static fedc_status check_reshape(const bsig *s, const fedc_type *a, const fedc_type **out) {
    fedc_arena *arena = s->ck->comp->arena;
    const char *want = "<tensor,int32[n] literal shape (one entry may be -1)>";
    const fedc_node *shape_node = arg_node(s->call, 1);
    if (!args_n(a, 2) || !is_tensor(arg_i(a, 0)) || !shape_node ||
        shape_node->kind != FEDC_NODE_LITERAL || shape_node->literal.shape.rank != 1 ||
        shape_node->literal.dtype != FEDC_DTYPE_INT32 ||
        shape_node->literal.shape.dims[0] > FEDC_MAX_RANK)
        return bad(s, want);
    const fedc_type *x = arg_i(a, 0);
    int rank = (int)shape_node->literal.shape.dims[0];
    int64_t dims[FEDC_MAX_RANK];
    int infer = -1;
    int64_t known = 1, total = 1;
    bool total_known = true;
    for (int i = 0; i < x->rank; i++) {
        if (x->dims[i] == FEDC_DIM_UNKNOWN)
            total_known = false;
        else
            total *= x->dims[i];
    }
    for (int i = 0; i < rank; i++) {
        dims[i] = (int64_t)fedc_tensor_get_flat(&shape_node->literal, i);
        if (dims[i] == -1) {
            if (infer >= 0) return bad(s, want);
            infer = i;
        } else if (dims[i] < 0) {
            return bad(s, want);
        } else {
            known *= dims[i];
        }
    }
    if (infer >= 0) {
        if (!total_known)
            dims[infer] = FEDC_DIM_UNKNOWN;
        else if (known == 0 || total % known != 0)
            return bad(s, "a shape with as many elements");
        else
            dims[infer] = total / known;
    } else if (total_known && known != total) {
        return bad(s, "a shape with as many elements");
    }
    *out = fedc_type_tensor(arena, x->dtype, rank, dims);
    return FEDC_STATUS_OK;
}

/* fill(shape, value): tf.fill's argument order; the shape is an int32[n] literal of known
 * sizes (so the result's type is known), the value a scalar whose dtype the result takes. */
static fedc_status check_fill(const bsig *s, const fedc_type *a, const fedc_type **out) {
    const char *want = "<int32[n] literal shape,scalar value>";
    const fedc_node *shape_node = arg_node(s->call, 0);
    if (!args_n(a, 2) || !is_tensor(arg_i(a, 1)) || arg_i(a, 1)->rank != 0 || !shape_node ||
        shape_node->kind != FEDC_NODE_LITERAL || shape_node->literal.shape.rank != 1 ||
        shape_node->literal.dtype != FEDC_DTYPE_INT32 ||
        shape_node->literal.shape.dims[0] > FEDC_MAX_RANK)
        return bad(s, want);
    int rank = (int)shape_node->literal.shape.dims[0];
    int64_t dims[FEDC_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        dims[i] = (int64_t)fedc_tensor_get_flat(&shape_node->literal, i);
        if (dims[i] < 0) return bad(s, "a shape of sizes >= 0");
    }
    *out = fedc_type_tensor(s->ck->comp->arena, arg_i(a, 1)->dtype, rank, dims);
    return FEDC_STATUS_OK;
}

fedc_status fedc__check_builtin(fedc__checker *ck, const fedc_node *call, const char *name,
                                const fedc_type *a, const fedc_type **out) {
    fedc_arena *arena = ck->comp->arena;
    bsig s = {ck, call, name, a};
    int rank;
    int64_t dims[FEDC_MAX_RANK];
    *out = NULL;
    bool arith = find(name, kArith, N(kArith)) >= 0, cmp = find(name, kCompare, N(kCompare)) >= 0;
    if (arith || cmp) {
        const char *want = arith ? "two numeric tensors of one dtype with broadcastable shapes"
                                 : "two tensors of one dtype with broadcastable shapes";
        if (!args_n(a, 2) || !is_tensor(arg_i(a, 0)) || !is_tensor(arg_i(a, 1)))
            return bad(&s, want);
        const fedc_type *x = arg_i(a, 0), *y = arg_i(a, 1);
        if (x->dtype != y->dtype || (arith && x->dtype == FEDC_DTYPE_BOOL) ||
            (strcmp(name, "pow") == 0 && !dt_float(x->dtype)) || !broadcast(x, y, &rank, dims))
            return bad(&s, want);
        *out = fedc_type_tensor(arena, cmp ? FEDC_DTYPE_BOOL : x->dtype, rank, dims);
    } else if (find(name, kUnaryNum, N(kUnaryNum)) >= 0 ||
               find(name, kUnaryFloat, N(kUnaryFloat)) >= 0 || strcmp(name, "logical_not") == 0) {
        bool fl = find(name, kUnaryFloat, N(kUnaryFloat)) >= 0;
        bool lnot = strcmp(name, "logical_not") == 0;
        const char *want = lnot ? "a bool tensor"
                           : fl ? "a floating-point tensor"
                                : "a numeric tensor";
        if (!is_tensor(a) || (lnot ? a->dtype != FEDC_DTYPE_BOOL
                              : fl ? !dt_float(a->dtype)
                                   : !dt_numeric(a->dtype)))
            return bad(&s, want);
        *out = a;
    } else if (strcmp(name, "where") == 0) {
        const char *want = "<bool tensor,tensor,tensor> with one dtype and broadcastable shapes";
        if (!args_n(a, 3) || !is_tensor(arg_i(a, 0)) || !is_tensor(arg_i(a, 1)) ||
            !is_tensor(arg_i(a, 2)))
            return bad(&s, want);
        const fedc_type *c = arg_i(a, 0), *x = arg_i(a, 1), *y = arg_i(a, 2);
        if (c->dtype != FEDC_DTYPE_BOOL || x->dtype != y->dtype || !broadcast(x, y, &rank, dims))
            return bad(&s, want);
        fedc_type tmp;
        memset(&tmp, 0, sizeof tmp);
        tmp.kind = FEDC_TYPE_TENSOR;
        tmp.rank = rank;
        memcpy(tmp.dims, dims, sizeof dims);
        if (!broadcast(c, &tmp, &rank, dims)) return bad(&s, want);
        *out = fedc_type_tensor(arena, x->dtype, rank, dims);
    } else if (strcmp(name, "cast") == 0) {
        if (!args_n(a, 2) || !is_tensor(arg_i(a, 0)) || !is_tensor(arg_i(a, 1)))
            return bad(&s, "<tensor,tensor whose dtype to take>");
        const fedc_type *x = arg_i(a, 0);
        *out = fedc_type_tensor(arena, arg_i(a, 1)->dtype, x->rank, x->dims);
    } else if (find(name, kReduce, N(kReduce)) >= 0) {
        bool mean = strcmp(name, "reduce_mean") == 0;
        const char *want = mean ? "a floating-point tensor, or <tensor,axis literal>"
                                : "a numeric tensor, or <tensor,axis literal>";
        const fedc_type *x = a;
        int64_t axis = -1;
        if (args_n(a, 2)) {
            x = arg_i(a, 0);
            if (!int_literal(arg_node(call, 1), &axis)) return bad(&s, want);
        }
        if (!is_tensor(x) || (mean ? !dt_float(x->dtype) : !dt_numeric(x->dtype)))
            return bad(&s, want);
        if (axis < -1 || (args_n(a, 2) && (axis < 0 || axis >= x->rank)))
            return bad(&s, "an axis within the tensor's rank");
        rank = 0;
        for (int i = 0; axis >= 0 && i < x->rank; i++)
            if (i != axis) dims[rank++] = x->dims[i];
        *out = fedc_type_tensor(arena, x->dtype, rank, dims);
    } else if (strcmp(name, "matmul") == 0) {
        const char *want = "two rank-2 floating-point tensors [m,k] and [k,n] of one dtype";
        if (!args_n(a, 2) || !is_tensor(arg_i(a, 0)) || !is_tensor(arg_i(a, 1)))
            return bad(&s, want);
        const fedc_type *x = arg_i(a, 0), *y = arg_i(a, 1);
        if (x->rank != 2 || y->rank != 2 || x->dtype != y->dtype || !dt_float(x->dtype) ||
            (x->dims[1] != y->dims[0] && x->dims[1] != FEDC_DIM_UNKNOWN &&
             y->dims[0] != FEDC_DIM_UNKNOWN))
            return bad(&s, want);
        int64_t d[2] = {x->dims[0], y->dims[1]};
        *out = fedc_type_tensor(arena, x->dtype, 2, d);
    } else if (strcmp(name, "reshape") == 0) {
        fedc_status st = check_reshape(&s, a, out);
        if (st < 0) return st;
    } else if (strcmp(name, "norm") == 0) {
        if (!fedc__type_all_tensors(a, dt_float))
            return bad(&s, "floating-point tensors (a tensor or a struct of them)");
        *out = fedc_type_tensor(arena, is_tensor(a) ? a->dtype : FEDC_DTYPE_FLOAT32, 0, NULL);
    } else if (strcmp(name, "clip_by_norm") == 0) {
        const char *want = "<floating-point tensors,floating-point scalar>";
        if (!args_n(a, 2) || !fedc__type_all_tensors(arg_i(a, 0), dt_float) ||
            !is_tensor(arg_i(a, 1)) || arg_i(a, 1)->rank != 0 || !dt_float(arg_i(a, 1)->dtype))
            return bad(&s, want);
        *out = arg_i(a, 0);
    } else if (strcmp(name, "zeros_like") == 0 || strcmp(name, "ones_like") == 0) {
        if (!fedc__type_all_tensors(a, dt_any))
            return bad(&s, "tensors (a tensor or a struct of them)");
        *out = a;
    } else if (strcmp(name, "fill") == 0) {
        fedc_status st = check_fill(&s, a, out);
        if (st < 0) return st;
    } else if (strcmp(name, "size") == 0) {
        if (!is_tensor(a)) return bad(&s, "a tensor");
        *out = fedc_type_tensor(arena, FEDC_DTYPE_INT32, 0, NULL);
    } else {
        return fedc__node_errorf(ck->ctx, call, FEDC_STATUS_NOT_FOUND, "unknown builtin '%s'",
                                 name);
    }
    if (!*out)
        return fedc__node_errorf(ck->ctx, call, FEDC_STATUS_OUT_OF_MEMORY,
                                 "out of memory typing %s", name);
    return FEDC_STATUS_OK;
}
